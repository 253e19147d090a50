/**
 * Where the coded data of one TIFF strip or tile ends, per compression, without decoding pixels:
 * a decoder stops there, so bytes after it inside the strip are read by nothing and can hold
 * anything (issue 13: "nothing after a part's defined end"). Also the segments of a JPEG strip
 * (TIFF Technical Note 2): only what the decoder needs may sit between SOI and EOI.
 *
 * Each function returns the length of the coded stream within `chunk`, or null when the stream
 * does not end inside the chunk the way its specification says (then the chunk is copied whole:
 * a damaged stream is the decoder's business, not ours).
 */
import { isDeidError } from '../errors';
import { zlibExtent } from './zlib-extent';

/** LZW (TIFF 6.0 section 13): 9..12-bit codes, MSB first; 256 Clear, 257 EndOfInformation. */
const LZW_CLEAR = 256;
const LZW_EOI = 257;
const LZW_FIRST_FREE = 258;
const LZW_MAX_BITS = 12;
const LZW_TABLE_SIZE = 4096;

/** Where a coded stream ends and how many bytes it decodes to (null: not counted). */
export interface StreamEnd {
  end: number | null;
  decoded: number | null;
}

/**
 * Walks the LZW code stream, tracking the table size (the code width grows one code early,
 * TIFF 6.0 section 13 and libtiff tif_lzw.c) and the length of each table string, until
 * EndOfInformation: where the stream ends and how many bytes it decodes to.
 */
export function lzwEnd(chunk: Uint8Array): StreamEnd {
  const unknown = { end: null, decoded: null };
  // Old-style (pre-6.0, LSB-first) LZW starts 0x00 0x01; libtiff reads it as a variant, not checked here.
  if (chunk.length >= 2 && chunk[0] === 0 && (chunk[1] & 0x1) !== 0) return unknown;
  const length = chunk.length;
  // Length of the string each code stands for: 1 for the 256 literals, one more than its prefix's after.
  const lengths = new Uint16Array(LZW_TABLE_SIZE);
  lengths.fill(1, 0, LZW_CLEAR);
  let decoded = 0;
  let previous = -1;
  // Bit reader: `acc` holds the next `held` bits (at most 24 after a refill, codes are <= 12).
  let acc = 0;
  let held = 0;
  let pos = 0;
  let width = 9;
  let free = LZW_FIRST_FREE;
  let afterClear = true;
  for (;;) {
    while (held < width) {
      if (pos >= length) return unknown;
      acc = ((acc << 8) | chunk[pos++]) & 0xffffff;
      held += 8;
    }
    held -= width;
    const code = (acc >>> held) & ((1 << width) - 1);
    if (code === LZW_EOI) return { end: pos - (held >> 3), decoded };
    if (code === LZW_CLEAR) {
      width = 9;
      free = LZW_FIRST_FREE;
      afterClear = true;
      continue;
    }
    if (code > free) return unknown;
    if (afterClear) {
      if (code >= LZW_CLEAR) return unknown;
      afterClear = false;
      decoded += 1;
      previous = code;
      continue;
    }
    // A code not yet in the table (code === free) is its prefix's string plus one byte.
    decoded += code < free ? lengths[code] : lengths[previous] + 1;
    if (free < LZW_TABLE_SIZE) lengths[free] = lengths[previous] + 1;
    previous = code;
    if (free < LZW_TABLE_SIZE) free++;
    // "Early change": the width grows when the next free code reaches 2^width - 1.
    if (free >= (1 << width) - 1 && width < LZW_MAX_BITS) width++;
  }
}

/**
 * Deflate (Adobe Photoshop TIFF Technical Note / TIFF Technical Note 2 update): one zlib stream.
 * With `limit` (the strip's size), a stream that inflates to more stops being walked there.
 */
export function deflateEnd(chunk: Uint8Array, limit: number | null = null): StreamEnd {
  try {
    const extent = zlibExtent([chunk], limit ?? undefined);
    return extent.overLimit ? { end: null, decoded: extent.inflated } : { end: extent.end, decoded: extent.inflated };
  } catch (e) {
    if (isDeidError(e)) return { end: null, decoded: null };
    throw e;
  }
}

/**
 * PackBits (TIFF 6.0 section 9): runs until the strip's uncompressed size is produced; libtiff
 * stops decoding there.
 */
export function packBitsEnd(chunk: Uint8Array, expected: number): number | null {
  let at = 0;
  let produced = 0;
  while (produced < expected) {
    if (at >= chunk.length) return null;
    const n = chunk[at] > 127 ? chunk[at] - 256 : chunk[at];
    at++;
    if (n >= 0) {
      at += n + 1;
      produced += n + 1;
    } else if (n !== -128) {
      at += 1;
      produced += 1 - n;
    }
  }
  return at <= chunk.length && produced === expected ? at : null;
}

