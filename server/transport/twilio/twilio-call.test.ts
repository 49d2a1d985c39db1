/**
 * The Twilio Media Streams endpoint with a simulated Twilio client (test/clients/twilio-client.ts):
 * two real corpus files as the caller (inbound) and the agent (outbound), 8 kHz mu-law in 20 ms
 * `media` messages. A WebSocket subscriber (by callSid, inbound track) and an SSE subscriber (by
 * the customParameters key, inbound track) each receive every label of the caller, in order,
 * equal to `undertone predict --model models/narrowband` on the same telephone audio (Twilio
 * streams get the narrowband model, which GET /v1/sessions names); an outbound subscriber gets the
 * agent's. Plus: the token in customParameters, a wrong media format, and garbage.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { g711Decode } from '../../../core/audio/g711.js';
import { decodeAudioFile } from '../../../core/audio/decode-file.js';
import { resampleAll } from '../../../core/audio/resample.js';
import type { EmotionModel } from '../../../core/model/emotion-model.js';
import { type Prediction, predictSamples } from '../../../core/predict.js';
import { corpusFile, longestRow, sampleRows } from '../../../test/corpora.js';
import type { SessionInfo } from '../../events/session-event.js';
import { type TestServer, compareEntry } from '../../../test/harness.js';
import { shippedModels } from '../../../test/shipped-models.js';
import { type TestSubscription, subscribeSse, subscribeWs } from '../../../test/clients/subscription-client.js';
import { playTwilioCall, sid, toMulaw8k } from '../../../test/clients/twilio-client.js';
import { WebSocket } from 'ws';

const shipped = shippedModels({ apiKeys: ['audio-key'], subscriberKeys: ['read-key'], historySeconds: 60 });
let srv: TestServer;
let model: EmotionModel;
let caller: Uint8Array;
let agent: Uint8Array;
let wantCaller: Prediction;
let wantAgent: Prediction;
const READ = { Authorization: 'Bearer read-key' };

beforeAll(async () => {
  // Twilio audio is telephone band: the server labels it with the narrowband model.
  ({ narrowband: model, srv } = shipped);
  const callerRow = longestRow();
  const agentRow = sampleRows(5).find((r) => r.path !== callerRow.path)!;
  caller = toMulaw8k(await decodeAudioFile(corpusFile(callerRow)));
  agent = toMulaw8k(await decodeAudioFile(corpusFile(agentRow)));
  // What the server should compute: the telephone audio back at 16 kHz.
  wantCaller = await predictSamples(model, resampleAll(g711Decode('mulaw', caller), 8000, 16000));
  wantAgent = await predictSamples(model, resampleAll(g711Decode('mulaw', agent), 8000, 16000));
});

async function listed(): Promise<SessionInfo[]> {
  const res = await fetch(`${srv.http}/v1/sessions`, { headers: READ });
  return ((await res.json()) as { sessions: SessionInfo[] }).sessions;
}

function expectTrack(sub: TestSubscription, want: Prediction, sessionId: string): void {
  const got = sub.emotions();
  expect(got.every((m) => m.sessionId === sessionId)).toBe(true);
  expect(got.map((m) => m.second)).toEqual(want.timeline.map((e) => e.second));
  // seq numbers the session's emotions, alerts and end together (docs/protocol.md): an alert the
  // model's labels raise takes its place between two labels.
  const sequenced = sub.messages.filter((m) => m.type === 'emotion' || m.type === 'alert' || m.type === 'end');
  expect(sequenced.map((m) => m.seq)).toEqual(sequenced.map((_m, i) => i + 1));
  let worst = 0;
  got.forEach((m, i) => {
    const { sessionId: _id, seq: _seq, ...emotion } = m;
    worst = Math.max(worst, compareEntry(emotion, want.timeline[i]));
  });
  expect(worst).toBeLessThan(1e-4);
  expect(sub.ends()).toEqual([expect.objectContaining({ sessionId, reason: 'stop', seconds: want.timeline.length })]);
  expect(sub.ends()[0].summary.label).toBe(want.label);
}

describe('Twilio Media Streams endpoint', () => {
  it('caller and agent tracks become two sessions; WebSocket and SSE subscribers get every label of their track in order', async () => {
    const callSid = sid('CA');
    let inboundWs!: TestSubscription;
    let inboundSse!: TestSubscription;
    let outboundWs!: TestSubscription;
    let sessions: SessionInfo[] = [];
    const run = await playTwilioCall(`ws://127.0.0.1:${srv.server.port}/v1/twilio`, {
      callSid,
      tracks: { inbound: caller, outbound: agent },
      customParameters: { token: 'audio-key', key: 'ticket-1234' },
      pace: 8,
      afterStart: async () => {
        await expect.poll(async () => (sessions = (await listed()).filter((s) => s.aliases?.includes(callSid))).length).toBe(2);
        inboundWs = await subscribeWs(`ws://127.0.0.1:${srv.server.port}/v1/sessions/${callSid}/events?track=inbound`, READ);
        inboundSse = await subscribeSse(`${srv.http}/v1/sessions/ticket-1234/events?track=inbound&api_key=read-key`);
        outboundWs = await subscribeWs(`ws://127.0.0.1:${srv.server.port}/v1/sessions/ticket-1234/events?track=outbound`, READ);
      },
    });
    expect(run.close).toEqual({ code: 1000, reason: 'end of stream' });
    const inbound = sessions.find((s) => s.track === 'inbound')!;
    const outbound = sessions.find((s) => s.track === 'outbound')!;
    expect(inbound).toMatchObject({ source: 'twilio', key: 'ticket-1234', aliases: [callSid], encoding: 'audio/x-mulaw' });
    for (const s of [inbound, outbound]) expect(s.model).toEqual({ name: 'undertone-narrowband', version: model.metadata.version, band: 'narrowband' });
    expect(outbound.sessionId).not.toBe(inbound.sessionId);
    for (const sub of [inboundWs, inboundSse, outboundWs]) await sub.done;
    expect(inboundWs.messages[0]).toMatchObject({ type: 'subscribed', sessions: [expect.objectContaining({ sessionId: inbound.sessionId, track: 'inbound' })] });
    expectTrack(inboundWs, wantCaller, inbound.sessionId);
    expectTrack(inboundSse, wantCaller, inbound.sessionId);
    expectTrack(outboundWs, wantAgent, outbound.sessionId);
    expect(wantCaller.timeline.length).toBeGreaterThan(3);
    expect(await listed()).toEqual([]);
  });

  it('a subscriber of the whole call (no track) gets both tracks, each in order', async () => {
    const callSid = sid('CA');
    let sub!: TestSubscription;
    await playTwilioCall(`ws://127.0.0.1:${srv.server.port}/v1/twilio`, {
      callSid,
      tracks: { inbound: caller, outbound: agent },
      customParameters: { token: 'audio-key' },
      afterStart: async () => {
        await expect.poll(async () => (await listed()).filter((s) => s.key === callSid).length).toBe(2);
        sub = await subscribeWs(`ws://127.0.0.1:${srv.server.port}/v1/sessions/${callSid}/events`, READ);
      },
    });
    expect((await sub.done).code).toBe(1000);
    const [first] = sub.messages;
    expect(first.type === 'subscribed' && first.sessions.map((s) => s.track).sort()).toEqual(['inbound', 'outbound']);
    const ids = first.type === 'subscribed' ? first.sessions : [];
    const byTrack = (t: string) => sub.emotions(ids.find((s) => s.track === t)!.sessionId).map((m) => m.second);
    expect(byTrack('inbound')).toEqual(wantCaller.timeline.map((e) => e.second));
    expect(byTrack('outbound')).toEqual(wantAgent.timeline.map((e) => e.second));
    expect(sub.ends()).toHaveLength(2);
  });

  it('without the token in customParameters, or with a wrong one: closed 1008 unauthorized, nothing listed', async () => {
    for (const customParameters of [{}, { token: 'nope' }]) {
      const run = await playTwilioCall(`ws://127.0.0.1:${srv.server.port}/v1/twilio`, { tracks: { inbound: caller.subarray(0, 1600) }, customParameters });
      expect(run.close).toEqual({ code: 1008, reason: 'unauthorized' });
    }
    expect(await listed()).toEqual([]);
  });

  it('plain GET is 426; an unsupported media format gets 1003, garbage gets 1007, media before start 1008', async () => {
    const url = `ws://127.0.0.1:${srv.server.port}/v1/twilio`;
    const exchange = async (messages: string[]): Promise<{ code: number; reason: string }> => {
      const ws = new WebSocket(url);
      const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
      await new Promise((r) => ws.once('open', r));
      for (const m of messages) ws.send(m);
      return closed;
    };
    const start = (encoding: string, sampleRate: number) =>
      JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: 'MZ1', start: { streamSid: 'MZ1', accountSid: 'AC1', callSid: 'CA1', tracks: ['inbound'], customParameters: { token: 'audio-key' }, mediaFormat: { encoding, sampleRate, channels: 1 } } });
    expect((await fetch(`${srv.http}/v1/twilio`)).status).toBe(426);
    expect(await exchange([start('audio/x-l16', 16000)])).toEqual({ code: 1003, reason: 'unsupported_format' });
    expect(await exchange(['{"event":'])).toEqual({ code: 1007, reason: 'invalid_message' });
    expect(await exchange([JSON.stringify({ event: 'media', sequenceNumber: '2', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '' } })])).toEqual({ code: 1008, reason: 'start_required' });
  });
});
