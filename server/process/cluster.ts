/**
 * Cluster mode (`--workers N`, N > 1): N worker processes share the port (node cluster, the
 * primary hands out connections round-robin); each runs a full UndertoneServer with its own
 * model, scheduler and event loop, so decoding, features and inference of different sessions run
 * on different cores (see docs/decisions.md for the measurement). The primary serves no traffic:
 * it keeps the global session count (maxSessions holds across workers), aggregates the workers'
 * metrics for /metrics, tells workers when all have loaded the model (/readyz), holds the session
 * bus when there is no Redis (events/bus-hub.ts: every worker lists and follows every worker's
 * sessions), restarts a worker that dies, and on SIGTERM tells every worker to drain and exits
 * when they have.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { ServerConfig } from './config.js';
import { type Logger, reportStartFailure } from './logger.js';
import type { SessionSlots } from '../admission/admission.js';
import { KeyCounts, type KeyQuota } from '../admission/key-quota.js';
import { BusHub } from '../events/bus-hub.js';
import { type BusToPrimary, type BusToWorker, ClusterBus } from '../events/cluster-bus.js';
import { UndertoneServer } from './server.js';

/** IPC between primary and workers (prefixed so prom-client's own messages are not confused with them). */
type ToPrimary =
  | { readonly t: 'undertone:ready' }
  | { readonly t: 'undertone:failed'; readonly message: string }
  | { readonly t: 'undertone:acquire'; readonly id: number }
  | { readonly t: 'undertone:release' }
  | { readonly t: 'undertone:metrics'; readonly id: number }
  | { readonly t: 'undertone:key-claim'; readonly id: number; readonly key: string }
  | { readonly t: 'undertone:key-release'; readonly key: string }
  | BusToPrimary;
type ToWorker =
  | { readonly t: 'undertone:cluster-ready' }
  | { readonly t: 'undertone:acquired'; readonly id: number; readonly granted: boolean }
  | { readonly t: 'undertone:key-claimed'; readonly id: number; readonly granted: boolean }
  | { readonly t: 'undertone:metrics'; readonly id: number; readonly contentType?: string; readonly body?: string; readonly error?: string }
  | { readonly t: 'undertone:drain' }
  | BusToWorker;

function isOurs(message: unknown): message is { t: string } {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string' && (message as { t: string }).t.startsWith('undertone:');
}

/** Restarting a worker that keeps dying this soon after start would loop: give up instead. */
const MIN_UPTIME_FOR_RESTART_MS = 10_000;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** The primary: forks workers and coordinates them. Resolves with the exit code. */
export async function runPrimary(config: ServerConfig, logger: Logger): Promise<number> {
  const aggregator = new AggregatorRegistry();
  const held = new Map<number, number>(); // worker id -> sessions it holds
  // --max-sessions-per-key across workers: the counts, and each worker's claims (given back if it dies).
  const keyCounts = new KeyCounts(config.maxSessionsPerKey);
  const keysHeld = new Map<number, string[]>();
  const ready = new Set<number>();
  const startedAt = new Map<number, number>();
  let live = 0;
  let allReady = false;
  let draining = false;
  let exitCode = 0;
  let announced = false;

  const send = (worker: Worker, message: ToWorker): void => {
    if (worker.isConnected()) worker.send(message);
  };
  // Without Redis, the workers share the session bus through here.
  const hub = config.redisUrl
    ? undefined
    : new BusHub(config.historySeconds, (id, message) => {
        const worker = cluster.workers?.[id];
        if (worker) send(worker, message);
      });
  const fork = (): Worker => {
    const worker = cluster.fork();
    held.set(worker.id, 0);
    startedAt.set(worker.id, Date.now());
    return worker;
  };

  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const drain = (why: string): void => {
    if (draining) return;
    draining = true;
    logger.info({ why, workers: Object.keys(cluster.workers ?? {}).length }, 'draining workers');
    for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, { t: 'undertone:drain' });
    if (Object.keys(cluster.workers ?? {}).length === 0) finish(exitCode);
  };

  cluster.on('listening', (_worker, address) => {
    if (announced) return;
    announced = true;
    logger.info({ port: address.port, host: config.host, workers: config.workers }, 'listening');
  });

  cluster.on('message', (worker, message: unknown) => {
    if (!isOurs(message)) return;
    const m = message as ToPrimary;
    switch (m.t) {
      case 'undertone:ready':
        ready.add(worker.id);
        if (!allReady && ready.size >= config.workers) {
          allReady = true;
          logger.info({ workers: ready.size }, 'all workers ready');
        }
        if (allReady) for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, { t: 'undertone:cluster-ready' });
        break;
      case 'undertone:failed':
        logger.fatal({ worker: worker.id, err: m.message }, 'worker cannot start; shutting down');
        if (exitCode === 0) reportStartFailure(m.message);
        exitCode = 1;
        drain('worker failed to start');
        break;
      case 'undertone:acquire': {
        const granted = !draining && (config.maxSessions === 0 || live < config.maxSessions);
        if (granted) {
          live++;
          held.set(worker.id, (held.get(worker.id) ?? 0) + 1);
        }
        send(worker, { t: 'undertone:acquired', id: m.id, granted });
        break;
      }
      case 'undertone:key-claim': {
        const granted = keyCounts.claim(m.key);
        if (granted) keysHeld.set(worker.id, [...(keysHeld.get(worker.id) ?? []), m.key]);
        send(worker, { t: 'undertone:key-claimed', id: m.id, granted });
        break;
      }
      case 'undertone:key-release': {
        const mine = keysHeld.get(worker.id) ?? [];
        const at = mine.indexOf(m.key);
        if (at >= 0) {
          mine.splice(at, 1);
          keyCounts.release(m.key);
        }
        break;
      }
      case 'undertone:release':
        if ((held.get(worker.id) ?? 0) > 0) {
          held.set(worker.id, held.get(worker.id)! - 1);
          live--;
        }
        break;
      case 'undertone:metrics':
        aggregator.clusterMetrics().then(
          (body) => send(worker, { t: 'undertone:metrics', id: m.id, contentType: aggregator.contentType, body }),
          (e: Error) => send(worker, { t: 'undertone:metrics', id: m.id, error: e.message }),
        );
        break;
      default:
        if (hub) void hub.handle(worker.id, m);
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    hub?.workerGone(worker.id);
    for (const key of keysHeld.get(worker.id) ?? []) keyCounts.release(key);
    keysHeld.delete(worker.id);
    live -= held.get(worker.id) ?? 0;
    held.delete(worker.id);
    ready.delete(worker.id);
    const uptime = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    const remaining = Object.keys(cluster.workers ?? {}).length;
    if (draining) {
      logger.info({ worker: worker.id, code, signal, remaining }, 'worker exited');
      if (remaining === 0) finish(exitCode);
      return;
    }
    logger.error({ worker: worker.id, code, signal, uptimeMs: uptime }, 'worker died');
    if (uptime < MIN_UPTIME_FOR_RESTART_MS && !allReady) {
      exitCode = 1;
      drain('worker died during start');
      return;
    }
    fork();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => drain(signal));
  for (let i = 0; i < config.workers; i++) fork();
  return done;
}

