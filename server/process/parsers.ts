/**
 * Parsers of command-line and environment values, shared by the server's settings table
 * (config.ts), the CLI commands and the benches: each turns the text of one flag or variable into
 * a typed value or throws a ConfigError that names it (`--flag` or the variable) and says what
 * was expected.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `text` is the value as given; `name` is `--flag` or ENV_VAR, for the message. */
export type Parser<T> = (text: string, name: string) => T;

function numberIn(min: number, max: number, integer: boolean): Parser<number> {
  return (text, name) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw new ConfigError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
}

/** An integer from `min` to `max`. */
export function integer(min: number, max: number): Parser<number> {
  return numberIn(min, max, true);
}

/** A number from `min` to `max`. */
export function decimal(min: number, max: number): Parser<number> {
  return numberIn(min, max, false);
}

/** Seconds (a number from `min` to `max`) as whole milliseconds. */
export function secondsAsMs(min: number, max: number): Parser<number> {
  const seconds = decimal(min, max);
  return (text, name) => Math.round(seconds(text, name) * 1000);
}

/** One of `values`. */
export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (text, name) => {
    if (!(values as readonly string[]).includes(text)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(text)}`);
    return text as T;
  };
}

/** Comma-separated items, trimmed, empty ones dropped. */
export const list: Parser<string[]> = (text) =>
  text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);

/** Comma-separated integers from `min` to `max` (bench sweeps: --batches 1,8,32). */
export function integers(min: number, max: number): Parser<number[]> {
  const one = integer(min, max);
  return (text, name) => list(text, name).map((item) => one(item, name));
}

/** The text as given. */
export const text: Parser<string> = (value) => value;
