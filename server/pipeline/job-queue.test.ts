/** JobQueue: jobs run one at a time in the order added, async ones included; a failure goes to onError and the queue goes on. */
import { describe, expect, it } from 'vitest';
import { JobQueue } from './job-queue.js';

describe('JobQueue', () => {
  it('runs jobs in order, each after the one before has finished, and idle() waits for all', async () => {
    const log: string[] = [];
    const queue = new JobQueue((e) => log.push(`error ${String(e)}`));
    queue.add(async () => {
      log.push('a start');
      await new Promise((r) => setTimeout(r, 20));
      log.push('a end');
    });
    queue.add(() => void log.push('b'));
    queue.add(async () => {
      await Promise.resolve();
      log.push('c');
    });
    // a ran at once (the queue was idle); b and c wait for it.
    expect(log).toEqual(['a start']);
    await queue.idle();
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
  });

  it('runs a job added to an idle queue at once, and a job added by a running job after it (and after its async part)', async () => {
    const log: string[] = [];
    const queue = new JobQueue((e) => log.push(`error ${String(e)}`));
    queue.add(() => {
      queue.add(() => void log.push('nested'));
      log.push('outer');
    });
    expect(log).toEqual(['outer', 'nested']);
    queue.add(() => {
      queue.add(() => void log.push('nested 2'));
      log.push('outer 2 start');
      return new Promise<void>((r) => setTimeout(r, 10)).then(() => void log.push('outer 2 end'));
    });
    queue.add(() => void log.push('last'));
    expect(log).toEqual(['outer', 'nested', 'outer 2 start']);
    await queue.idle();
    expect(log).toEqual(['outer', 'nested', 'outer 2 start', 'outer 2 end', 'nested 2', 'last']);
    queue.add(() => void log.push('idle again'));
    expect(log.at(-1)).toBe('idle again');
  });

  it('hands a thrown or rejected job to onError and runs the next one', async () => {
    const errors: unknown[] = [];
    const ran: string[] = [];
    const queue = new JobQueue((e) => errors.push(e));
    queue.add(() => {
      throw new Error('sync');
    });
    queue.add(async () => {
      throw new Error('async');
    });
    queue.add(() => void ran.push('after'));
    await queue.idle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync', 'async']);
    expect(ran).toEqual(['after']);
  });
});