/** What a JPEG strip holds besides the coded image (T.81 B.2; TIFF Technical Note 2). */
export interface JpegStrip {
  end: number | null;
  /** APPn and COM segments inside the stream: [start, end) each. */
  extra: Array<[number, number]>;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/**
 * Segments a decoder reads (T.81 B.2.4, B.3): SOF0..SOF15 (but DHT, JPG, DAC), DHT, DAC, DQT,
 * DNL, DRI, SOS, and APP14 Adobe (its transform flag decides the colour conversion). Everything
 * else with a length (APPn, COM, JPGn extensions) carries no pixels.
 */
const DECODER_SEGMENTS: ReadonlySet<number> = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
  0xdb, 0xdc, 0xdd, SOS, 0xee,
]);

/**
 * Walks the markers of a JPEG strip to its EOI. Segments a decoder does not read (APPn other than
 * APP14 Adobe, COM, JPGn) are reported, and strip drops them.
 */
export function jpegStrip(chunk: Uint8Array): JpegStrip {
  const extra: Array<[number, number]> = [];
  if (chunk.length < 4 || chunk[0] !== 0xff || chunk[1] !== SOI) return { end: null, extra };
  let at = 2;
  while (at + 2 <= chunk.length) {
    if (chunk[at] !== 0xff) return { end: null, extra };
    const marker = chunk[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === EOI) return { end: at + 2, extra };
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    if (at + 4 > chunk.length) return { end: null, extra };
    const length = (chunk[at + 2] << 8) | chunk[at + 3];
    const next = at + 2 + length;
    if (length < 2 || next > chunk.length) return { end: null, extra };
    if (!DECODER_SEGMENTS.has(marker)) extra.push([at, next]);
    at = next;
    if (marker === SOS) {
      // Entropy-coded data: runs to the next marker that is not a stuffed 0xFF00 or an RSTn.
      while (at + 1 < chunk.length && !(chunk[at] === 0xff && chunk[at + 1] !== 0 && !(chunk[at + 1] >= 0xd0 && chunk[at + 1] <= 0xd7))) at++;
    }
  }
  return { end: null, extra };
}

/** The strip bytes strip writes: `chunk` up to its coded end, without the segments listed. */
export function withoutSegments(chunk: Uint8Array, end: number, drop: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const kept = end - drop.reduce((n, [s, e]) => n + (e - s), 0);
  const out = new Uint8Array(kept);
  let from = 0;
  let to = 0;
  for (const [s, e] of drop) {
    out.set(chunk.subarray(from, s), to);
    to += s - from;
    from = e;
  }
  out.set(chunk.subarray(from, end), to);
  return out;
}

export interface CodedExtent {
  /** Where the coded data ends within the chunk (null: not known, copy the chunk whole). */
  end: number | null;
  /**
   * The stream decodes to more bytes than the strip or tile holds (TIFF 6.0 sections 8 and 15):
   * a decoder stops once the strip is full and never reads the rest (PNG 3rd ed 10.1 has the
   * same rule for IDAT), so it can carry anything.
   */
  overLimit?: boolean;
  /** Segments inside the coded data that carry no pixels (JPEG APPn/COM). */
  extra: Array<[number, number]>;
  codec: string;
}

/**
 * Bytes of strips and tiles handed to codedExtent so far, in this process (a count only ever
 * added to): the work the TIFF walk does on coded data, which tests hold to the file's size.
 */
export const codedWork = { bytes: 0 };

/** Where the coded data of a strip or tile ends, by Compression (TIFF 6.0 section 8 values). */
export function codedExtent(compression: number, chunk: Uint8Array, rawSize: number | null): CodedExtent {
  codedWork.bytes += chunk.length;
  switch (compression) {
    case 1:
      return { end: rawSize, extra: [], codec: 'uncompressed' };
    case 5:
    case 8:
    case 32946: {
      const { end, decoded } = compression === 5 ? lzwEnd(chunk) : deflateEnd(chunk, rawSize);
      const overLimit = rawSize !== null && decoded !== null && decoded > rawSize;
      return { end: overLimit ? null : end, extra: [], codec: compression === 5 ? 'LZW' : 'deflate', overLimit };
    }
    case 32773:
      return { end: rawSize === null ? null : packBitsEnd(chunk, rawSize), extra: [], codec: 'PackBits' };
    case 7: {
      const jpeg = jpegStrip(chunk);
      return { end: jpeg.end, extra: jpeg.end === null ? [] : jpeg.extra, codec: 'JPEG' };
    }
    default:
      return { end: null, extra: [], codec: 'coded' };
  }
}
