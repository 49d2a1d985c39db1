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
    expect(log).toEqual([]);
    await queue.idle();
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
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
