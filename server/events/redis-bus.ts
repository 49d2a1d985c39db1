/**
 * The session bus over Redis (REDIS_URL), so a subscriber may be on another replica than the
 * audio. Per session:
 * - `undertone:session:ID`: its SessionInfo as JSON, with a TTL refreshed by every event; the set
 *   `undertone:sessions` indexes them (stale members are removed when listed);
 * - `undertone:history:ID`: a list of its last `historySize` events (RPUSH + LTRIM);
 * - `undertone:trace:ID`: what was published (last seq, seconds, voiced seconds, stream time), so
 *   another replica can end it on its behalf;
 * - `undertone:owner` (hash): the replica serving it;
 * - channel `undertone:events:ID`: every event, by PUBLISH.
 * An event's history append and its PUBLISH run in one MULTI, so every event is either in the
 * history a subscriber reads after subscribing, or delivered to it live, or both (the per-session
 * `seq` drops the duplicate): no gap. Publishing is fire-and-forget on one connection (commands run
 * in the order sent, so a session's events stay in order) and never makes the audio wait.
 *
 * Replicas that die: every replica refreshes `undertone:replica:RID` (TTL `replicaTtlMs`) every
 * `heartbeatMs`, and checks the listed sessions' owners: a session whose owner's heartbeat has
 * expired is ended on its behalf with reason `lost` (one replica wins the SREM and publishes it),
 * so its subscribers on other replicas learn it within replicaTtlMs + heartbeatMs, and the listing
 * drops it.
 *
 * Redis outages: the command connection does not queue while disconnected (disableOfflineQueue),
 * so events published meanwhile are dropped and counted, never buffered without bound, and audio
 * sessions keep being labelled; listings and new subscriptions fail at once (bus_unavailable);
 * live subscriptions are told (`onUnavailable`) since they may miss events. node-redis reconnects
 * by itself; on reconnect this replica lists its live sessions again (their history restarts).
 */
import { randomUUID } from 'node:crypto';
import { type RedisClientType, createClient } from 'redis';
import type { Logger } from '../process/logger.js';
import { type SessionBus, type SessionListener, type Subscription, matches } from './session-bus.js';
import { type SessionEvent, type SessionInfo, lostEnd } from './session-event.js';

const PREFIX = 'undertone:';
const SESSIONS = `${PREFIX}sessions`;
const OWNERS = `${PREFIX}owner`;
const infoKey = (id: string): string => `${PREFIX}session:${id}`;
const historyKey = (id: string): string => `${PREFIX}history:${id}`;
const traceKey = (id: string): string => `${PREFIX}trace:${id}`;
const replicaKey = (rid: string): string => `${PREFIX}replica:${rid}`;
const channel = (id: string): string => `${PREFIX}events:${id}`;
/** A live session emits an event every second of audio; one silent this long is gone even if its replica still beats. */
const SESSION_TTL_S = 120;

export interface RedisBusOptions {
  /** Emotion events kept per session for late subscribers. */
  readonly historySize: number;
  /** How often this replica refreshes its heartbeat and checks other replicas' sessions (ms). */
  readonly heartbeatMs?: number;
  /** A replica whose heartbeat is older than this is dead: its sessions end as `lost` (ms). */
  readonly replicaTtlMs?: number;
  /** Events dropped because Redis was unreachable (metrics). */
  readonly onDropped?: () => void;
  /** Redis reachable or not (metrics). */
  readonly onUp?: (up: boolean) => void;
}

export class RedisBus implements SessionBus {
  /** This process's id among the replicas. */
  readonly replica = randomUUID();
  /** This replica's live sessions, to list again after a Redis restart. */
  private readonly own = new Map<string, SessionInfo>();
  /** Live subscriptions' outage callbacks. */
  private readonly outageListeners = new Set<(reason: string) => void>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly heartbeatMs: number;
  private readonly replicaTtlMs: number;

