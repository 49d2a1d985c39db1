/**
 * ITU-T G.711 mu-law: 8-bit character <-> 16-bit linear sample, as the ITU-T G.191 reference
 * (g711.c ulaw_compress / ulaw_expand) computes them: 14-bit magnitudes left-justified in 16
 * bits, bias 33, negative inputs quantised by the one's complement of their magnitude bits.
 * Decoding is a 256-entry table; the float table is value / 32768, the scale of pcm_s16le.
 * (Twilio Media Streams send mu-law; the telephony branch adds A-law and the start-message
 * encodings with the same function names.)
 */

/** mu-law: 16-bit linear -> 8-bit character (G.191 ulaw_compress). */
export function mulawEncodeSample(linear: number): number {
  let absno = (linear < 0 ? ~linear >> 2 : linear >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const code = ((8 - segno) << 4) | (0x0f - ((absno >> segno) & 0x0f));
  return linear >= 0 ? code | 0x80 : code;
}

/** mu-law: 8-bit character -> 16-bit linear (G.191 ulaw_expand). */
export function mulawDecodeSample(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  const magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
  return code < 0x80 ? 0 - magnitude : magnitude;
}

/** The 256 decoded values as floats in [-1, 1) (value / 32768). */
export const MULAW_TO_FLOAT: Float32Array = Float32Array.from({ length: 256 }, (_v, c) => mulawDecodeSample(c) / 32768);

/** Decodes mu-law bytes to float samples. */
export function decodeMulaw(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_TO_FLOAT[bytes[i]];
  return out;
}

/** Encodes float samples (clipped to [-1, 1]) as mu-law bytes. */
export function encodeMulaw(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768)));
    out[i] = mulawEncodeSample(s);
  }
  return out;
}
