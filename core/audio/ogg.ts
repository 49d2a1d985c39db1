/**
 * Ogg pages of a whole file (codec-parser), for the Ogg Opus and Ogg Vorbis decoders. A complete
 * Ogg stream ends with a page flagged end-of-stream; a file without one was cut (a recording
 * copied before it finished, a partial download), which is reported rather than decoded as if
 * it were the whole call.
 */
import CodecParser, { type OggPage } from 'codec-parser';
import { AudioInputError } from '../errors.js';

export function oggPages(bytes: Uint8Array, formatName: string, source?: string): OggPage[] {
  let pages: OggPage[];
  try {
    // No CRC32 of every frame: codec-parser only computes it for its output (it does not check it).
    const parser = new CodecParser<OggPage>('audio/ogg', { enableLogging: false, enableFrameCRC32: false });
    pages = [...parser.parseAll(bytes)];
  } catch (e) {
    throw new AudioInputError(`corrupt ${formatName} file (${(e as Error).message})`, source);
  }
  if (!pages.some((p) => p.codecFrames.length > 0)) throw new AudioInputError(`${formatName} file holds no audio packets (truncated or corrupt)`, source);
  const last = pages[pages.length - 1];
  if (!last.isLastPage) {
    throw new AudioInputError(`truncated ${formatName} file: no end-of-stream page (cut after ${(last.totalDuration / 1000).toFixed(2)} s of audio, ${bytes.length} bytes)`, source);
  }
  return pages;
}