  private constructor(
    private readonly pub: RedisClientType,
    private readonly sub: RedisClientType,
    private readonly options: RedisBusOptions,
    private readonly log: Logger,
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.replicaTtlMs = options.replicaTtlMs ?? 5000;
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Connects the command and the subscriber connections (rejects if Redis cannot be reached). */
  static async connect(url: string, options: RedisBusOptions, log: Logger): Promise<RedisBus> {
    // Commands fail at once while disconnected instead of queueing in memory for the outage.
    const pub = createClient({ url, disableOfflineQueue: true }) as RedisClientType;
    const sub = createClient({ url }) as RedisClientType;
    await pub.connect();
    await sub.connect();
    const bus = new RedisBus(pub, sub, options, log);
    bus.watch();
    await bus.beat();
    return bus;
  }

  open(info: SessionInfo): void {
    this.own.set(info.sessionId, info);
    this.register(info);
  }

  publish(event: SessionEvent): void {
    const id = event.sessionId;
    if (event.type === 'end') this.own.delete(id);
    if (!this.pub.isReady) {
      this.options.onDropped?.();
      return;
    }
    const json = JSON.stringify(event);
    const tx = this.pub.multi();
    if (event.type === 'end') {
      tx.publish(channel(id), json).del([infoKey(id), historyKey(id), traceKey(id)]).sRem(SESSIONS, id).hDel(OWNERS, id);
    } else {
      tx.rPush(historyKey(id), json)
        .lTrim(historyKey(id), -Math.max(1, this.options.historySize), -1)
        .expire(historyKey(id), SESSION_TTL_S)
        .expire(infoKey(id), SESSION_TTL_S);
      // The trace counts seconds for a `lost` end; an alert only moves the sequence number on.
      if (event.type === 'emotion') {
        tx.hSet(traceKey(id), { seq: event.seq, durationMs: event.endMs })
          .hIncrBy(traceKey(id), 'seconds', 1)
          .hIncrBy(traceKey(id), 'voicedSeconds', event.voiced ? 1 : 0);
      } else tx.hSet(traceKey(id), { seq: event.seq });
      tx.expire(traceKey(id), SESSION_TTL_S).publish(channel(id), json);
      if (this.options.historySize === 0) tx.del(historyKey(id));
    }
    this.run(tx.exec(), 'publish');
  }

  async sessions(): Promise<SessionInfo[]> {
    if (!this.connected()) throw new Error('Redis is not connected');
    const ids = await this.pub.sMembers(SESSIONS);
    if (ids.length === 0) return [];
    const infos = await this.pub.mGet(ids.map(infoKey));
    const stale = ids.filter((_id, i) => infos[i] === null);
    if (stale.length > 0) await this.pub.sRem(SESSIONS, stale);
    return infos
      .filter((j): j is string => j !== null)
      .map((j) => JSON.parse(j) as SessionInfo)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  async find(idOrKey: string): Promise<SessionInfo[]> {
    return (await this.sessions()).filter((info) => matches(info, idOrKey));
  }

  async history(sessionId: string): Promise<SessionEvent[]> {
    return (await this.pub.lRange(historyKey(sessionId), 0, -1)).map((j) => JSON.parse(j) as SessionEvent);
  }

  async subscribe(sessionId: string, listener: SessionListener, onUnavailable?: (reason: string) => void): Promise<Subscription | undefined> {
    if (!this.connected()) throw new Error('Redis is not connected');
    const onMessage = (message: string): void => {
      try {
        listener(JSON.parse(message) as SessionEvent);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'subscriber listener failed');
      }
    };
    await this.sub.subscribe(channel(sessionId), onMessage);
    let done = false;
    const unsubscribe = (): void => {
      if (done) return;
      done = true;
      if (onUnavailable) this.outageListeners.delete(onUnavailable);
      this.run(this.sub.unsubscribe(channel(sessionId), onMessage), 'unsubscribe');
    };
    let live: boolean;
    try {
      live = (await this.pub.exists(infoKey(sessionId))) > 0;
    } catch (e) {
      unsubscribe();
      throw e;
    }
    if (!live) {
      unsubscribe();
      return undefined;
    }
    if (onUnavailable) this.outageListeners.add(onUnavailable);
    return { unsubscribe };
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.pub.isReady) await this.pub.del(replicaKey(this.replica)).catch(() => undefined);
    await Promise.allSettled([this.sub.close(), this.pub.close()]);
  }

