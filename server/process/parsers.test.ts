/** The shared value parsers (settings table, CLI, benches): typed values, and errors naming the flag or variable. */
import { describe, expect, it } from 'vitest';
import { ConfigError, decimal, integer, integers, list, oneOf, secondsAsMs } from './parsers.js';

describe('parsers', () => {
  it('parse numbers within their range and name the setting when refusing', () => {
    expect(integer(0, 10)('7', '--n')).toBe(7);
    expect(() => integer(0, 10)('7.5', '--n')).toThrow(new ConfigError('--n must be an integer from 0 to 10, got "7.5"'));
    expect(() => integer(0, 10)(' ', 'N')).toThrow(/^N must be an integer/);
    expect(decimal(0, 1)('0.25', '--p')).toBe(0.25);
    expect(() => decimal(0, 1)('2', '--p')).toThrow('--p must be a number from 0 to 1, got "2"');
    expect(secondsAsMs(0.05, 10)('2.5', '--t')).toBe(2500);
  });

  it('parse lists and choices', () => {
    expect(list(' a, b,,c ', '--k')).toEqual(['a', 'b', 'c']);
    expect(integers(1, 64)('1,8,32', '--batches')).toEqual([1, 8, 32]);
    expect(() => integers(1, 64)('1,0', '--batches')).toThrow('--batches must be an integer from 1 to 64, got "0"');
    expect(oneOf(['a', 'b'])('b', '--x')).toBe('b');
    expect(() => oneOf(['a', 'b'])('c', 'X')).toThrow('X must be one of a, b, got "c"');
  });
});
