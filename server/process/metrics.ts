/**
 * Prometheus metrics (prom-client) of one server process. In cluster mode each worker keeps its
 * own registry and the primary aggregates them (counters and histograms summed, live-session
 * gauges summed, default process metrics as prom-client aggregates them) for /metrics.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RecentLatency, measuredDelayMs } from '../admission/headroom.js';
import { LastTwoSeconds } from '../admission/recent.js';
import { RecentUtilization } from '../admission/utilization.js';

/** Latency buckets (seconds): sub-millisecond to a few seconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const LAG_SAMPLE_MS = 100;
/**
 * The sampler's period while the process has no audio connection. Each sample reads the process's
 * and, every 250 ms, the machine's CPU times (os.cpus(): ~1.6 ms of CPU a second at that rate,
 * measured); an idle worker has no session to admit against them, so it samples once a second
 * and is woken to the busy rate by the next upgrade (`wake`).
 */
const IDLE_SAMPLE_MS = 1000;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly labelLatency: Histogram<'band'>;
  readonly batchSize: Histogram<'band'>;
  readonly inferenceDuration: Histogram<'band'>;
  readonly inferenceQueueWait: Histogram<'band'>;
  readonly featureDuration: Histogram;
  readonly decodeDuration: Histogram;
  readonly eventLoopLag: Histogram;
  readonly liveSessions: Gauge;
  readonly queuedWindows: Gauge<'band'>;
  readonly sessionLimit: Gauge;
  readonly sessions: Counter<'encoding' | 'band'>;
  readonly sessionEnds: Counter<'reason'>;
  readonly audioSeconds: Counter;
  readonly audioBytes: Counter;
  readonly labels: Counter<'voiced' | 'band'>;
  readonly errors: Counter<'code'>;
  readonly shed: Counter<'limit'>;
  readonly inboundBufferMax: Gauge;
  readonly outboundBufferMax: Gauge;
  private inboundMax = 0;
  private outboundMax = 0;
  readonly subscribers: Gauge;
  readonly subscribersDropped: Counter;
  /** Label latencies of the last second, of sessions streaming at about real time (admission's headroom). */
  readonly recentLabelLatency = new RecentLatency(1000);
  /** Event-loop lag samples of the last second: how long an arriving message waits to be read (admission's headroom). */
  readonly recentLoopLag = new RecentLatency(1000);
  /** Busy share of this process over the last second (admission's prediction of one more session's cost). */
  readonly recentUtilization = new RecentUtilization(() => this.audioSecondsReceived, 1000);
  /** Seconds of audio received so far (the admission's audio rate; the counter is for scraping). */
  audioSecondsReceived = 0;
  /** The admission's measured label delay (headroom.ts), read at scrape time. */
  readonly admissionDelay: Gauge;
  readonly busyRatio: Gauge;
  readonly busUp: Gauge;
  readonly busEventsDropped: Counter;
  readonly alerts: Counter<'rule'>;
  readonly webhooks: Counter<'outcome' | 'reason'>;
  private lagTimer?: NodeJS.Timeout;
  /** The sampler's current period (LAG_SAMPLE_MS or IDLE_SAMPLE_MS) and when its timer is due. */
  private samplePeriodMs = LAG_SAMPLE_MS;
  private sampleDueAt = 0;
  private active: () => boolean = () => true;
  /** Worst lag (ms) of the current and the previous second (admission control reads it). */
  private readonly worstLag = new LastTwoSeconds('max');

  constructor() {
    const registers = [this.registry];
    // prom-client samples event-loop delay with a libuv timer of this period: its default 10 ms
    // woke an idle process 100 times a second (4.8 ms of CPU a second, measured); at 100 ms it
    // still cost ~1 ms a second per process, idle or not (measured 2026-12-02). Its nodejs_eventloop_lag_*
    // series duplicate undertone_event_loop_lag_seconds (our sampler, which admission reads and the
    // dashboard shows), so it samples once a second. Read them with care: node's monitorEventLoopDelay
    // records the interval between its timer's runs, not the delay beyond it, so they sit at ~1 s on
    // an idle loop (min ~0.999 s); the dashboard and the soak read our histogram instead.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: IDLE_SAMPLE_MS });
    this.labelLatency = new Histogram({
      name: 'undertone_label_latency_seconds',
      help: 'From the arrival of the audio message that completes a second to the send of its emotion label, by model band',
      labelNames: ['band'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'undertone_inference_batch_size',
      help: 'Windows per onnxruntime call (across all sessions), by model band',
      labelNames: ['band'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: 'undertone_inference_duration_seconds',
      help: 'Duration of one onnxruntime call, by model band',
      labelNames: ['band'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inferenceQueueWait = new Histogram({
      name: 'undertone_inference_queue_wait_seconds',
      help: 'From a voiced window being queued for inference to the start of the call that scores it, by model band',
      labelNames: ['band'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.featureDuration = new Histogram({
      name: 'undertone_feature_duration_seconds',
      help: 'Feature extraction and windowing (16 kHz samples -> due windows) of one second of a stream\'s audio (observed at each label)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.decodeDuration = new Histogram({
      name: 'undertone_decode_duration_seconds',
      help: 'Decoding and resampling to 16 kHz mono of one second of a stream\'s audio (observed at each label)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.eventLoopLag = new Histogram({
      name: 'undertone_event_loop_lag_seconds',
      help: `Delay of a ${LAG_SAMPLE_MS} ms timer (${IDLE_SAMPLE_MS} ms while the process has no audio connection) beyond its due time (how long the loop was busy)`,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.liveSessions = new Gauge({ name: 'undertone_live_sessions', help: 'Open WebSocket sessions', registers });
    // The same value in every worker: 'first' keeps the cluster's /metrics from summing it.
    this.sessionLimit = new Gauge({ name: 'undertone_session_limit', help: 'The optional ceiling on live sessions (--max-sessions, across all workers; 0 = none, admission follows measured latency): saturation = live / limit when set', aggregator: 'first', registers });
    this.queuedWindows = new Gauge({ name: 'undertone_queued_windows', help: 'Voiced windows waiting for inference, by model band', labelNames: ['band'], registers });
    this.sessions = new Counter({ name: 'undertone_sessions_total', help: 'Sessions started (accepted start messages), by encoding and model band', labelNames: ['encoding', 'band'], registers });
    this.sessionEnds = new Counter({ name: 'undertone_session_ends_total', help: 'Sessions ended, by reason (stop, idle_timeout, shutdown, client_closed, error)', labelNames: ['reason'], registers });
    this.audioSeconds = new Counter({ name: 'undertone_audio_seconds_total', help: 'Seconds of audio received (at 16 kHz after decoding)', registers });
    this.audioBytes = new Counter({ name: 'undertone_audio_bytes_total', help: 'Bytes of binary audio messages received', registers });
    this.labels = new Counter({ name: 'undertone_labels_total', help: 'Emotion messages sent, by voiced and model band', labelNames: ['voiced', 'band'], registers });
    this.shed = new Counter({
      name: 'undertone_sessions_shed_total',
      help: 'Connections refused with overloaded (1013) or key_session_limit, by what refused them (latency, pace, queue, lag, sessions, key)',
      labelNames: ['limit'],
      registers,
    });
    this.inboundBufferMax = new Gauge({
      name: 'undertone_session_inbound_buffer_max_bytes',
      help: 'Largest amount of received, not yet handled message bytes any session held (since start)',
      registers,
    });
    this.outboundBufferMax = new Gauge({
      name: 'undertone_session_outbound_buffer_max_bytes',
      help: 'Largest amount of unsent outgoing bytes (ws.bufferedAmount) any session held (since start)',
      registers,
    });
    this.errors = new Counter({ name: 'undertone_errors_total', help: 'Error messages sent to clients, by error code', labelNames: ['code'], registers });
    this.subscribers = new Gauge({ name: 'undertone_subscribers', help: 'Open subscriptions (WebSocket and SSE) to live sessions', registers });
    this.subscribersDropped = new Counter({ name: 'undertone_subscribers_dropped_total', help: 'Subscribers dropped because they did not read fast enough', registers });
    const recent = { labels: this.recentLabelLatency, loopLag: this.recentLoopLag };
    this.admissionDelay = new Gauge({
      name: 'undertone_admission_delay_seconds',
      help: 'What admission compares with --latency-target-ms: p95 label latency of real-time sessions + median event-loop lag, last second (max over workers)',
      aggregator: 'max',
      registers,
      collect() {
        this.set(measuredDelayMs(recent, performance.now()) / 1000);
      },
    });
    const utilization = this.recentUtilization;
    this.busyRatio = new Gauge({
      name: 'undertone_busy_ratio',
      help: 'Busy share over the last second: the largest of the event-loop utilisation and CPU time per wall time of this process and the CPU busy share of its machine (max over workers); admission predicts it with one more session against --max-utilization',
      aggregator: 'max',
      registers,
      collect() {
        this.set(utilization.current(performance.now())?.busy ?? 0);
      },
    });
    // 'min': in cluster mode one worker without Redis makes the replica's bus down.
    this.busUp = new Gauge({ name: 'undertone_bus_up', help: 'Session bus reachable (1) or not (0): Redis when REDIS_URL is set, else always 1', aggregator: 'min', registers });
    this.busUp.set(1);
    this.busEventsDropped = new Counter({
      name: 'undertone_bus_events_dropped_total',
      help: 'Labels and ends not shared with subscribers because the session bus (Redis) was unreachable (the audio client still got them)',
      registers,
    });
    this.alerts = new Counter({ name: 'undertone_alerts_total', help: 'Alerts fired, by rule (--alert-rules or the built-in set)', labelNames: ['rule'], registers });
    this.webhooks = new Counter({
      name: 'undertone_webhook_events_total',
      help: 'Webhook outcomes: delivered, retry (an attempt failed, another follows), failed (gave up), dropped (queue full or shutdown); reason of a failure',
      labelNames: ['outcome', 'reason'],
      registers,
    });
  }

  /**
   * Starts sampling event-loop lag and the busy share (an unref'd timer): every LAG_SAMPLE_MS
   * while `active()` (the process has audio connections), every IDLE_SAMPLE_MS otherwise. The lag
   * of a sample is how late its timer fired, whatever the period.
   */
  startLagSampler(active: () => boolean = () => true): void {
    if (this.lagTimer) return;
    this.active = active;
    this.scheduleSample(active() ? LAG_SAMPLE_MS : IDLE_SAMPLE_MS);
  }

  /** A connection is arriving: an idle sampler goes to the busy rate at once, so admission reads fresh figures. */
  wake(): void {
    if (!this.lagTimer || this.samplePeriodMs === LAG_SAMPLE_MS) return;
    clearTimeout(this.lagTimer);
    this.scheduleSample(LAG_SAMPLE_MS);
  }

  private scheduleSample(periodMs: number): void {
    this.samplePeriodMs = periodMs;
    this.sampleDueAt = performance.now() + periodMs;
    this.lagTimer = setTimeout(() => this.sample(), periodMs);
    this.lagTimer.unref();
  }

  private sample(): void {
    const now = performance.now();
    const lag = Math.max(0, now - this.sampleDueAt);
    this.eventLoopLag.observe(lag / 1000);
    this.recentLoopLag.observe(lag, now);
    this.recentUtilization.sample(now);
    this.worstLag.add(lag, now);
    this.scheduleSample(this.active() ? LAG_SAMPLE_MS : IDLE_SAMPLE_MS);
  }

  noteInboundBuffer(bytes: number): void {
    if (bytes > this.inboundMax) this.inboundBufferMax.set((this.inboundMax = bytes));
  }

  noteOutboundBuffer(bytes: number): void {
    if (bytes > this.outboundMax) this.outboundBufferMax.set((this.outboundMax = bytes));
  }

  /** The worst event-loop lag (ms) sampled over roughly the last one to two seconds. */
  recentLagMs(): number {
    return this.worstLag.worst();
  }

  stop(): void {
    if (this.lagTimer) clearTimeout(this.lagTimer);
    this.lagTimer = undefined;
  }
}
