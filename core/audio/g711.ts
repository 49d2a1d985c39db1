/**
 * ITU-T G.711 companding: μ-law and A-law, 8-bit character <-> 16-bit linear sample.
 *
 * Bit-exact with the ITU-T G.191 Software Tool Library reference (g711.c: ulaw_compress/expand,
 * alaw_compress/expand): linear input is 16-bit two's complement (14-bit μ-law / 13-bit A-law
 * values left-justified), and a negative input is quantised by the one's complement of its
 * magnitude bits, as G.711 specifies. See docs/decisions.md for why this is ours and not the
 * alawmulaw package (which the tests use as a cross-check).
 *
 * Decoding is a 256-entry table lookup; the Float32 tables give the same scale as pcm_s16le
 * (value / 32768), so a G.711 stream and the s16 stream of its decoded samples are identical.
 */

export type G711Law = 'mulaw' | 'alaw';

/** μ-law: 16-bit linear -> 8-bit character (G.191 ulaw_compress). */
export function mulawEncodeSample(linear: number): number {
  // 14-bit magnitude (one's complement for negatives) plus the bias of 33.
  let absno = (linear < 0 ? ~linear >> 2 : linear >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const high = 8 - segno;
  const low = 0x0f - ((absno >> segno) & 0x0f);
  const code = (high << 4) | low;
  return linear >= 0 ? code | 0x80 : code;
}

/** μ-law: 8-bit character -> 16-bit linear (G.191 ulaw_expand). */
export function mulawDecodeSample(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  const magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
  return code < 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0: character 0x7f decodes to 0, not -0
}

/** A-law: 16-bit linear -> 8-bit character (G.191 alaw_compress). */
export function alawEncodeSample(linear: number): number {
  let ix = linear < 0 ? ~linear >> 4 : linear >> 4; // 0..2047
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix -= 16; // the leading mantissa bit is implicit
    ix += exponent << 4;
  }
  if (linear >= 0) ix |= 0x80;
  return ix ^ 0x55; // even bits inverted
}

/** A-law: 8-bit character -> 16-bit linear (G.191 alaw_expand). */
export function alawDecodeSample(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 0x08;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 127 ? mantissa : -mantissa;
}

function decodeTable(decode: (code: number) => number): Float32Array {
  const t = new Float32Array(256);
  for (let c = 0; c < 256; c++) t[c] = decode(c) / 32768;
  return t;
}

/** Character -> sample in [-1, 1) for each law (the pcm_s16le scale). */
export const G711_DECODE_TABLES: Readonly<Record<G711Law, Float32Array>> = {
  mulaw: decodeTable(mulawDecodeSample),
  alaw: decodeTable(alawDecodeSample),
};

const ENCODERS: Readonly<Record<G711Law, (linear: number) => number>> = { mulaw: mulawEncodeSample, alaw: alawEncodeSample };

/** Float samples (clipped to 16-bit, non-finite as 0) -> G.711 characters. */
export function g711Encode(law: G711Law, samples: Float32Array): Uint8Array {
  const encode = ENCODERS[law];
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i];
    const linear = Number.isFinite(x) ? Math.max(-32768, Math.min(32767, Math.round(x * 32768))) : 0;
    out[i] = encode(linear);
  }
  return out;
}

/** G.711 characters -> float samples in [-1, 1). */
export function g711Decode(law: G711Law, codes: Uint8Array): Float32Array {
  const table = G711_DECODE_TABLES[law];
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]];
  return out;
}
