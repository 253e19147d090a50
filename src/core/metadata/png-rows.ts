/**
 * The decoded scanlines of a PNG image stream, read where the compressed data alone cannot tell
 * what a decoder uses (W3C PNG 3rd edition 7.2 scanlines, 7.3 / 9 filters, 8.2 Adam7):
 * - indexed colour: which palette entries the pixels use. PLTE may hold more entries than the
 *   pixels use (11.2.3 only forbids indices past its end), and an entry no pixel uses is three
 *   bytes (four with tRNS) a writer can fill with anything: a name and a date fit.
 * - bit depths below 8: the bits after the last pixel of each scanline, up to the byte
 *   boundary (7.2); decoders never read them. Writers leave values there (libspng, in sharp,
 *   leaves the next pixel's bits in 4-bit rows), so the strip clears them by writing the image
 *   data again: filters undone, the rows recompressed, the pixels the same.
 * Only images that can have either are inflated (with fflate, to the size IHDR implies).
 */
import { unzlibSync } from 'fflate';
import { DeidError } from '../errors';
import { bitsPerPixel, COLOUR_TYPE, passSizes, type Ihdr } from './png-rules';

const MAX_FILTER = 4;
const PALETTE_SIZE = 256;

export interface RowFacts {
  /** Indexed colour: used[i] is 1 when some pixel has index i. */
  used: Uint8Array | null;
  /** Scanlines whose bits after the last pixel are not all zero. */
  paddedRows: number;
}

/** True when the rows of this image need reading (indexed colour, or samples narrower than a byte). */
export function needsRows(ihdr: Ihdr): boolean {
  return ihdr.colourType === COLOUR_TYPE.indexed || ihdr.bitDepth < 8;
}

export function emptyFacts(ihdr: Ihdr): RowFacts {
  return { used: ihdr.colourType === COLOUR_TYPE.indexed ? new Uint8Array(PALETTE_SIZE) : null, paddedRows: 0 };
}

/** PNG 9.4: the Paeth predictor (also the panel self-test's PNG reader, src/actions/png-pixels.ts). */
export function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** PNG 9.2: undoes one scanline's filter in place (`bpp`: bytes per complete pixel, at least 1). */
function unfilter(type: number, cur: Uint8Array, prev: Uint8Array, bpp: number): void {
  const n = cur.length;
  if (type === 1) for (let i = bpp; i < n; i++) cur[i] = (cur[i] + cur[i - bpp]) & 0xff;
  else if (type === 2) for (let i = 0; i < n; i++) cur[i] = (cur[i] + prev[i]) & 0xff;
  else if (type === 3) for (let i = 0; i < n; i++) cur[i] = (cur[i] + ((i >= bpp ? cur[i - bpp] : 0) + prev[i] >> 1)) & 0xff;
  else if (type === 4) for (let i = 0; i < n; i++) cur[i] = (cur[i] + paeth(i >= bpp ? cur[i - bpp] : 0, prev[i], i >= bpp ? prev[i - bpp] : 0)) & 0xff;
}

/**
 * Adds what one stream's rows use to `facts`. `stream` is exactly the zlib stream (ending where
 * zlib-extent.ts found its end) and `inflated` its inflated size, already checked against IHDR.
 * Returns the inflated rows with every filter undone (each row then has filter type 0) and the
 * bits after each row's last pixel cleared: the same pixels, nothing else.
 */
export function readRows(stream: Uint8Array, inflated: number, ihdr: Ihdr, width: number, height: number, facts: RowFacts): Uint8Array {
  const raw = unzlibSync(stream, { out: new Uint8Array(inflated) });
  const bits = bitsPerPixel(ihdr);
  const bpp = Math.max(1, bits >> 3);
  const depth = ihdr.bitDepth;
  const mask = (1 << depth) - 1;
  let at = 0;
  for (const [w, h] of passSizes(ihdr, width, height)) {
    if (w === 0 || h === 0) continue;
    const rowBytes = Math.ceil((w * bits) / 8);
    const tailBits = rowBytes * 8 - w * bits;
    let prev = new Uint8Array(rowBytes);
    let cur = new Uint8Array(rowBytes);
    for (let y = 0; y < h; y++) {
      const filter = raw[at];
      // libpng: "bad adaptive filter value" is fatal.
      if (filter > MAX_FILTER) throw new DeidError('malformed', `PNG: scanline filter type ${filter}`);
      cur.set(raw.subarray(at + 1, at + 1 + rowBytes));
      unfilter(filter, cur, prev, bpp);
      raw[at] = 0;
      raw.set(cur, at + 1);
      at += 1 + rowBytes;
      if (facts.used) {
        if (depth === 8) for (let x = 0; x < w; x++) facts.used[cur[x]] = 1;
        else for (let x = 0; x < w; x++) facts.used[(cur[(x * depth) >> 3] >> (8 - depth - ((x * depth) & 7))) & mask] = 1;
      }
      if (tailBits > 0 && (cur[rowBytes - 1] & ((1 << tailBits) - 1)) !== 0) {
        facts.paddedRows++;
        raw[at - 1] &= ~((1 << tailBits) - 1);
      }
      [prev, cur] = [cur, prev];
    }
  }
  return raw;
}