/** A worker: one UndertoneServer whose session slots, readiness and metrics go through the primary. */
export async function runWorker(config: ServerConfig, logger: Logger): Promise<number> {
  let nextId = 0;
  let clusterReady = false;
  const pending = new Map<number, (m: ToWorker) => void>();
  const ask = <T extends ToWorker>(message: Extract<ToPrimary, { id: number }>): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(message.id);
        reject(new Error('primary did not answer'));
      }, 5000);
      pending.set(message.id, (reply) => {
        clearTimeout(timer);
        resolve(reply as T);
      });
      process.send!(message);
    });

  const slots: SessionSlots = {
    acquire: async () => {
      try {
        const reply = await ask<Extract<ToWorker, { t: 'undertone:acquired' }>>({ t: 'undertone:acquire', id: nextId++ });
        return reply.granted;
      } catch {
        return false;
      }
    },
    release: () => {
      if (process.connected) process.send!({ t: 'undertone:release' } satisfies ToPrimary);
    },
  };

  const keyQuota: KeyQuota = {
    max: config.maxSessionsPerKey,
    claim: async (key) => {
      if (config.maxSessionsPerKey === 0) return true;
      try {
        return (await ask<Extract<ToWorker, { t: 'undertone:key-claimed' }>>({ t: 'undertone:key-claim', id: nextId++, key })).granted;
      } catch {
        return false;
      }
    },
    release: (key) => {
      if (config.maxSessionsPerKey > 0 && process.connected) process.send!({ t: 'undertone:key-release', key } satisfies ToPrimary);
    },
  };
  const bus = config.redisUrl
    ? undefined
    : new ClusterBus({
        send: (message, sent) => {
          if (process.connected) process.send!(message, undefined, undefined, sent && (() => sent()));
          else sent?.();
        },
        ask: async (message) => (await ask<Extract<ToWorker, { t: 'undertone:bus-answer' }>>(message)).result,
        nextId: () => nextId++,
      });
  const server = await UndertoneServer.listen({
    config,
    logger,
    slots,
    keyQuota,
    ...(bus ? { bus } : {}),
    cluster: {
      clusterReady: () => clusterReady,
      metrics: async () => {
        const reply = await ask<Extract<ToWorker, { t: 'undertone:metrics' }>>({ t: 'undertone:metrics', id: nextId++ });
        if (reply.error !== undefined) throw new Error(reply.error);
        return { contentType: reply.contentType!, body: reply.body! };
      },
    },
  });
  // prom-client answers the primary's aggregation requests from this worker's registry.
  AggregatorRegistry.setRegistries([server.metrics.registry]);
  new AggregatorRegistry();

  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const drain = (): void => {
    server.drain().then(
      () => finish(0),
      (e: Error) => {
        logger.error({ err: e.message }, 'drain failed');
        finish(1);
      },
    );
  };
  process.on('message', (message: unknown) => {
    if (!isOurs(message)) return;
    const m = message as ToWorker;
    if (m.t === 'undertone:cluster-ready') clusterReady = true;
    else if (m.t === 'undertone:drain') drain();
    else if (m.t === 'undertone:bus-event') bus?.deliver(m);
    else if ('id' in m) {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    }
  });
  // The primary relays SIGTERM as a drain message; a signal sent to the whole group drains too.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, drain);
  process.on('disconnect', drain);

  try {
    await server.ready;
    process.send!({ t: 'undertone:ready' } satisfies ToPrimary);
  } catch (e) {
    process.send!({ t: 'undertone:failed', message: (e as Error).message } satisfies ToPrimary);
    await server.drain();
    return 1;
  }
  return done;
}
