/**
 * ICC profile reader (ICC.1:2010 = v4.3, ICC.1:2022 = v4.4, and ICC.1:2001-04 = v2.4): the
 * 128-byte header (ICC.1 7.2), the tag table (7.3), and the tag types that carry colour in a
 * matrix/TRC profile: XYZType (10.31), curveType (10.6), parametricCurveType (10.18) and
 * s15Fixed16ArrayType (10.22, for chad). Everything else is kept as its signature and extent, which
 * is all the identity report needs. Pure TypeScript over Uint8Array (runs in UXP).
 */
import { fourcc, u16be, u32be } from '../bytes';
import { DeidError } from '../errors';

export const HEADER_SIZE = 128;
const TAG_COUNT_SIZE = 4;
const TAG_ENTRY_SIZE = 12;
/** A type signature and 4 reserved bytes open every tag (ICC.1 10.1). */
const TYPE_HEADER = 8;
/** Largest tag count we read: far above any real profile (they hold tens), bounds the work. */
const MAX_TAGS = 1024;
/** Largest curv table accepted (entries are uInt16, so more than 65536 adds nothing). */
const MAX_CURVE_ENTRIES = 65536;

/** Header byte offsets (ICC.1 Table 17). */
export const H = {
  size: 0,
  cmm: 4,
  version: 8,
  deviceClass: 12,
  colourSpace: 16,
  pcs: 20,
  dateTime: 24,
  dateTimeEnd: 36,
  magic: 36,
  platform: 40,
  flags: 44,
  manufacturer: 48,
  model: 52,
  attributes: 56,
  attributesEnd: 64,
  intent: 64,
  illuminant: 68,
  creator: 80,
  profileId: 84,
  profileIdEnd: 100,
  reservedEnd: 128,
} as const;

export type Xyz = readonly [number, number, number];

/** A tone curve as stored: an identity/gamma/table curv, or a parametric curve. */
export type Curve =
  | { type: 'curv'; table: readonly number[] } // 0 entries identity, 1 entry u8Fixed8 gamma, else uInt16 table
  | { type: 'para'; fn: number; params: readonly number[] }; // s15Fixed16 raw integers

export interface TagEntry {
  sig: string;
  offset: number;
  size: number;
  /** The tag's type signature (first 4 bytes of its data). */
  type: string;
}

export interface ParsedIcc {
  /** Size from the header: the profile occupies bytes [0, size). */
  size: number;
  versionMajor: number;
  versionMinor: number;
  deviceClass: string;
  colourSpace: string;
  pcs: string;
  intent: number;
  tags: TagEntry[];
}

function malformed(message: string): never {
  throw new DeidError('malformed', `ICC profile: ${message}`);
}

/** s15Fixed16Number as its raw signed integer (value * 65536), so comparisons stay exact. */
export function s15(b: Uint8Array, at: number): number {
  return u32be(b, at) | 0;
}

/** Header and tag table; every tag must lie inside the profile (ICC.1 7.3.1). */
export function parseIcc(b: Uint8Array): ParsedIcc {
  if (b.length < HEADER_SIZE + TAG_COUNT_SIZE) malformed(`${b.length} bytes, shorter than a header and tag count`);
  const size = u32be(b, H.size);
  if (size < HEADER_SIZE + TAG_COUNT_SIZE || size > b.length) malformed(`header declares ${size} bytes, ${b.length} present`);
  if (fourcc(b, H.magic) !== 'acsp') malformed('no "acsp" signature at byte 36');
  const count = u32be(b, HEADER_SIZE);
  if (count > MAX_TAGS || HEADER_SIZE + TAG_COUNT_SIZE + count * TAG_ENTRY_SIZE > size) malformed(`tag table of ${count} entries does not fit`);
  const tags: TagEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + TAG_COUNT_SIZE + i * TAG_ENTRY_SIZE;
    const sig = fourcc(b, at);
    const offset = u32be(b, at + 4);
    const tagSize = u32be(b, at + 8);
    if (offset < HEADER_SIZE || tagSize < TYPE_HEADER || offset + tagSize > size) malformed(`tag ${i} lies outside the profile`);
    // ICC.1 7.3.1: a signature appears once in the tag table.
    if (seen.has(sig)) malformed(`tag ${i} repeats a signature`);
    seen.add(sig);
    tags.push({ sig, offset, size: tagSize, type: fourcc(b, offset) });
  }
  return {
    size,
    versionMajor: b[H.version],
    versionMinor: b[H.version + 1],
    deviceClass: fourcc(b, H.deviceClass),
    colourSpace: fourcc(b, H.colourSpace),
    pcs: fourcc(b, H.pcs),
    intent: u32be(b, H.intent),
    tags,
  };
}

