/**
 * A session: one labelled stream of audio, whatever connection carries it (a /v1/stream
 * connection carries one, a Twilio call one per track). Audio bytes in -> AudioInput (decode, resample
 * to 16 kHz) -> the engine's analyzer (features, due windows) -> the engine's scoring (batched:
 * InferenceScheduler; naive: batch-1 calls) -> one emotion entry
 * per second, in stream order -> an end summary. Every entry and the end are handed to the
 * transport (`SessionOutput`: the /v1/stream WebSocket, a Twilio track) and published on the
 * session bus for subscribers. The transport owns sockets, timers and the protocol; this owns the
 * audio pipeline and its resources.
 *
 * Each second also goes through the session's SessionSupervisor (core/supervision): the emotion
 * message gains smoothed label/scores, arousal and valence; fired alerts become `alert` messages
 * (transport, bus, /metrics, webhooks); the end summary gains the call summary.
 *
 * Labels are delivered in order through a JobQueue: a silent second needs no inference but must
 * wait behind the voiced second before it.
 */
import { performance } from 'node:perf_hooks';
import type { ModelMetadata } from '../../core/model/metadata.js';
import { poolTimeline, type TimelineEntry, toTimelineEntry } from '../../core/predict.js';
import type { AlertMessage, EmotionMessage, EndMessage, EndReason } from '../../core/protocol/index.js';
import { type AlertRulesDoc, rulesOf } from '../../core/supervision/alert-rules.js';
import { modelSupervision, SessionSupervisor, type SupervisorSettings } from '../../core/supervision/session-supervisor.js';
import { parseSmoothingSettings, type SmoothingSettings } from '../../core/supervision/smoothing.js';
import type { WebhookDispatcher } from '../../core/supervision/webhook.js';
import type { DueWindow } from '../../core/stream-analyzer.js';
import type { AudioInput } from './audio-input.js';
import type { Band } from '../../core/protocol/index.js';
import type { SessionBus } from '../events/session-bus.js';
import type { SessionEndReason, SessionInfo } from '../events/session-event.js';
import type { Logger } from '../process/logger.js';
import type { ServerMetrics } from '../process/metrics.js';
import type { LabelEngine, WindowAnalyzer } from './engine.js';
import { JobQueue } from './job-queue.js';

/** Windows submitted but not yet delivered above which the transport should stop reading (TCP backpressure). */
const PAUSE_ABOVE = 48;
const RESUME_BELOW = 16;
/** A session whose audio is further ahead of real time than this (ms) does not count towards the latency headroom. */
const AHEAD_OF_REAL_TIME_MS = 1000;

export interface SessionContext {
  readonly metadata: ModelMetadata;
  /** Makes the stream's analyzer and scores its voiced windows (--engine: batched or the naive baseline). */
  readonly engine: LabelEngine;
  readonly metrics: ServerMetrics;
  readonly bus: SessionBus;
  /** The band of the model labelling the session (its metrics' `band` label). */
  readonly band?: Band;
  /** The server's smoothing settings and alert rules, and its webhook dispatcher (if --webhook-url). */
  readonly supervision: Supervision;
}

export interface Supervision {
  /** Summary options; smoothing and rules start from each model's own (model.json supervision). */
  readonly settings: Omit<SupervisorSettings, 'smoothing' | 'rules'>;
  /** The server's --smoothing fields, laid over the model's own setting. */
  readonly smoothing?: Partial<SmoothingSettings>;
  /** The server's --alert-rules file: replaces the model's built-in set, or adds to it ("includeDefaults"). */
  readonly alertRules?: AlertRulesDoc;
  readonly webhooks?: WebhookDispatcher;
}

/** What the transport does with the stream's results. */
export interface SessionOutput {
  /** One second's label, in stream order (already published on the bus). */
  emotion(message: EmotionMessage): void;
  /** An alert fired (already published on the bus). */
  alert?(message: AlertMessage): void;
  /** Too many windows wait for inference (true) or few enough again (false): pause/resume reading. */
  flow?(paused: boolean): void;
  /** The pipeline failed (inference error); the transport ends the session. */
  fail(error: unknown): void;
}

