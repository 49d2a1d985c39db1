/**
 * The session bus over Redis (REDIS_URL), so a subscriber may be on another replica than the
 * audio. Per session:
 * - `undertone:session:ID`: its SessionInfo as JSON, with a TTL refreshed by every event, so the
 *   sessions of a replica that dies drop out of the listing on their own; the set
 *   `undertone:sessions` indexes them (stale members are removed when listed);
 * - `undertone:history:ID`: a list of its last `historySize` events (RPUSH + LTRIM);
 * - channel `undertone:events:ID`: every event, by PUBLISH.
 * An event's history append and its PUBLISH run in one MULTI, so every event is either in the
 * history a subscriber reads after subscribing, or delivered to it live, or both (the per-session
 * `seq` drops the duplicate): no gap. Publishing is fire-and-forget on one connection (commands run
 * in the order sent, so a session's events stay in order) and never makes the audio wait.
 */
import { type RedisClientType, createClient } from 'redis';
import type { Logger } from '../process/logger.js';
import { type SessionBus, type SessionListener, type Subscription, matches } from './session-bus.js';
import type { SessionEvent, SessionInfo } from './session-event.js';

const PREFIX = 'undertone:';
const SESSIONS = `${PREFIX}sessions`;
const infoKey = (id: string): string => `${PREFIX}session:${id}`;
const historyKey = (id: string): string => `${PREFIX}history:${id}`;
const channel = (id: string): string => `${PREFIX}events:${id}`;
/** A live session emits an event every second of audio; one silent this long (or whose replica died) is gone. */
const SESSION_TTL_S = 120;

export class RedisBus implements SessionBus {
  private constructor(
    private readonly pub: RedisClientType,
    private readonly sub: RedisClientType,
    private readonly historySize: number,
    private readonly log: Logger,
  ) {}

  /** Connects the command and the subscriber connections (rejects if Redis cannot be reached). */
  static async connect(url: string, historySize: number, log: Logger): Promise<RedisBus> {
    const pub = createClient({ url }) as RedisClientType;
    // node-redis reconnects by itself; an unhandled 'error' would crash the process.
    pub.on('error', (e: Error) => log.warn({ err: e.message }, 'redis error'));
    const sub = pub.duplicate();
    sub.on('error', (e: Error) => log.warn({ err: e.message }, 'redis subscriber error'));
    await pub.connect();
    await sub.connect();
    return new RedisBus(pub, sub, historySize, log);
  }

  open(info: SessionInfo): void {
    this.run(this.pub.multi().set(infoKey(info.sessionId), JSON.stringify(info), { EX: SESSION_TTL_S }).sAdd(SESSIONS, info.sessionId).exec(), 'open');
  }

  publish(event: SessionEvent): void {
    const id = event.sessionId;
    const json = JSON.stringify(event);
    const tx = this.pub.multi();
    if (event.type === 'end') {
      tx.publish(channel(id), json).del(infoKey(id)).sRem(SESSIONS, id).del(historyKey(id));
    } else {
      tx.rPush(historyKey(id), json)
        .lTrim(historyKey(id), -Math.max(1, this.historySize), -1)
        .expire(historyKey(id), SESSION_TTL_S)
        .expire(infoKey(id), SESSION_TTL_S)
        .publish(channel(id), json);
      if (this.historySize === 0) tx.del(historyKey(id));
    }
    this.run(tx.exec(), 'publish');
  }

  async sessions(): Promise<SessionInfo[]> {
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

  async subscribe(sessionId: string, listener: SessionListener): Promise<Subscription | undefined> {
    const onMessage = (message: string): void => {
      try {
        listener(JSON.parse(message) as SessionEvent);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'subscriber listener failed');
      }
    };
    await this.sub.subscribe(channel(sessionId), onMessage);
    const unsubscribe = (): void => this.run(this.sub.unsubscribe(channel(sessionId), onMessage), 'unsubscribe');
    if ((await this.pub.exists(infoKey(sessionId))) === 0) {
      unsubscribe();
      return undefined;
    }
    let done = false;
    return {
      unsubscribe: () => {
        if (done) return;
        done = true;
        unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.sub.close(), this.pub.close()]);
  }

  private run(p: Promise<unknown>, what: string): void {
    p.catch((e: unknown) => this.log.warn({ err: (e as Error).message }, `redis ${what} failed`));
  }
}