  /** Connection events: an outage is told to live subscriptions once; a reconnect lists this replica's sessions again. */
  private watch(): void {
    let up = true;
    const down = (what: string, e?: Error): void => {
      if (!up) return;
      up = false;
      this.options.onUp?.(false);
      this.log.warn({ err: e?.message, connection: what }, 'redis unreachable: labels are not shared until it is back');
      const listeners = [...this.outageListeners];
      this.outageListeners.clear();
      for (const l of listeners) l(`lost the connection to Redis (${e?.message ?? what})`);
    };
    // node-redis reconnects by itself; an unhandled 'error' would crash the process.
    this.pub.on('error', (e: Error) => down('commands', e));
    this.sub.on('error', (e: Error) => down('subscriber', e));
    this.pub.on('reconnecting', () => down('commands'));
    this.sub.on('reconnecting', () => down('subscriber'));
    // Up again only when both connections are: a listing that works while the subscriber
    // connection is still reconnecting would promise subscriptions that then fail.
    const ready = (): void => {
      if (up || !this.connected()) return;
      up = true;
      this.options.onUp?.(true);
      this.log.info({ sessions: this.own.size }, 'redis reachable again: listing this replica’s live sessions');
      for (const info of this.own.values()) this.register(info);
      void this.beat();
    };
    this.pub.on('ready', ready);
    this.sub.on('ready', ready);
  }

  /** Both the command and the subscriber connection are up. */
  private connected(): boolean {
    return this.pub.isReady && this.sub.isReady;
  }

  private register(info: SessionInfo): void {
    if (!this.pub.isReady) return;
    const id = info.sessionId;
    this.run(this.pub.multi().set(infoKey(id), JSON.stringify(info), { EX: SESSION_TTL_S }).sAdd(SESSIONS, id).hSet(OWNERS, id, this.replica).exec(), 'open');
  }

  /** Refreshes this replica's heartbeat and ends the sessions of replicas whose heartbeat expired. */
  private async beat(): Promise<void> {
    if (!this.pub.isReady) return;
    try {
      await this.pub.set(replicaKey(this.replica), String(process.pid), { PX: this.replicaTtlMs });
      const ids = await this.pub.sMembers(SESSIONS);
      if (ids.length === 0) return;
      const owners = await this.pub.hmGet(OWNERS, ids);
      const others = [...new Set(owners.filter((o): o is string => o !== null && o !== this.replica))];
      if (others.length === 0) return;
      const beats = await this.pub.mGet(others.map(replicaKey));
      const dead = new Set(others.filter((_o, i) => beats[i] === null));
      for (const [i, id] of ids.entries()) {
        const owner = owners[i];
        if (owner !== null && dead.has(owner)) await this.endLost(id);
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'redis heartbeat failed');
    }
  }

  /** Ends a dead replica's session for its subscribers; the replica that removes it from the index publishes. */
  private async endLost(id: string): Promise<void> {
    if ((await this.pub.sRem(SESSIONS, id)) !== 1) return;
    const trace = await this.pub.hGetAll(traceKey(id));
    const n = (field: string): number => Number(trace[field] ?? 0);
    const end = lostEnd(id, { seq: n('seq'), seconds: n('seconds'), voicedSeconds: n('voicedSeconds'), durationMs: n('durationMs') });
    await this.pub
      .multi()
      .publish(channel(id), JSON.stringify(end))
      .del([infoKey(id), historyKey(id), traceKey(id)])
      .hDel(OWNERS, id)
      .exec();
    this.log.warn({ sessionId: id }, 'session lost: its replica stopped beating');
  }

  private run(p: Promise<unknown>, what: string): void {
    p.catch((e: unknown) => this.log.warn({ err: (e as Error).message }, `redis ${what} failed`));
  }
}
