/**
 * The exact shapes of PNG's allowlisted chunks (W3C PNG 3rd edition, section 11), so that a kept
 * chunk cannot carry bytes beyond what its fields hold: a gAMA of 60 bytes decodes as a gamma
 * and 56 bytes nobody looks at. Also the raw image size IHDR implies (section 7 and 8.2), which
 * tells whether IDAT inflates to more than the image.
 */
import { u32be as u32 } from '../bytes';
import { DeidError } from '../errors';

export interface Ihdr {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlaced: boolean;
}

/** PNG 11.2.1: IHDR holds width(4) height(4) depth(1) colour(1) compression(1) filter(1) interlace(1). */
export const IHDR_LENGTH = 13;
const COLOUR_GRAY = 0;
const COLOUR_RGB = 2;
const COLOUR_INDEXED = 3;
const COLOUR_GRAY_ALPHA = 4;
const COLOUR_RGBA = 6;
/** PNG 11.2.1 Table 11.1: the bit depths each colour type allows. */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  [COLOUR_GRAY]: [1, 2, 4, 8, 16],
  [COLOUR_RGB]: [8, 16],
  [COLOUR_INDEXED]: [1, 2, 4, 8],
  [COLOUR_GRAY_ALPHA]: [8, 16],
  [COLOUR_RGBA]: [8, 16],
};
const CHANNELS: Readonly<Record<number, number>> = {
  [COLOUR_GRAY]: 1, [COLOUR_RGB]: 3, [COLOUR_INDEXED]: 1, [COLOUR_GRAY_ALPHA]: 2, [COLOUR_RGBA]: 4,
};
/** PNG 11.2.2: a palette entry is 3 bytes, at most 256 entries. */
const PALETTE_ENTRY = 3;
const MAX_PALETTE_ENTRIES = 256;
/** PNG 7.2: width and height are at most 2^31 - 1. */
const MAX_DIMENSION = 0x7fffffff;
/** PNG 8.2: the seven Adam7 passes as [x start, y start, x step, y step]. */
const ADAM7: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

/** Fixed data lengths of allowlisted ancillary chunks (PNG 11.3, APNG acTL/fcTL in 11.3.6). */
const FIXED_LENGTHS: Readonly<Record<string, number>> = {
  gAMA: 4, cHRM: 32, sRGB: 1, pHYs: 9, acTL: 8, fcTL: 26, IEND: 0,
};
/** PNG 11.3.2.4 (sBIT) and 11.3.5.1 (bKGD): data length by colour type. */
const SBIT_LENGTHS: Readonly<Record<number, number>> = {
  [COLOUR_GRAY]: 1, [COLOUR_RGB]: 3, [COLOUR_INDEXED]: 3, [COLOUR_GRAY_ALPHA]: 2, [COLOUR_RGBA]: 4,
};
const BKGD_LENGTHS: Readonly<Record<number, number>> = {
  [COLOUR_GRAY]: 2, [COLOUR_RGB]: 6, [COLOUR_INDEXED]: 1, [COLOUR_GRAY_ALPHA]: 2, [COLOUR_RGBA]: 6,
};
/** PNG 11.3.1.1: tRNS for gray (one 2-byte level) and RGB (three); forbidden with an alpha channel. */
const TRNS_LENGTHS: Readonly<Record<number, number>> = { [COLOUR_GRAY]: 2, [COLOUR_RGB]: 6 };


/** Reads and checks IHDR: a critical chunk a decoder cannot do without, so any fault is malformed. */
export function parseIhdr(bytes: Uint8Array, dataStart: number, length: number): Ihdr {
  if (length !== IHDR_LENGTH) throw new DeidError('malformed', `PNG: IHDR holds ${length} bytes, not ${IHDR_LENGTH}`);
  const width = u32(bytes, dataStart);
  const height = u32(bytes, dataStart + 4);
  const [bitDepth, colourType, compression, filter, interlace] = bytes.subarray(dataStart + 8, dataStart + IHDR_LENGTH);
  if (width === 0 || height === 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) throw new DeidError('malformed', 'PNG: IHDR dimensions out of range');
  if (!DEPTHS[colourType]?.includes(bitDepth)) throw new DeidError('malformed', 'PNG: IHDR colour type and bit depth do not match');
  if (compression !== 0 || filter !== 0 || interlace > 1) throw new DeidError('malformed', 'PNG: IHDR compression, filter or interlace method unknown');
  return { width, height, bitDepth, colourType, interlaced: interlace === 1 };
}

/**
 * Number of palette entries of a PLTE chunk of `length` bytes. PLTE is critical: a length that
 * is not whole entries, more entries than the bit depth can index (PNG 11.2.2), or a palette in
 * a grayscale image is malformed.
 */
export function paletteEntries(ihdr: Ihdr, length: number): number {
  const entries = length / PALETTE_ENTRY;
  const indexable = ihdr.colourType === COLOUR_INDEXED ? 1 << ihdr.bitDepth : MAX_PALETTE_ENTRIES;
  if (!Number.isInteger(entries) || entries === 0 || entries > Math.min(MAX_PALETTE_ENTRIES, indexable)) {
    throw new DeidError('malformed', `PNG: PLTE of ${length} bytes`);
  }
  if (ihdr.colourType === COLOUR_GRAY || ihdr.colourType === COLOUR_GRAY_ALPHA) throw new DeidError('malformed', 'PNG: PLTE in a grayscale image');
  return entries;
}

/**
 * Whether an allowlisted ancillary chunk has exactly the length its fields need. `palette` is the
 * number of PLTE entries seen so far (tRNS follows PLTE, 11.3.1.1). Chunks with no fixed shape
 * (IDAT, fdAT) always pass here; their content is checked as a zlib stream.
 */
export function hasExpectedLength(type: string, length: number, ihdr: Ihdr, palette: number): boolean {
  const fixedLength = FIXED_LENGTHS[type];
  if (fixedLength !== undefined) return length === fixedLength;
  switch (type) {
    case 'sBIT':
      return length === SBIT_LENGTHS[ihdr.colourType];
    case 'bKGD':
      return length === BKGD_LENGTHS[ihdr.colourType];
    case 'tRNS':
      return ihdr.colourType === COLOUR_INDEXED ? length <= palette && palette > 0 : length === TRNS_LENGTHS[ihdr.colourType];
    default:
      return true;
  }
}

/** Filtered scanline bytes of a `width` x `height` image or frame (PNG 7.2, 8.2 for Adam7). */
export function rawImageSize(ihdr: Ihdr, width: number, height: number): number {
  const bitsPerPixel = CHANNELS[ihdr.colourType] * ihdr.bitDepth;
  // Each scanline starts with its filter-type byte (PNG 7.3).
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!ihdr.interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.max(0, Math.ceil((width - x0) / dx)), Math.max(0, Math.ceil((height - y0) / dy)));
  return total;
}