export class Session {
  private readonly analyzer: WindowAnalyzer;
  /** Label deliveries, in stream order; a failed one (inference error) fails the transport. */
  private readonly outbox: JobQueue;
  private readonly timeline: TimelineEntry[] = [];
  private readonly supervisor: SessionSupervisor;
  private inflight = 0;
  private paused = false;
  private seq = 0;
  private closed = false;
  /** 16 kHz samples and bytes received. */
  private samples = 0;
  /** performance.now() of the first audio: the session's real-time clock. */
  private firstAudioAt?: number;
  bytes = 0;
  /**
   * What the audio messages since the last label cost and brought, handed to /metrics once a
   * second (at each label, and at the end) instead of once a message: bytes, 16 kHz samples,
   * decode and feature time (s).
   */
  private readonly unreported = { bytes: 0, samples: 0, decodeS: 0, featureS: 0 };

  constructor(
    private readonly ctx: SessionContext,
    readonly info: SessionInfo,
    private input: AudioInput | undefined,
    private readonly output: SessionOutput,
    private readonly log: Logger,
    /** The client's `start.smoothing`, over the server's settings (already validated). */
    smoothing?: Partial<SmoothingSettings>,
  ) {
    this.analyzer = ctx.engine.createAnalyzer();
    const { settings, smoothing: serverSmoothing, alertRules } = ctx.supervision;
    const own = modelSupervision(ctx.metadata);
    const base = { ...own.smoothing, ...serverSmoothing };
    const rules = alertRules ? rulesOf(alertRules, own.rules) : own.rules;
    this.supervisor = new SessionSupervisor(ctx.metadata.labels, { ...settings, rules, smoothing: parseSmoothingSettings(smoothing, 'start', base) });
    this.outbox = new JobQueue((e) => this.output.fail(e));
    ctx.metrics.sessions.inc({ encoding: info.encoding, band: ctx.band ?? 'wideband' });
    ctx.bus.open(info);
  }

  get sessionId(): string {
    return this.info.sessionId;
  }

  /** Seconds labelled so far. */
  get labels(): number {
    return this.timeline.length;
  }

  /** Audio received, in ms of stream time. */
  get audioMs(): number {
    return (this.samples * 1000) / this.ctx.metadata.featureConfig.sampleRate;
  }

  /** One audio message (`arrival` = performance.now() at its arrival, for the label latency). Throws AudioInputError on bad audio. */
  push(bytes: Uint8Array, arrival: number): void {
    if (this.closed || !this.input) return;
    this.bytes += bytes.length;
    const t0 = performance.now();
    const samples = this.input.push(bytes);
    const t1 = performance.now();
    const due = this.analyzer.push(samples);
    const t2 = performance.now();
    const u = this.unreported;
    u.bytes += bytes.length;
    u.decodeS += (t1 - t0) / 1000;
    u.featureS += (t2 - t1) / 1000;
    this.accept(samples.length, due, arrival);
    if (due.length > 0) this.report();
  }

  /** Hands the unreported audio counts and stage times to /metrics (a second's worth: see `unreported`). */
  private report(): void {
    const { metrics, metadata } = this.ctx;
    const u = this.unreported;
    if (u.bytes > 0) metrics.audioBytes.inc(u.bytes);
    if (u.samples > 0) metrics.audioSeconds.inc(u.samples / metadata.featureConfig.sampleRate);
    if (u.decodeS > 0 || u.featureS > 0) {
      metrics.decodeDuration.observe(u.decodeS);
      metrics.featureDuration.observe(u.featureS);
    }
    u.bytes = u.samples = u.decodeS = u.featureS = 0;
  }

  /**
   * End of audio: labels the partial last second, waits for every label to be delivered, publishes
   * and returns `end`. Undefined if the stream was closed meanwhile. Frees the audio input.
   */
  async finish(reason: EndReason, arrival: number): Promise<EndMessage | undefined> {
    if (this.closed || !this.input) return undefined;
    const input = this.input;
    const tail = input.flush();
    const due = [...this.analyzer.push(tail), ...this.analyzer.finish()];
    this.accept(tail.length, due, arrival);
    if (input.pendingBytes > 0) this.log.info({ bytes: input.pendingBytes }, 'stream ended inside a sample frame; partial frame dropped');
    this.freeInput();
    await this.outbox.idle();
    if (this.closed) return undefined;
    const end: EndMessage = { type: 'end', ...this.summary(), reason };
    this.closed = true;
    this.ctx.bus.publish({ ...end, sessionId: this.sessionId, seq: ++this.seq });
    this.webhook('summary', end);
    return end;
  }

