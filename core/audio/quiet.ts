/**
 * The WebAssembly decoders (opus-decoder, mpg123-decoder, @wasm-audio-decoders/flac) print every
 * frame they reject with console.error, so a client sending garbage, or a batch over a folder of
 * damaged files, would write one stderr line per frame (a log flood). The rejection still reaches
 * the caller through the decoder's result, and from there as an AudioInputError.
 */

/**
 * Runs `fn` with console.error muted. Only its synchronous part is covered (the decoders report
 * before their first await), so nothing else can run, and lose its console.error, meanwhile.
 */
export function quietly<T>(fn: () => T): T {
  const original = console.error;
  console.error = () => undefined;
  try {
    return fn();
  } finally {
    console.error = original;
  }
}
