/**
 * The TIFF allowlist: the tags a decoder needs to reproduce a page's pixels and colour, each with
 * the type, count, values and applicability its specification gives (TIFF 6.0,
 * https://www.itu.int/itudoc/itu-t/com16/tiff-fx/docs/tiff6.pdf, section cited per tag; TIFF
 * Technical Note 2 for JPEGTables; BigTIFF adds LONG8 for offsets). A tag outside this table, or
 * one that breaks its rule, is a finding: an allowlisted tag written with the wrong type is how
 * "XResolution: JOHN SMITH" hides text in a file a shape-only walk calls clean.
 */
import { TYPE } from './tiff-layout';

/** What the rules of one page depend on (defaults from TIFF 6.0 section 8). */
export interface PageShape {
  width: number;
  height: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  compression: number;
  photometric: number | null;
  tiled: boolean;
}

export interface TagRule {
  name: string;
  /** Where the rule comes from. */
  spec: string;
  types: readonly number[];
  /** The exact number of values the tag must have for this page. */
  count: (s: PageShape) => number | 'any';
  /** False: the tag means nothing for this page (PLTE-in-truecolour style free bytes). */
  applies?: (s: PageShape) => boolean;
  /** Integer values (rationals as numerator/denominator) within the specified range. */
  valid?: (values: readonly number[], s: PageShape) => boolean;
  /** A broken value can be dropped without changing the decoded pixels (else the page is refused). */
  droppable?: boolean;
}

export const TIFF_TAG = {
  newSubfileType: 254, subfileType: 255, imageWidth: 256, imageLength: 257, bitsPerSample: 258,
  compression: 259, photometric: 262, fillOrder: 266, stripOffsets: 273, orientation: 274,
  samplesPerPixel: 277, rowsPerStrip: 278, pageNumber: 297, stripByteCounts: 279, xResolution: 282, yResolution: 283,
  planarConfiguration: 284, t4Options: 292, t6Options: 293, resolutionUnit: 296, predictor: 317,
  colorMap: 320, tileWidth: 322, tileLength: 323, tileOffsets: 324, tileByteCounts: 325,
  subIfds: 330, extraSamples: 338, sampleFormat: 339, jpegTables: 347, jpegInterchangeFormat: 513,
  yCbCrCoefficients: 529, yCbCrSubSampling: 530, yCbCrPositioning: 531, referenceBlackWhite: 532,
  icc: 34675,
} as const;

/** Compression values with a registered meaning (TIFF 6.0 sections 3, 10, 11, 9, 13, 22; TN2; libtiff's registry). */
const COMPRESSIONS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946, 34712, 34887, 34925, 50000, 50001]);
/** Compressions a Predictor applies to (TIFF 6.0 section 14; deflate, LZMA, ZSTD by libtiff). */
export const PREDICTED: ReadonlySet<number> = new Set([5, 8, 32946, 34925, 50000]);
/** PhotometricInterpretation values (TIFF 6.0 sections 3, 4, 5, 16, 21, 23; LogLuv; LinearRaw). */
const PHOTOMETRICS: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 32803, 32844, 32845, 34892]);
/** Colour channels before any extra sample, per photometric (TIFF 6.0 section 18, ExtraSamples). */
const BASE_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 3, 3: 1, 4: 1, 6: 3, 32844: 1, 32845: 3 };
/** Upper bound for a kept resolution: 10^6 pixels per inch/cm covers sub-micron microscopy. */
const MAX_RESOLUTION = 1e6;

const one = (): number => 1;
const perSample = (s: PageShape): number => s.samplesPerPixel;
const isIn = (set: ReadonlySet<number>) => (v: readonly number[]): boolean => v.every((x) => set.has(x));
const between = (lo: number, hi: number) => (v: readonly number[]): boolean => v.every((x) => x >= lo && x <= hi);
const SHORT_OR_LONG = [TYPE.SHORT, TYPE.LONG];

export function baseChannels(photometric: number | null): number | null {
  return photometric === null ? null : (BASE_CHANNELS[photometric] ?? null);
}

