/**
 * The demo page (web/index.html, served at / by the server): microphone or a file streamed at
 * real-time pace, the current label, a per-second stacked-bar chart of the scores,
 * and the latency of each label (sending the audio that completes second k -> receiving label k).
 * The microphone is sent as Opus (WebCodecs AudioEncoder, AudioContext at 48 kHz) when the browser
 * can encode it, else as pcm_f32le; the "microphone as" select picks. Files are sent as pcm_f32le.
 * The agent view (agent-view.ts) follows another live session by key.
 */
import { type EmotionMessage, type Session, connect } from '../client-sdk/index.js';
import { startAgentView } from './agent-view.js';
import { drawChart } from './chart.js';
import { type Microphone, monoSamples, startMicrophone } from '../client-sdk/browser/microphone.js';
import { OPUS_ENCODER_PRE_SKIP, OpusFrameEncoder, isOpusEncodingSupported } from '../client-sdk/browser/opus-encoder.js';

type Encoding = 'opus' | 'pcm_f32le';

const COLORS: Record<string, string> = {
  neutral: '#5f6b7a',
  calm: '#20c997',
  happy: '#fab005',
  sad: '#4c6ef5',
  angry: '#fa5252',
  fearful: '#be4bdb',
  disgust: '#82c91e',
  surprised: '#fd7e14',
};
const FALLBACK = ['#15aabf', '#e64980', '#7950f2', '#40c057'];

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const micButton = $<HTMLButtonElement>('mic');
const stopButton = $<HTMLButtonElement>('stop');
const fileInput = $<HTMLInputElement>('file');
const stateEl = $('state');
const errorEl = $('error');
const labelEl = $('label');
const secondEl = $('second');
const latencyEl = $('latency');
const latencyMeanEl = $('latency-mean');
const inputEl = $('input');
const encodingSelect = $<HTMLSelectElement>('encoding');
const encodingNote = $('encoding-note');
const encodingInfoEl = $('encoding-info');
const canvas = $<HTMLCanvasElement>('chart');
const legend = $('legend');

interface Run {
  session: Session;
  sampleRate: number;
  samplesSent: number;
  /** performance.now() when the audio completing second k was handed to the SDK. */
  completedAt: Map<number, number>;
  /** Opus runs: the encoder whose packets go to session.sendOpus. */
  encoder?: OpusFrameEncoder;
  stopSource: () => Promise<void>;
  stopping: boolean;
}

let run: Run | undefined;
let labels: string[] = [];
let seconds: EmotionMessage[] = [];
let latencies: number[] = [];

function setState(state: 'idle' | 'connecting' | 'streaming' | 'stopping' | 'error', text: string = state): void {
  stateEl.dataset.state = state;
  stateEl.textContent = text;
  const busy = state === 'connecting' || state === 'streaming' || state === 'stopping';
  micButton.disabled = busy;
  encodingSelect.disabled = busy || encodingSelect.dataset.opus !== 'supported';
  fileInput.disabled = busy;
  stopButton.disabled = state !== 'streaming';
}

function colorOf(label: string): string {
  return COLORS[label] ?? FALLBACK[labels.indexOf(label) % FALLBACK.length];
}

