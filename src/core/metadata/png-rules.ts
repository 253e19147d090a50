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

/** Fixed data lengths of allowlisted ancillary chunks (PNG 11.3, cICP 11.3.2.6, APNG acTL/fcTL in 11.3.6). */
const FIXED_LENGTHS: Readonly<Record<string, number>> = {
  gAMA: 4, cHRM: 32, sRGB: 1, cICP: 4, pHYs: 9, acTL: 8, fcTL: 26, IEND: 0,
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

/** Bits per pixel (PNG 7.2): channels x bit depth. */
export function bitsPerPixel(ihdr: Ihdr): number {
  return CHANNELS[ihdr.colourType] * ihdr.bitDepth;
}

/** The sub-images a `width` x `height` image is stored as (PNG 8.2): one, or the seven Adam7 passes. */
export function passSizes(ihdr: Ihdr, width: number, height: number): Array<[number, number]> {
  if (!ihdr.interlaced) return [[width, height]];
  return ADAM7.map(([x0, y0, dx, dy]) => [Math.max(0, Math.ceil((width - x0) / dx)), Math.max(0, Math.ceil((height - y0) / dy))]);
}

/** Filtered scanline bytes of a `width` x `height` image or frame (PNG 7.2, 8.2 for Adam7). */
export function rawImageSize(ihdr: Ihdr, width: number, height: number): number {
  const bits = bitsPerPixel(ihdr);
  // Each scanline starts with its filter-type byte (PNG 7.3).
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bits) / 8)));
  return passSizes(ihdr, width, height).reduce((total, [w, h]) => total + rows(w, h), 0);
}

export const COLOUR_TYPE = { gray: COLOUR_GRAY, rgb: COLOUR_RGB, indexed: COLOUR_INDEXED, grayAlpha: COLOUR_GRAY_ALPHA, rgba: COLOUR_RGBA } as const;

/**
 * Where a chunk may stand and how often (W3C PNG 3rd ed. 5.6, Table 7 "Chunk ordering rules"):
 * `once` "multiple: no"; `beforePlte` "before PLTE and IDAT"; `afterPlte` "after PLTE, before
 * IDAT" (PLTE, when present, comes first); `beforeIdat` "before IDAT". libpng ignores a copy that
 * breaks these rules (png_handle_* "duplicate" / "out of place", benign errors), so dropping it
 * leaves what decoders show unchanged.
 */
export interface Placement {
  once: boolean;
  beforePlte: boolean;
  afterPlte: boolean;
  beforeIdat: boolean;
}

const P = (once: boolean, beforePlte: boolean, afterPlte: boolean, beforeIdat: boolean): Placement => ({ once, beforePlte, afterPlte, beforeIdat });

export const PLACEMENT: Readonly<Record<string, Placement>> = {
  // 5.6: PLTE "before first IDAT", one only.
  PLTE: P(true, false, false, true),
  // 5.6: colour space information, "before PLTE and IDAT", one only (cICP: 11.3.2.6).
  cHRM: P(true, true, false, true),
  gAMA: P(true, true, false, true),
  iCCP: P(true, true, false, true),
  sBIT: P(true, true, false, true),
  sRGB: P(true, true, false, true),
  cICP: P(true, true, false, true),
  // 5.6: "after PLTE; before first IDAT", one only.
  bKGD: P(true, false, true, true),
  tRNS: P(true, false, true, true),
  // 5.6: "before first IDAT", one only.
  pHYs: P(true, false, false, true),
  eXIf: P(true, false, false, true),
  // 11.3.6.1 (APNG): acTL "before the first IDAT", one only.
  acTL: P(true, false, false, true),
};

/**
 * PNG 11.3.2.5 (sRGB): an encoder writing sRGB "should" also write gAMA and cHRM with exactly
 * these values for decoders that do not read sRGB; with sRGB present any other values only
 * disagree with it.
 */
export const SRGB_GAMA = 45455;
export const SRGB_CHRM: readonly number[] = [31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000];
/** PNG 11.3.2.5: rendering intents 0-3. */
export const MAX_SRGB_INTENT = 3;

/**
 * The canonical pHYs: 1000 pixels per metre on both axes (1 pixel per mm), unit metre; what
 * libvips (sharp) writes by default. pHYs never changes decoded pixels (11.3.4.2: it only tells
 * the intended physical size), so any one fixed value carries no information; this one keeps
 * sharp exports canonical as written.
 */
export const CANONICAL_PHYS = new Uint8Array([0, 0, 0x03, 0xe8, 0, 0, 0x03, 0xe8, 1]);

/**
 * Whether a gray or RGB tRNS can ever match a pixel (11.3.1.1): each sample is stored in 16 bits
 * and "the least significant bits are used"; with a higher bit set no pixel has that value, so
 * the chunk changes nothing and its high bits are free space.
 */
export function trnsFitsDepth(bytes: Uint8Array, dataStart: number, length: number, ihdr: Ihdr): boolean {
  if (ihdr.colourType === COLOUR_INDEXED) return true;
  const limit = 2 ** ihdr.bitDepth;
  for (let i = 0; i < length; i += 2) if (((bytes[dataStart + i] << 8) | bytes[dataStart + i + 1]) >= limit) return false;
  return true;
}

/** cICP (11.3.2.6): matrix coefficients must be 0 (RGB) and the full-range flag 0 or 1. */
export function isValidCicp(bytes: Uint8Array, dataStart: number): boolean {
  return bytes[dataStart + 2] === 0 && bytes[dataStart + 3] <= 1;
}
