/**
 * `undertone stream FILE --url ws://HOST:PORT/v1/stream [--encoding E] [--realtime] [--json]`:
 * streams a file to a live server with the client SDK and prints each label as it arrives, then
 * the end summary.
 */
import { parseArgs } from 'node:util';
import { AudioInputError } from '../core/errors.js';
import { ENCODINGS, type Encoding, type EndMessage } from '../core/protocol/index.js';
import { formatAlert, formatSecond, topScores } from './format.js';
import { UndertoneError, streamFile } from '../client-sdk/node.js';
import { decimal } from '../server/process/parsers.js';

export const STREAM_USAGE = `usage: undertone stream FILE --url ws://HOST:PORT/v1/stream [--encoding pcm_s16le|pcm_f32le|pcm_mulaw|pcm_alaw|opus]
                       [--realtime | --speed X] [--token KEY] [--json]

Streams a WAV or Ogg Opus file to a live server (docs/protocol.md) and prints each second's
label as it arrives, then the whole stream's label. Ogg Opus files are sent as their own packets
(--encoding opus, the default for them) or decoded to 16 kHz PCM; WAV files as PCM (default
pcm_s16le). pcm_mulaw and pcm_alaw send the file as 8 kHz G.711, as a telephone line carries
it (resampled to 8 kHz, then companded). --realtime paces the audio at real time (default: as
fast as the server takes it).
--json prints one JSON object a line: each emotion message, then the end message.
--token (or UNDERTONE_TOKEN) is the API key when the server requires one.
Exit status: 0 after the end summary, 1 when the server is down or ends the session with an error.`;

function humanEnd(file: string, end: EndMessage): string {
  const s = end.summary;
  return `${file} (${(s.durationMs / 1000).toFixed(2)} s, ${end.seconds} labels, ${s.voicedSeconds} voiced): ${s.label ? `${s.label} — ${topScores(s.scores!, 3)}` : 'no speech detected'}`;
}

export async function runStream(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      encoding: { type: 'string' },
      realtime: { type: 'boolean', default: false },
      speed: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1 || !values.url) {
    if (!values.help) process.stderr.write(positionals.length !== 1 ? 'undertone stream: give exactly one FILE\n' : 'undertone stream: --url is required\n');
    process.stderr.write(STREAM_USAGE + '\n');
    return values.help ? 0 : 2;
  }
  if (values.encoding !== undefined && !(ENCODINGS as readonly string[]).includes(values.encoding)) {
    process.stderr.write(`undertone stream: --encoding must be one of ${ENCODINGS.join(', ')}\n`);
    return 2;
  }
  let speed = values.realtime ? 1 : 0;
  try {
    if (!values.realtime && values.speed !== undefined) speed = decimal(0, 1e6)(values.speed, '--speed');
  } catch (e) {
    process.stderr.write(`undertone stream: ${(e as Error).message}\n`);
    return 2;
  }
  const file = positionals[0];
  const out = (line: string): boolean => process.stdout.write(line + '\n');
  try {
    const { end } = await streamFile(file, {
      url: values.url,
      encoding: values.encoding as Encoding | undefined,
      speed,
      token: values.token ?? process.env.UNDERTONE_TOKEN,
      onSession: (session) => {
        if (!values.json) out(`${file}: session ${session.sessionId} (model ${session.ready.model.name} ${session.ready.model.version}, ${session.encoding})`);
        session.on('emotion', (e) => out(values.json ? JSON.stringify(e) : formatSecond(e)));
        session.on('alert', (a) => out(values.json ? JSON.stringify(a) : formatAlert(a)));
      },
    });
    out(values.json ? JSON.stringify(end) : humanEnd(file, end));
    return 0;
  } catch (e) {
    if (e instanceof UndertoneError || e instanceof AudioInputError) {
      process.stderr.write(`undertone stream: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