function streamUrl(): string {
  const u = new URL('/v1/stream', location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

function reset(): void {
  seconds = [];
  latencies = [];
  labelEl.textContent = '–';
  labelEl.dataset.voiced = 'false';
  secondEl.textContent = latencyEl.textContent = latencyMeanEl.textContent = '–';
  errorEl.textContent = '';
  draw();
}

/**
 * Opens a session for mono f32 audio at `sampleRate`, sent as `encoding` (Opus: encoded here,
 * preSkip = the libopus encoder delay); `stopSource` ends the audio source.
 */
async function begin(
  sampleRate: number,
  describe: string,
  stopSource: () => Promise<void>,
  encoding: Encoding = 'pcm_f32le',
): Promise<Run> {
  const token = new URLSearchParams(location.search).get('token') ?? new URLSearchParams(location.search).get('api_key') ?? undefined;
  const session =
    encoding === 'opus'
      ? await connect({ url: streamUrl(), token, encoding: 'opus', sampleRate, channels: 1, preSkip: OPUS_ENCODER_PRE_SKIP })
      : await connect({ url: streamUrl(), token, encoding: 'pcm_f32le', sampleRate, channels: 1 });
  labels = session.ready.model.labels as string[];
  legend.replaceChildren(
    ...labels.map((l) => {
      const s = document.createElement('span');
      s.style.setProperty('--c', colorOf(l));
      s.textContent = l;
      return s;
    }),
  );
  inputEl.textContent = `${describe}, ${sampleRate} Hz`;
  encodingInfoEl.textContent = encoding === 'opus' ? 'opus (WebCodecs)' : 'pcm_f32le';
  const r: Run = { session, sampleRate, samplesSent: 0, completedAt: new Map(), stopSource, stopping: false };
  if (encoding === 'opus') {
    r.encoder = new OpusFrameEncoder({
      sampleRate,
      onPacket: (p) => void session.sendOpus(p).catch((e: Error) => void finish(r, e.message)),
      onError: (e) => void finish(r, `Opus encoder: ${e.message}`),
    });
  }
  session.on('emotion', (m) => onEmotion(r, m));
  session.on('error', (e) => void finish(r, e.message));
  session.on('close', () => void finish(r));
  return r;
}

/** Hands samples to the session, noting when each whole second of audio was completed. */
function send(r: Run, samples: Float32Array): void {
  if (r.stopping) return;
  const before = Math.floor(r.samplesSent / r.sampleRate);
  r.samplesSent += samples.length;
  const after = Math.floor(r.samplesSent / r.sampleRate);
  const now = performance.now();
  for (let k = before + 1; k <= after; k++) r.completedAt.set(k, now);
  if (r.encoder) r.encoder.encode(samples);
  else r.session.sendPcm(samples).catch((e: Error) => void finish(r, e.message));
}

function onEmotion(r: Run, m: EmotionMessage): void {
  const sentAt = r.completedAt.get(m.second);
  if (sentAt !== undefined) {
    const ms = performance.now() - sentAt;
    latencies.push(ms);
    latencyEl.textContent = `${Math.round(ms)} ms`;
    latencyMeanEl.textContent = `${Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length)} ms`;
    r.completedAt.delete(m.second);
  }
  seconds.push(m);
  secondEl.textContent = String(m.second);
  labelEl.textContent = m.voiced ? (m.label ?? '?') : 'silence';
  labelEl.dataset.voiced = String(m.voiced);
  if (m.voiced) labelEl.style.color = colorOf(m.label ?? '');
  else labelEl.style.removeProperty('color');
  draw();
}

async function finish(r: Run, error?: string): Promise<void> {
  if (error) errorEl.textContent = error;
  if (r.stopping) return;
  r.stopping = true;
  await r.stopSource().catch(() => undefined);
  // Flushing hands the encoder's last packets to sendOpus before stop() is sent.
  await r.encoder?.close().catch(() => undefined);
  if (!error) {
    setState('stopping');
    try {
      const end = await r.session.stop();
      setState('idle', end.summary.label ? `done: ${end.summary.label} overall` : 'done');
    } catch (e) {
      errorEl.textContent = (e as Error).message;
      setState('error', 'error');
    }
  } else {
    r.session.close();
    setState('error', 'error');
  }
  if (run === r) run = undefined;
}

async function startMic(): Promise<void> {
  reset();
  setState('connecting');
  let r: Run | undefined;
  const pending: Float32Array[] = [];
  let mic: Microphone | undefined;
  const encoding = encodingSelect.value as Encoding;
  try {
    // Opus takes 8/12/16/24/48 kHz only: the context runs at 48 kHz and the browser resamples the microphone.
    mic = await startMicrophone({
      ...(encoding === 'opus' ? { sampleRate: 48000 } : {}),
      onFrame: (pcm) => (r ? send(r, pcm) : pending.push(pcm)),
    });
    const m = mic;
    r = await begin(m.sampleRate, 'microphone', () => m.stop(), encoding);
    for (const p of pending.splice(0)) send(r, p);
    run = r;
    setState('streaming');
  } catch (e) {
    await mic?.stop();
    errorEl.textContent = (e as Error).message;
    setState('error', 'error');
  }
}

async function startFile(file: File): Promise<void> {
  reset();
  setState('connecting');
  try {
    const ctx = new AudioContext();
    const decoded = await ctx.decodeAudioData(await file.arrayBuffer()).finally(() => ctx.close());
    const samples = monoSamples(decoded);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done: () => void = () => undefined;
    const r = await begin(decoded.sampleRate, file.name, async () => {
      clearTimeout(timer);
      done();
    });
    run = r;
    setState('streaming');
    // Real-time pace: 100 ms chunks, each sent when its stream time has come.
    const chunk = Math.round(decoded.sampleRate / 10);
    const t0 = performance.now();
    let offset = 0;
    await new Promise<void>((resolve) => {
      done = resolve;
      const tick = (): void => {
        if (r.stopping) {
          resolve();
          return;
        }
        const due = Math.min(samples.length, Math.floor(((performance.now() - t0) / 1000) * decoded.sampleRate) + chunk);
        while (offset < due) {
          const end = Math.min(due, offset + chunk);
          send(r, samples.slice(offset, end));
          offset = end;
        }
        if (offset >= samples.length) {
          resolve();
          return;
        }
        timer = setTimeout(tick, 50);
      };
      tick();
    });
    if (!r.stopping) await finish(r);
  } catch (e) {
    errorEl.textContent = (e as Error).message;
    setState('error', 'error');
  }
}

function draw(): void {
  drawChart(canvas, seconds, labels, colorOf);
}

micButton.addEventListener('click', () => void startMic());
stopButton.addEventListener('click', () => {
  if (run) void finish(run);
});
fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  fileInput.value = '';
  if (f) void startFile(f);
});
window.addEventListener('resize', draw);
setState('idle');
draw();
startAgentView(colorOf);
// Default: Opus when this browser can encode it, else PCM (the note says why).
void isOpusEncodingSupported().then((ok) => {
  encodingSelect.dataset.opus = ok ? 'supported' : 'unsupported';
  const opusOption = encodingSelect.querySelector<HTMLOptionElement>('option[value="opus"]')!;
  opusOption.disabled = !ok;
  encodingSelect.value = ok ? 'opus' : 'pcm_f32le';
  encodingNote.textContent = ok ? '' : 'Opus not supported by this browser (no WebCodecs AudioEncoder opus): sending PCM';
  encodingSelect.disabled =
    !ok || stateEl.dataset.state === 'connecting' || stateEl.dataset.state === 'streaming' || stateEl.dataset.state === 'stopping';
});
