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
 * Only images that can have either are inflated (with fflate, in pieces, row by row).
 */
import { Inflate } from 'fflate';
import { DeidError } from '../errors';
import { bitsPerPixel, COLOUR_TYPE, passSizes, rawImageSize, type Ihdr } from './png-rules';

const MAX_FILTER = 4;
const PALETTE_SIZE = 256;

export interface RowFacts {
  /** Indexed colour: used[i] is 1 when some pixel has index i. */
  used: Uint8Array | null;
  /** Scanlines whose bits after the last pixel are not all zero. */
  paddedRows: number;
  /** Scanlines whose pixels were looked at one by one (a row repeating the one before is not): the work done. */
  rowsRead: number;
}

/** True when the rows of this image need reading (indexed colour, or samples narrower than a byte). */
export function needsRows(ihdr: Ihdr): boolean {
  return ihdr.colourType === COLOUR_TYPE.indexed || ihdr.bitDepth < 8;
}

export function emptyFacts(ihdr: Ihdr): RowFacts {
  return { used: ihdr.colourType === COLOUR_TYPE.indexed ? new Uint8Array(PALETTE_SIZE) : null, paddedRows: 0, rowsRead: 0 };
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

/** Compressed bytes inflated at a time: each piece's output is at most 1032 times its size (RFC 1951 3.2.5). */
const INFLATE_PIECE = 4 * 1024;
/** RFC 1950 2.2: the 2-byte zlib header and the 4-byte Adler-32 around the DEFLATE data. */
const ZLIB_HEADER = 2;
const ADLER_SIZE = 4;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Adds what one stream's rows use to `facts`. `stream` is exactly the zlib stream (ending where
 * zlib-extent.ts found its end), already checked to inflate to the rows IHDR implies. Inflated
 * in pieces and read row by row, two rows held at a time: a 250 MP indexed image is 250 MB of
 * rows, and a flat one deflates to 240 kB. A row equal to the row before (after its filter is
 * undone) uses the same entries and has the same spare bits, so it is not looked at again.
 *
 * With `rewrite`, also returns the rows with every filter undone (each row then has filter type
 * 0) and the bits after each row's last pixel cleared: the same pixels, nothing else (what strip
 * writes when some row has such bits; the walk never needs it).
 */
export function readRows(stream: Uint8Array, ihdr: Ihdr, width: number, height: number, facts: RowFacts, rewrite = false): Uint8Array | null {
  const bits = bitsPerPixel(ihdr);
  const bpp = Math.max(1, bits >> 3);
  const depth = ihdr.bitDepth;
  const mask = (1 << depth) - 1;
  const passes = passSizes(ihdr, width, height).filter(([w, h]) => w > 0 && h > 0);
  const out = rewrite ? new Uint8Array(rawImageSize(ihdr, width, height)) : null;
  let outAt = 0;
  let pass = -1;
  let w = 0;
  let rows = 0;
  let y = 0;
  let rowBytes = 0;
  let tailBits = 0;
  let line = new Uint8Array(0);
  let prev = new Uint8Array(0);
  let cur = new Uint8Array(0);
  let filled = 0;
  let lastPadded = false;
  const nextPass = (): void => {
    pass++;
    if (pass >= passes.length) return;
    [w, rows] = passes[pass];
    y = 0;
    rowBytes = Math.ceil((w * bits) / 8);
    tailBits = rowBytes * 8 - w * bits;
    line = new Uint8Array(1 + rowBytes);
    prev = new Uint8Array(rowBytes);
    cur = new Uint8Array(rowBytes);
  };
  const row = (): void => {
    const filter = line[0];
    // libpng: "bad adaptive filter value" is fatal.
    if (filter > MAX_FILTER) throw new DeidError('malformed', `PNG: scanline filter type ${filter}`);
    cur.set(line.subarray(1));
    unfilter(filter, cur, prev, bpp);
    if (y === 0 || !sameBytes(cur, prev)) {
      facts.rowsRead++;
      if (facts.used) {
        if (depth === 8) for (let x = 0; x < w; x++) facts.used[cur[x]] = 1;
        else for (let x = 0; x < w; x++) facts.used[(cur[(x * depth) >> 3] >> (8 - depth - ((x * depth) & 7))) & mask] = 1;
      }
      lastPadded = tailBits > 0 && (cur[rowBytes - 1] & ((1 << tailBits) - 1)) !== 0;
    }
    if (lastPadded) facts.paddedRows++;
    if (out) {
      out[outAt] = 0;
      out.set(cur, outAt + 1);
      outAt += 1 + rowBytes;
      if (tailBits > 0) out[outAt - 1] &= ~((1 << tailBits) - 1);
    }
    [prev, cur] = [cur, prev];
    if (++y === rows) nextPass();
  };
  nextPass();
  const take = (chunk: Uint8Array): void => {
    for (let i = 0; i < chunk.length && pass < passes.length; ) {
      const n = Math.min(chunk.length - i, line.length - filled);
      line.set(chunk.subarray(i, i + n), filled);
      filled += n;
      i += n;
      if (filled === line.length) {
        filled = 0;
        row();
      }
    }
  };
  const inflater = new Inflate((chunk) => take(chunk));
  const body = stream.subarray(ZLIB_HEADER, stream.length - ADLER_SIZE);
  for (let at = 0; at < body.length; at += INFLATE_PIECE) inflater.push(body.subarray(at, at + INFLATE_PIECE), at + INFLATE_PIECE >= body.length);
  if (body.length === 0) inflater.push(body, true);
  return out;
}