/** Rules for everything kept except the strip/tile offset and byte-count tags (see tiff-pages.ts). */
export const TAG_RULES: ReadonlyMap<number, TagRule> = new Map<number, TagRule>([
  // Bit 0 (reduced resolution) pages are dropped as thumbnails before rules apply; bits 1 and 2
  // (page of a multi-page file, transparency mask) describe pages that are kept.
  [TIFF_TAG.newSubfileType, { name: 'NewSubfileType', spec: 'TIFF 6.0 section 8', types: [TYPE.LONG], count: one, valid: isIn(new Set([0, 2, 4, 6])) }],
  [TIFF_TAG.imageWidth, { name: 'ImageWidth', spec: 'TIFF 6.0 section 8', types: SHORT_OR_LONG, count: one, valid: between(1, 0xffffffff) }],
  [TIFF_TAG.imageLength, { name: 'ImageLength', spec: 'TIFF 6.0 section 8', types: SHORT_OR_LONG, count: one, valid: between(1, 0xffffffff) }],
  [TIFF_TAG.bitsPerSample, { name: 'BitsPerSample', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: perSample, valid: between(1, 64) }],
  [TIFF_TAG.compression, { name: 'Compression', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: isIn(COMPRESSIONS) }],
  [TIFF_TAG.photometric, { name: 'PhotometricInterpretation', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: isIn(PHOTOMETRICS) }],
  [TIFF_TAG.fillOrder, { name: 'FillOrder', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: between(1, 2) }],
  [TIFF_TAG.orientation, { name: 'Orientation', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: between(1, 8), droppable: true }],
  [TIFF_TAG.samplesPerPixel, { name: 'SamplesPerPixel', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: between(1, 0xffff) }],
  [TIFF_TAG.rowsPerStrip, { name: 'RowsPerStrip', spec: 'TIFF 6.0 section 8', types: SHORT_OR_LONG, count: one, applies: (s) => !s.tiled, valid: between(1, 0xffffffff) }],
  [TIFF_TAG.xResolution, { name: 'XResolution', spec: 'TIFF 6.0 section 8', types: [TYPE.RATIONAL], count: one, valid: (v) => v[0] > 0 && v[0] <= MAX_RESOLUTION, droppable: true }],
  [TIFF_TAG.yResolution, { name: 'YResolution', spec: 'TIFF 6.0 section 8', types: [TYPE.RATIONAL], count: one, valid: (v) => v[0] > 0 && v[0] <= MAX_RESOLUTION, droppable: true }],
  [TIFF_TAG.planarConfiguration, { name: 'PlanarConfiguration', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: between(1, 2) }],
  [TIFF_TAG.t4Options, { name: 'T4Options', spec: 'TIFF 6.0 section 11', types: [TYPE.LONG], count: one, applies: (s) => s.compression === 3, valid: between(0, 7) }],
  [TIFF_TAG.t6Options, { name: 'T6Options', spec: 'TIFF 6.0 section 11', types: [TYPE.LONG], count: one, applies: (s) => s.compression === 4, valid: isIn(new Set([0, 2])) }],
  [TIFF_TAG.resolutionUnit, { name: 'ResolutionUnit', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT], count: one, valid: between(1, 3), droppable: true }],
  [TIFF_TAG.predictor, { name: 'Predictor', spec: 'TIFF 6.0 section 14; Adobe Photoshop TIFF Technical Note 3', types: [TYPE.SHORT], count: one, applies: (s) => PREDICTED.has(s.compression), valid: between(1, 3) }],
  [TIFF_TAG.colorMap, { name: 'ColorMap', spec: 'TIFF 6.0 section 5', types: [TYPE.SHORT], count: (s) => 3 * 2 ** s.bitsPerSample, applies: (s) => s.photometric === 3 && s.bitsPerSample <= 16 }],
  // Tiles are a multiple of 16 pixels across and down (TIFF 6.0 section 15).
  [TIFF_TAG.tileWidth, { name: 'TileWidth', spec: 'TIFF 6.0 section 15', types: SHORT_OR_LONG, count: one, valid: (v) => v[0] > 0 && v[0] % 16 === 0 }],
  [TIFF_TAG.tileLength, { name: 'TileLength', spec: 'TIFF 6.0 section 15', types: SHORT_OR_LONG, count: one, valid: (v) => v[0] > 0 && v[0] % 16 === 0 }],
  [TIFF_TAG.extraSamples, {
    name: 'ExtraSamples', spec: 'TIFF 6.0 section 8', types: [TYPE.SHORT],
    count: (s) => {
      const base = baseChannels(s.photometric);
      return base === null ? 'any' : s.samplesPerPixel - base;
    },
    applies: (s) => s.samplesPerPixel > 1,
    valid: (v, s) => v.length >= 1 && v.length < s.samplesPerPixel && v.every((x) => x <= 2),
  }],
  [TIFF_TAG.sampleFormat, { name: 'SampleFormat', spec: 'TIFF 6.0 section 19', types: [TYPE.SHORT], count: perSample, valid: between(1, 6) }],
  [TIFF_TAG.jpegTables, { name: 'JPEGTables', spec: 'TIFF Technical Note 2 (JPEG compression 7)', types: [TYPE.UNDEFINED], count: () => 'any', applies: (s) => s.compression === 7 }],
  [TIFF_TAG.yCbCrCoefficients, { name: 'YCbCrCoefficients', spec: 'TIFF 6.0 section 21', types: [TYPE.RATIONAL], count: () => 3, applies: (s) => s.photometric === 6, valid: between(0, 1) }],
  [TIFF_TAG.yCbCrSubSampling, { name: 'YCbCrSubSampling', spec: 'TIFF 6.0 section 21', types: [TYPE.SHORT], count: () => 2, applies: (s) => s.photometric === 6, valid: (v) => v.every((x) => x === 1 || x === 2 || x === 4) && v[1] <= v[0] }],
  [TIFF_TAG.yCbCrPositioning, { name: 'YCbCrPositioning', spec: 'TIFF 6.0 section 21', types: [TYPE.SHORT], count: one, applies: (s) => s.photometric === 6, valid: between(1, 2) }],
  [TIFF_TAG.referenceBlackWhite, { name: 'ReferenceBlackWhite', spec: 'TIFF 6.0 section 20', types: [TYPE.RATIONAL], count: () => 6, applies: (s) => s.photometric === 2 || s.photometric === 6, valid: between(0, 0xffffffff) }],
]);

/** The data location tags: offsets and byte counts of strips (section 8) or tiles (section 15). */
export const DATA_TAGS: ReadonlySet<number> = new Set([TIFF_TAG.stripOffsets, TIFF_TAG.stripByteCounts, TIFF_TAG.tileOffsets, TIFF_TAG.tileByteCounts]);
/** Offsets are LONG (SHORT tolerated by section 8 for strips), or LONG8 in BigTIFF. */
export const DATA_TYPES: readonly number[] = [TYPE.SHORT, TYPE.LONG, TYPE.LONG8];