  /**
   * The transport is gone (client closed, error, terminate): drop what is still in flight, free
   * the input and tell subscribers the session ended. Idempotent; a no-op after `finish`.
   */
  close(reason: SessionEndReason): void {
    this.freeInput();
    if (this.closed) return;
    this.closed = true;
    const end = { type: 'end' as const, ...this.summary(), reason };
    this.ctx.bus.publish({ ...end, sessionId: this.sessionId, seq: ++this.seq });
    this.webhook('summary', end);
  }

  /** Queues a webhook (never waits): the event plus which session, under its key if it has one. */
  private webhook(event: 'alert' | 'summary', body: object): void {
    this.ctx.supervision.webhooks?.enqueue(event, { sessionId: this.sessionId, ...(this.info.key !== undefined ? { key: this.info.key } : {}), ...body });
  }

  private summary(): Omit<EndMessage, 'type' | 'reason'> {
    const pooled = poolTimeline(this.timeline, this.ctx.metadata.labels);
    return {
      seconds: this.timeline.length,
      summary: {
        label: pooled.label,
        scores: pooled.scores,
        voicedSeconds: this.timeline.filter((e) => e.voiced).length,
        durationMs: this.audioMs,
        ...this.supervisor.summary(),
      },
    };
  }

  private freeInput(): void {
    this.input?.free();
    this.input = undefined;
    this.report();
  }

  private accept(samples: number, due: DueWindow[], arrival: number): void {
    if (samples > 0) {
      this.firstAudioAt ??= arrival;
      this.samples += samples;
      this.unreported.samples += samples;
      // Admission's busy-share prediction reads this at once (a plain number: nothing per message to batch).
      this.ctx.metrics.audioSecondsReceived += samples / this.ctx.metadata.featureConfig.sampleRate;
    }
    // A client more than a second ahead of real time queues its own labels: their latency says
    // nothing of the server's headroom (admission/headroom.ts).
    const realTime = this.audioMs - (arrival - (this.firstAudioAt ?? arrival)) <= AHEAD_OF_REAL_TIME_MS;
    for (const d of due) this.emit(d, arrival, realTime);
  }

  /** Schedules one due window's label: inference if voiced, then the delivery, in stream order. */
  private emit(due: DueWindow, arrival: number, realTime: boolean): void {
    const { metadata, engine } = this.ctx;
    const entry: Promise<TimelineEntry> = due.voiced
      ? engine.score(due).then((r) => toTimelineEntry(due, metadata, r.scores, r.row))
      : Promise.resolve(toTimelineEntry(due, metadata));
    // Handled by the chain below; this keeps an early rejection from counting as unhandled.
    entry.catch(() => undefined);
    this.inflight++;
    this.backpressure();
    this.outbox.add(async () => {
      const e = await entry;
      this.inflight--;
      this.backpressure();
      if (this.closed) return;
      this.timeline.push(e);
      const step = this.supervisor.observe(e);
      const message: EmotionMessage = { type: 'emotion', ...e, ...step.fields, ...(step.settled ? { settled: step.settled } : {}) };
      this.output.emotion(message);
      this.ctx.bus.publish({ ...message, sessionId: this.sessionId, seq: ++this.seq });
      for (const a of step.alerts) {
        const alert: AlertMessage = { type: 'alert', ...a };
        this.output.alert?.(alert);
        this.ctx.bus.publish({ ...alert, sessionId: this.sessionId, seq: ++this.seq });
        this.ctx.metrics.alerts.inc({ rule: a.rule });
        this.webhook('alert', alert);
      }
      const band = this.ctx.band ?? 'wideband';
      const latencyMs = performance.now() - arrival;
      this.ctx.metrics.labelLatency.observe({ band }, latencyMs / 1000);
      if (realTime) this.ctx.metrics.recentLabelLatency.observe(latencyMs);
      this.ctx.metrics.labels.inc({ voiced: String(e.voiced), band });
    });
  }

  private backpressure(): void {
    if (!this.paused && this.inflight > PAUSE_ABOVE) {
      this.paused = true;
      this.output.flow?.(true);
    } else if (this.paused && this.inflight < RESUME_BELOW) {
      this.paused = false;
      this.output.flow?.(false);
    }
  }
}