export function findTag(p: ParsedIcc, sig: string): TagEntry | undefined {
  return p.tags.find((t) => t.sig === sig);
}

/** XYZType holding exactly one XYZNumber (ICC.1 10.31), as raw s15Fixed16 integers. */
export function readXyz(b: Uint8Array, t: TagEntry): Xyz {
  if (t.type !== 'XYZ ' || t.size < TYPE_HEADER + 12) malformed(`tag with an XYZ role is not a single XYZType`);
  const at = t.offset + TYPE_HEADER;
  return [s15(b, at), s15(b, at + 4), s15(b, at + 8)];
}

/** s15Fixed16ArrayType with 9 values (chad, ICC.1 9.2.15), raw integers row by row. */
export function readChad(b: Uint8Array, t: TagEntry): number[] {
  if (t.type !== 'sf32' || t.size < TYPE_HEADER + 36) malformed('chad is not a 3x3 s15Fixed16ArrayType');
  const out: number[] = [];
  for (let i = 0; i < 9; i++) out.push(s15(b, t.offset + TYPE_HEADER + 4 * i));
  return out;
}

/** Parameter count per parametric function type (ICC.1 Table 68). */
const PARA_PARAMS = [1, 3, 4, 5, 7];

/** curveType or parametricCurveType; null for any other type (a LUT-era TRC we do not rebuild). */
export function readCurve(b: Uint8Array, t: TagEntry): Curve | null {
  const at = t.offset + TYPE_HEADER;
  if (t.type === 'curv') {
    if (t.size < TYPE_HEADER + 4) malformed('curv tag cut off');
    const n = u32be(b, at);
    if (n > MAX_CURVE_ENTRIES || TYPE_HEADER + 4 + 2 * n > t.size) malformed('curv table runs past its tag');
    const table: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) table[i] = u16be(b, at + 4 + 2 * i);
    return { type: 'curv', table };
  }
  if (t.type === 'para') {
    if (t.size < TYPE_HEADER + 4) malformed('para tag cut off');
    const fn = u16be(b, at);
    const count = PARA_PARAMS[fn];
    if (count === undefined) malformed(`parametric curve of unknown function type ${fn}`);
    if (TYPE_HEADER + 4 + 4 * count > t.size) malformed('para parameters run past their tag');
    const params: number[] = [];
    for (let i = 0; i < count; i++) params.push(s15(b, at + 4 + 4 * i));
    return { type: 'para', fn, params };
  }
  return null;
}

/**
 * The curve's value at x in [0,1], as a CMM computes it: ICC.1 10.6 (curv: identity, gamma, or
 * a table read with linear interpolation) and Table 68 (para).
 */
export function evalCurve(c: Curve, x: number): number {
  if (c.type === 'curv') {
    const n = c.table.length;
    if (n === 0) return x;
    if (n === 1) return Math.pow(x, c.table[0] / 256);
    const pos = x * (n - 1);
    const i = Math.min(n - 2, Math.floor(pos));
    const f = pos - i;
    return (c.table[i] * (1 - f) + c.table[i + 1] * f) / 65535;
  }
  const [g, a = 0, bb = 0, cc = 0, d = 0, e = 0, f = 0] = c.params.map((v) => v / 65536);
  let y: number;
  switch (c.fn) {
    case 0: y = Math.pow(x, g); break;
    case 1: y = x >= -bb / a ? Math.pow(a * x + bb, g) : 0; break;
    case 2: y = x >= -bb / a ? Math.pow(a * x + bb, g) + cc : cc; break;
    case 3: y = x >= d ? Math.pow(a * x + bb, g) : cc * x; break;
    default: y = x >= d ? Math.pow(a * x + bb, g) + e : cc * x + f; break;
  }
  return Number.isFinite(y) ? Math.min(1, Math.max(0, y)) : 0;
}
