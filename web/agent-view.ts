/**
 * The demo page's agent view: enter a session key (a call's key or callSid, or a session id) and
 * watch that caller's live mood, as an agent's desktop would: the SDK's `subscribe` (WebSocket),
 * the recent history first, then one label per second, the mood so far (mean of the voiced
 * seconds' scores), the steady (smoothed) label and its trajectory, the settled label (decided a
 * few seconds after its second, core/supervision/settling.ts), alerts as they fire, and the
 * call summary at the end (the settled timeline as a bar, the shares, the alerts fired). Live sessions are listed (GET /v1/sessions) to
 * pick from. The subscriber key comes from the page's `?subscriber_key=` (else `?token=`).
 */
import {
  type SessionAlertMessage,
  type SessionEmotionMessage,
  type SessionEndMessage,
  type Subscription,
  UndertoneError,
  subscribe,
} from '../client-sdk/index.js';
import { drawChart } from './chart.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export function startAgentView(colorOf: (label: string) => string): void {
  const keyInput = $<HTMLInputElement>('agent-key');
  const trackSelect = $<HTMLSelectElement>('agent-track');
  const watchButton = $<HTMLButtonElement>('agent-watch');
  const unwatchButton = $<HTMLButtonElement>('agent-unwatch');
  const stateEl = $('agent-state');
  const errorEl = $('agent-error');
  const labelEl = $('agent-label');
  const secondEl = $('agent-second');
  const sessionEl = $('agent-session');
  const moodEl = $('agent-mood');
  const steadyEl = $('agent-steady');
  const settledEl = $('agent-settled');
  const alertsEl = $<HTMLUListElement>('agent-alerts');
  const canvas = $<HTMLCanvasElement>('agent-chart');
  const smoothedCanvas = $<HTMLCanvasElement>('agent-smoothed-chart');
  const summaryEl = $('agent-summary');
  const liveEl = $('live-sessions');
  const params = new URLSearchParams(location.search);
  const token = params.get('subscriber_key') ?? params.get('token') ?? params.get('api_key') ?? undefined;

  let sub: Subscription | undefined;
  let seconds: SessionEmotionMessage[] = [];
  let labels: string[] = [];

  const setState = (state: 'idle' | 'connecting' | 'watching' | 'error', text: string = state): void => {
    stateEl.dataset.state = state;
    stateEl.textContent = text;
    const busy = state === 'connecting' || state === 'watching';
    watchButton.disabled = busy;
    unwatchButton.disabled = !busy;
    keyInput.disabled = busy;
    trackSelect.disabled = busy;
  };
  /** A second as its smoothed view: the same bar chart, drawn from the smoothed scores. */
  const smoothedOf = (m: SessionEmotionMessage): SessionEmotionMessage =>
    m.voiced && m.smoothed ? { ...m, label: m.smoothed.label, scores: m.smoothed.scores } : m;
  const draw = (): void => {
    drawChart(canvas, seconds, labels, colorOf);
    drawChart(smoothedCanvas, seconds.map(smoothedOf), labels, colorOf);
  };

  /** Mean of the voiced seconds' scores and its argmax: the call's mood so far. */
  const mood = (): string => {
    const voiced = seconds.filter((m) => m.voiced && m.scores);
    if (voiced.length === 0) return '–';
    const mean = new Map<string, number>();
    for (const m of voiced) for (const [l, p] of Object.entries(m.scores!)) mean.set(l, (mean.get(l) ?? 0) + (p as number) / voiced.length);
    const [best, p] = [...mean].reduce((a, b) => (b[1] > a[1] ? b : a));
    return `${best} (${Math.round(p * 100)}%)`;
  };

  const onEmotion = (m: SessionEmotionMessage): void => {
    // The model's labels, in score order, from the first voiced second.
    if (labels.length === 0 && m.scores) labels = Object.keys(m.scores);
    seconds.push(m);
    secondEl.textContent = String(m.second);
    labelEl.textContent = m.voiced ? (m.label ?? '?') : 'silence';
    labelEl.dataset.voiced = String(m.voiced);
    if (m.voiced) labelEl.style.color = colorOf(m.label ?? '');
    else labelEl.style.removeProperty('color');
    moodEl.textContent = mood();
    if (m.smoothed) {
      steadyEl.textContent = m.smoothed.label;
      steadyEl.style.color = colorOf(m.smoothed.label);
    }
    if (m.settled) {
      settledEl.textContent = `${m.settled.label} (at ${m.settled.second} s)`;
      settledEl.dataset.label = m.settled.label;
      settledEl.dataset.second = String(m.settled.second);
      settledEl.style.color = colorOf(m.settled.label);
    }
    canvas.dataset.labels = seconds.map((s) => (s.voiced ? s.label : '-')).join(',');
    smoothedCanvas.dataset.labels = seconds.map((s) => (s.voiced ? (s.smoothed?.label ?? '?') : '-')).join(',');
    draw();
  };

  /** The call summary at the end: the settled timeline as a bar of segments, the shares, the alerts fired. */
  const showSummary = (summary: SessionEndMessage['summary']): void => {
    const total = summary.segments.reduce((sum, g) => sum + (g.endMs - g.startMs), 0);
    const bar = document.createElement('div');
    bar.className = 'segments';
    for (const g of summary.segments) {
      const part = document.createElement('span');
      part.style.flex = String(g.endMs - g.startMs);
      part.style.background = colorOf(g.label);
      part.title = `${(g.startMs / 1000).toFixed(1)}-${(g.endMs / 1000).toFixed(1)} s ${g.label}`;
      bar.append(part);
    }
    const shares = Object.entries(summary.voicedShare)
      .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
      .map(([l, v]) => `${l} ${Math.round((v ?? 0) * 100)}%`)
      .join(', ');
    const alerts =
      Object.entries(summary.alertCounts)
        .map(([rule, n]) => `${rule} ×${n}`)
        .join(', ') || 'none';
    const line = document.createElement('div');
    line.textContent = `call summary: ${shares || 'no speech'}; alerts: ${alerts}`;
    summaryEl.replaceChildren(line, ...(total > 0 ? [bar] : []));
    summaryEl.dataset.segments = summary.segments.map((g) => `${g.label}@${g.startMs}-${g.endMs}`).join(',');
  };

  const onAlert = (a: SessionAlertMessage): void => {
    const li = document.createElement('li');
    li.dataset.rule = a.rule;
    li.dataset.second = String(a.second);
    li.textContent = `${a.rule} at ${(a.endMs / 1000).toFixed(0)} s: ${a.label} (${Math.round(a.score * 100)}%)`;
    alertsEl.prepend(li);
    alertsEl.dataset.count = String(alertsEl.children.length);
  };

  const watch = async (): Promise<void> => {
    const id = keyInput.value.trim();
    if (!id) {
      errorEl.textContent = 'enter a session key, callSid or session id';
      return;
    }
    sub?.close();
    seconds = [];
    errorEl.textContent = '';
    labelEl.textContent = '–';
    labelEl.dataset.voiced = 'false';
    secondEl.textContent = sessionEl.textContent = moodEl.textContent = steadyEl.textContent = settledEl.textContent = '–';
    steadyEl.style.removeProperty('color');
    settledEl.style.removeProperty('color');
    delete settledEl.dataset.label;
    delete settledEl.dataset.second;
    alertsEl.replaceChildren();
    alertsEl.dataset.count = '0';
    delete canvas.dataset.labels;
    delete smoothedCanvas.dataset.labels;
    summaryEl.replaceChildren();
    delete summaryEl.dataset.segments;
    draw();
    setState('connecting');
    try {
      const s = await subscribe({ url: location.href, id, token, ...(trackSelect.value ? { track: trackSelect.value } : {}) });
      sub = s;
      sessionEl.textContent = s.sessions.map((i) => `${i.key ?? i.sessionId}${i.track ? ` (${i.track})` : ''}`).join(', ');
      s.on('emotion', onEmotion);
      s.on('alert', onAlert);
      s.on('end', (m) => {
        if (s.sessions.length !== 1) return;
        moodEl.textContent = m.summary.label ? `${m.summary.label} (call ended)` : 'no speech (call ended)';
        showSummary(m.summary);
      });
      s.on('error', (e) => (errorEl.textContent = e.message));
      s.on('close', () => {
        if (sub !== s) return;
        sub = undefined;
        setState(errorEl.textContent ? 'error' : 'idle', errorEl.textContent ? 'error' : 'call ended');
        void refresh();
      });
      setState('watching');
    } catch (e) {
      errorEl.textContent =
        e instanceof UndertoneError && e.code === 'session_not_found' ? `no live session "${id}"` : (e as Error).message;
      setState('error', 'error');
    }
  };

  /** The live sessions to pick from (hidden if the listing is not allowed). */
  const refresh = async (): Promise<void> => {
    try {
      const res = await fetch('/v1/sessions', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
      if (!res.ok) {
        liveEl.textContent = '';
        return;
      }
      const { sessions } = (await res.json()) as { sessions: { sessionId: string; key?: string; track?: string; source: string }[] };
      if (sessions.length === 0) {
        liveEl.textContent = 'no live sessions';
        return;
      }
      liveEl.replaceChildren(
        'live: ',
        ...sessions.map((info) => {
          const b = document.createElement('button');
          b.className = 'secondary';
          b.textContent = `${info.key ?? info.sessionId.slice(0, 8)}${info.track ? ` · ${info.track}` : ''}`;
          b.addEventListener('click', () => {
            if (sub) return;
            keyInput.value = info.key ?? info.sessionId;
            trackSelect.value = info.track ?? '';
            void watch();
          });
          return b;
        }),
      );
    } catch {
      liveEl.textContent = '';
    }
  };

  watchButton.addEventListener('click', () => void watch());
  keyInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void watch();
  });
  unwatchButton.addEventListener('click', () => {
    const s = sub;
    sub = undefined;
    s?.close();
    setState('idle');
  });
  window.addEventListener('resize', draw);
  setInterval(() => {
    if (!sub && document.visibilityState === 'visible') void refresh();
  }, 3000);
  setState('idle');
  draw();
  void refresh();
}
