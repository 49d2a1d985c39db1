/** PCM and G.711 audio as the bytes of a stream's encoding. No Node-only imports: this file runs in browsers. */
import { alawEncodeSample, g711Encode, mulawEncodeSample } from '../core/audio/g711.js';
import type { PcmStreamEncoding } from '../core/protocol/index.js';

/** Bytes per sample of each PCM encoding. */
export const SAMPLE_BYTES: Record<PcmStreamEncoding, number> = { pcm_s16le: 2, pcm_f32le: 4, pcm_mulaw: 1, pcm_alaw: 1 };

/**
 * Audio as bytes of a PCM encoding (little-endian; G.711 samples encoded to μ-law / A-law
 * characters; a copy, so the caller may reuse its buffer).
 */
export function pcmBytes(audio: Int16Array | Float32Array | Uint8Array | ArrayBuffer, encoding: PcmStreamEncoding): Uint8Array {
  if (audio instanceof ArrayBuffer) return new Uint8Array(audio.slice(0));
  if (audio instanceof Uint8Array) return new Uint8Array(audio); // a copy (Buffer#slice would be a view)
  const n = audio.length;
  if (encoding === 'pcm_mulaw' || encoding === 'pcm_alaw') {
    const law = encoding === 'pcm_mulaw' ? 'mulaw' : 'alaw';
    if (audio instanceof Float32Array) return g711Encode(law, audio);
    const encode = law === 'mulaw' ? mulawEncodeSample : alawEncodeSample;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = encode(audio[i]);
    return out;
  }
  if (encoding === 'pcm_s16le') {
    const out = new Uint8Array(n * 2);
    const view = new DataView(out.buffer);
    if (audio instanceof Int16Array) for (let i = 0; i < n; i++) view.setInt16(i * 2, audio[i], true);
    else
      for (let i = 0; i < n; i++) {
        const x = Number.isFinite(audio[i]) ? audio[i] : 0;
        view.setInt16(i * 2, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true);
      }
    return out;
  }
  const out = new Uint8Array(n * 4);
  const view = new DataView(out.buffer);
  if (audio instanceof Int16Array) for (let i = 0; i < n; i++) view.setFloat32(i * 4, audio[i] / 32768, true);
  else for (let i = 0; i < n; i++) view.setFloat32(i * 4, audio[i], true);
  return out;
}
