/**
 * The whole-file TIFF walk (classic and BigTIFF): which pages of the image are kept, which of
 * their tags pass the allowlist rules of tiff-tags.ts, where their strips or tiles are, and a
 * finding for everything else. One analysis serves both the walk and the strip, so the two cannot
 * disagree: a file with no finding is written back unchanged, and every byte of such a file is
 * accounted for (header, directories, kept values, image data, at most 7 zero bytes of padding).
 *
 * Pages are the IFD chain (TIFF 6.0 section 2); a directory marked reduced-resolution
 * (NewSubfileType bit 0, or the old SubfileType 2, section 8) is a thumbnail or pyramid level and
 * is dropped, as are SubIFDs (TIFF Technical Note 1), Exif/GPS/Interop trees and every tag outside
 * the allowlist.
 */
import { copyBytes } from '../bytes';
import { DeidError, isDeidError } from '../errors';
import { cleanIcc, iccFindings } from './icc';
import { codedExtent, withoutSegments, type CodedExtent } from './tiff-coded';
import { describeFileTag, hexTag, pointerTreeScanner, type PointerEntry } from './tiff-ifd';
import { TiffReader, TYPE, TYPE_SIZES, type RawEntry, type RawIfd } from './tiff-layout';
import { DATA_TAGS, DATA_TYPES, TAG_RULES, TIFF_TAG, type PageShape } from './tiff-tags';
import type { Finding, FindingKind, Part } from './types';

/** A kept entry: its value bytes in the file's byte order (rationals in lowest terms). */
export interface KeptEntry {
  tag: number;
  type: number;
  count: number;
  value: Uint8Array;
}

/** A kept page: its allowlisted entries, and where its strips or tiles are in the input. */
export interface KeptPage {
  entries: KeptEntry[];
  offsetsTag: number;
  countsTag: number;
  offsetsType: number;
  countsType: number;
  /** `bytes`: the chunk as strip writes it when it differs from the input range (JPEG APPn/COM dropped). */
  chunks: Array<{ start: number; length: number; bytes?: Uint8Array }>;
}

export interface TiffAnalysis {
  parts: Part[];
  findings: Finding[];
  pages: KeptPage[];
  /** Why the file cannot be rewritten losslessly (a kept tag is broken), or null. */
  unwritable: string | null;
  /** Why the pixels must be converted (an ICC profile only a colour conversion keeps), or null. */
  needsConversion: string | null;
  little: boolean;
  big: boolean;
}

/** Zero bytes between structures shorter than this are alignment padding, not content. */
export const MAX_PADDING = 8;
/** Where each codec's end is specified (codecExtent's codec names). */
const CODEC_SPEC: Readonly<Record<string, string>> = {
  uncompressed: 'TIFF 6.0 sections 8 and 21', LZW: 'TIFF 6.0 section 13', deflate: 'RFC 1950/1951', PackBits: 'TIFF 6.0 section 9', JPEG: 'T.81 B.2.1',
};
/** Old-style JPEG (TIFF 6.0 section 22) is obsolete; its stream layout is not rewritten here. */
const OLD_JPEG = 6;
/** TIFF 6.0 section 8: Compression 1, no compression (its strips are not walked). */
const UNCOMPRESSED = 1;
/** Pointers to Exif, GPS and Interoperability IFDs (Exif 2.32 4.6.3) and SubIFDs (TIFF Technical Note 1). */
const GPS_IFD = 0x8825;
const RESOLUTION_TAGS: readonly number[] = [TIFF_TAG.xResolution, TIFF_TAG.yResolution, TIFF_TAG.resolutionUnit];
const POINTER_TAGS: ReadonlySet<number> = new Set([0x8769, GPS_IFD, 0xa005, TIFF_TAG.subIfds]);

interface Range {
  start: number;
  end: number;
  kept: boolean;
  /** Image data: two pages (or tiles) may share one identical chunk, as sparse-tile writers do. */
  data?: boolean;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

class Analysis {
  readonly parts: Part[] = [];
  readonly findings: Finding[] = [];
  readonly ranges: Range[] = [];
  readonly pages: KeptPage[] = [];
  /** PageNumber entries, checked once the number of kept pages is known. */
  readonly pageNumbers: Array<{ entry: RawEntry; kept: KeptEntry; page: number; values: number[]; where: string }> = [];
  unwritable: string | null = null;
  needsConversion: string | null = null;
  /**
   * Coded extents worked out so far, by compression, start, length and raw size, over every page:
   * strips or tiles that point at the same bytes are walked once (codedExtent is a function of
   * those alone).
   */
  readonly extents = new Map<string, CodedExtent>();
  /** Bytes of distinct compressed strips and tiles walked so far, over every page. */
  codedBytes = 0;
  private scanner: ((pointer: PointerEntry, where: string) => { findings: Finding[]; ranges: Array<[number, number]> }) | null = null;

  constructor(readonly reader: TiffReader) {}

  /** The Exif/GPS/SubIFD trees of a classic file, through one shared reader (see tiff-ifd.ts). */
  pointerTree(pointer: PointerEntry, where: string): { findings: Finding[]; ranges: Array<[number, number]> } {
    this.scanner ??= pointerTreeScanner(this.reader.bytes);
    return this.scanner(pointer, where);
  }

  find(finding: Finding, offset: number, length: number, name: string): void {
    this.findings.push(finding);
    this.parts.push({ name, offset, length, finding });
  }

  refuse(reason: string, where: string, offset: number, length: number): void {
    this.find({ kind: 'unknown-segment', where, detail: reason }, offset, length, where);
    this.unwritable ??= `${where}: ${reason}`;
  }

  range(start: number, length: number, kept: boolean, data = false): void {
    const end = Math.min(start + length, this.reader.bytes.length);
    if (length > 0 && start < end) this.ranges.push({ start, end, kept, data });
  }

  /** Out-of-line value bytes of any entry, for the unreferenced-bytes sweep. */
  valueRange(entry: RawEntry, kept: boolean): void {
    if (!entry.inline && entry.byteLength !== null) this.range(entry.valueOffset, entry.byteLength, kept);
  }
}

/** Lenient single integer of an entry (rules check it properly later); null when unreadable. */
function firstInteger(reader: TiffReader, entry: RawEntry | undefined): number | null {
  if (!entry) return null;
  try {
    const v = reader.integers(entry);
    return v.length > 0 ? v[0] : null;
  } catch (e) {
    if (isDeidError(e)) return null;
    throw e;
  }
}

/**
 * TIFF Technical Note 2: JPEGTables is an abbreviated JPEG stream, SOI, DQT/DHT segments, EOI,
 * and nothing else (no APPn, no COM, nothing after EOI).
 */
function isTablesOnly(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return false;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return false;
    const marker = b[at + 1];
    if (marker === 0xd9) return at + 2 === b.length;
    if (marker !== 0xdb && marker !== 0xc4) return false;
    at += 2 + ((b[at + 2] << 8) | b[at + 3]);
  }
  return at + 2 === b.length && b[at] === 0xff && b[at + 1] === 0xd9;
}

/** Walks every page of a TIFF or BigTIFF file. Throws DeidError('malformed' | 'truncated') only. */
export function analyseTiff(bytes: Uint8Array): TiffAnalysis {
  const reader = new TiffReader(bytes);
  const a = new Analysis(reader);
  const g = reader.geometry;
  a.parts.push({ name: g.big ? 'BigTIFF header' : 'TIFF header', offset: 0, length: g.header, finding: null });
  a.range(0, g.header, true);
  if (reader.first === 0) throw new DeidError('malformed', 'TIFF: the header points to no image directory');
  let next = reader.first;
  for (let index = 0; next !== 0; index++) {
    const name = `IFD${index}`;
    const ifd = reader.readIfd(next, name);
    a.range(ifd.offset, ifd.byteLength, true);
    directory(a, ifd, name);
    next = ifd.next;
  }
  pageNumbers(a);
  if (a.pages.length === 0) a.refuse('no directory holds a full-resolution page', 'TIFF', 0, g.header);
  sweep(a);
  return { parts: a.parts, findings: a.findings, pages: a.pages, unwritable: a.unwritable, needsConversion: a.needsConversion, little: reader.little, big: g.big };
}

function directory(a: Analysis, ifd: RawIfd, name: string): void {
  const reader = a.reader;
  const byTag = new Map<number, RawEntry>();
  let ordered = true;
  let previous = -1;
  for (const entry of ifd.entries) {
    if (entry.tag <= previous) ordered = false;
    previous = Math.max(previous, entry.tag);
    if (!byTag.has(entry.tag)) byTag.set(entry.tag, entry);
  }
  if (!ordered) {
    // TIFF 6.0 section 2: "The entries in an IFD must be sorted in ascending order by Tag", each
    // tag once. A repeated tag is a second value a reader may or may not see.
    a.find({ kind: 'unknown-segment', where: `TIFF ${name}`, detail: 'directory entries out of order or repeated (TIFF 6.0 section 2)' }, ifd.offset, ifd.byteLength, name);
  }
  const subfile = firstInteger(reader, byTag.get(TIFF_TAG.newSubfileType));
  const oldSubfile = firstInteger(reader, byTag.get(TIFF_TAG.subfileType));
  if ((subfile !== null && (subfile & 1) !== 0) || oldSubfile === 2) {
    a.find({ kind: 'thumbnail', where: `TIFF ${name}`, detail: `reduced-resolution copy of the image (${name})` }, ifd.offset, ifd.byteLength, name);
    for (const entry of ifd.entries) a.valueRange(entry, false);
    droppedData(a, byTag);
    return;
  }
  a.parts.push({ name, offset: ifd.offset, length: ifd.byteLength, finding: null });
  page(a, ifd, name, byTag);
}

/** The strips or tiles of a dropped page, so they are not reported a second time as unreferenced. */
function droppedData(a: Analysis, byTag: Map<number, RawEntry>): void {
  for (const [offsetsTag, countsTag] of [[TIFF_TAG.stripOffsets, TIFF_TAG.stripByteCounts], [TIFF_TAG.tileOffsets, TIFF_TAG.tileByteCounts]]) {
    const offsets = byTag.get(offsetsTag);
    const counts = byTag.get(countsTag);
    if (!offsets || !counts) continue;
    try {
      const starts = a.reader.integers(offsets);
      const lengths = a.reader.integers(counts);
      for (let i = 0; i < Math.min(starts.length, lengths.length); i++) a.range(starts[i], lengths[i], false);
    } catch (e) {
      if (!isDeidError(e)) throw e;
    }
  }
}

function page(a: Analysis, ifd: RawIfd, name: string, byTag: Map<number, RawEntry>): void {
  const reader = a.reader;
  const int = (tag: number) => firstInteger(reader, byTag.get(tag));
  const bps = int(TIFF_TAG.bitsPerSample) ?? 1;
  const shape: PageShape = {
    width: int(TIFF_TAG.imageWidth) ?? 0,
    height: int(TIFF_TAG.imageLength) ?? 0,
    samplesPerPixel: int(TIFF_TAG.samplesPerPixel) ?? 1,
    bitsPerSample: bps,
    compression: int(TIFF_TAG.compression) ?? 1,
    photometric: int(TIFF_TAG.photometric),
    tiled: byTag.has(TIFF_TAG.tileOffsets) || byTag.has(TIFF_TAG.tileWidth),
  };
  const kept: KeptEntry[] = [];
  let resolutionBroken = false;
  for (const entry of byTag.values()) {
    const where = `TIFF ${name} tag ${hexTag(entry.tag)}`;
    if (DATA_TAGS.has(entry.tag)) {
      const mine = shape.tiled ? entry.tag === TIFF_TAG.tileOffsets || entry.tag === TIFF_TAG.tileByteCounts : entry.tag === TIFF_TAG.stripOffsets || entry.tag === TIFF_TAG.stripByteCounts;
      if (!mine) {
        a.valueRange(entry, false);
        a.find({ kind: 'unknown-segment', where, detail: `${shape.tiled ? 'strip' : 'tile'} locations in a ${shape.tiled ? 'tiled' : 'stripped'} page (TIFF 6.0 section 15)` }, entry.entryOffset, reader.geometry.entry, where);
      }
      continue;
    }
    if (entry.tag === TIFF_TAG.pageNumber && entry.type === TYPE.SHORT && entry.count === 2) {
      a.valueRange(entry, true);
      const entryKept = keptEntry(a, entry, where);
      kept.push(entryKept);
      a.pageNumbers.push({ entry, kept: entryKept, page: a.pages.length, values: reader.integers(entry), where });
      continue;
    }
    if (entry.tag === TIFF_TAG.icc) {
      const profile = iccProfile(a, entry, shape, where);
      if (profile) kept.push(profile);
      continue;
    }
    const rule = TAG_RULES.get(entry.tag);
    if (!rule) {
      a.valueRange(entry, false);
      if (POINTER_TAGS.has(entry.tag)) pointerTree(a, entry, name, where);
      else {
        const { kind, detail } = entry.tag === TIFF_TAG.jpegInterchangeFormat && shape.compression === OLD_JPEG
          ? { kind: 'unknown-segment' as FindingKind, detail: 'old-style JPEG stream (JPEGInterchangeFormat)' }
          : describeFileTag(entry.tag);
        a.find({ kind, where, detail }, entry.entryOffset, reader.geometry.entry, where);
      }
      continue;
    }
    const problem = ruleProblem(reader, entry, shape);
    if (problem !== null) {
      a.valueRange(entry, false);
      const detail = `${rule.name} ${problem} (${rule.spec})`;
      const applicable = rule.applies === undefined || rule.applies(shape);
      if (applicable && !rule.droppable) a.refuse(detail, where, entry.entryOffset, reader.geometry.entry);
      else a.find({ kind: 'unknown-segment', where, detail }, entry.entryOffset, reader.geometry.entry, where);
      if (RESOLUTION_TAGS.includes(entry.tag)) resolutionBroken = true;
      continue;
    }
    a.valueRange(entry, true);
    kept.push(keptEntry(a, entry, where));
  }
  if (shape.width === 0 || shape.height === 0) a.refuse('page without ImageWidth/ImageLength (TIFF 6.0 section 8)', `TIFF ${name}`, ifd.offset, ifd.byteLength);
  if (shape.compression === OLD_JPEG) a.refuse('old-style JPEG compression (6) is obsolete (TIFF 6.0 section 22; TIFF Technical Note 2) and is not rewritten', `TIFF ${name}`, ifd.offset, ifd.byteLength);
  // Resolution is one statement of physical size (TIFF 6.0 section 8): half of it is worse than none.
  const entries = resolutionBroken ? kept.filter((e) => !RESOLUTION_TAGS.includes(e.tag)) : kept;
  if (resolutionBroken) {
    for (const e of kept) {
      if (!RESOLUTION_TAGS.includes(e.tag)) continue;
      const where = `TIFF ${name} tag ${hexTag(e.tag)}`;
      a.find({ kind: 'unknown-segment', where, detail: 'resolution dropped with its broken companion tag' }, ifd.offset, ifd.byteLength, where);
    }
  }
  const chunks = dataChunks(a, byTag, shape, name);
  if (chunks === null) return;
  a.pages.push({ entries, ...chunks });
}

/** ICC colour spaces (ICC.1 7.2.6) that describe each photometric's samples (TIFF 6.0 sections 4, 6, 21). */
const PROFILE_SPACE: Readonly<Record<number, string>> = { 0: 'GRAY', 1: 'GRAY', 2: 'RGB ', 3: 'RGB ', 6: 'RGB ', 5: 'CMYK' };

/**
 * InterColorProfile (tag 34675, TIFF/EP and Adobe's TIFF 6.0 supplement: UNDEFINED bytes of an
 * ICC profile). Kept only as cleanIcc's canonical or rebuilt copy (icc.ts, issue 8), and only for
 * the colour space of the page's samples; a profile that only a pixel conversion can honour
 * (CMYK, LUT) makes the strip refuse with 'needs-conversion' (the CLI re-encodes to sRGB).
 */
function iccProfile(a: Analysis, entry: RawEntry, shape: PageShape, where: string): KeptEntry | null {
  const reader = a.reader;
  const entrySize = reader.geometry.entry;
  const drop = (detail: string): null => {
    a.valueRange(entry, false);
    a.find({ kind: 'icc', where, detail }, entry.entryOffset, entrySize, where);
    return null;
  };
  if (entry.type !== TYPE.UNDEFINED || entry.byteLength === null || entry.inline || entry.valueOffset + entry.byteLength > reader.bytes.length) {
    return drop('ICC profile tag of the wrong type or size (dropped)');
  }
  if (entry.valueOffset % 2 !== 0) return drop('ICC profile at an odd offset (TIFF 6.0 section 2 word boundary; dropped)');
  const profile = reader.bytes.subarray(entry.valueOffset, entry.valueOffset + entry.byteLength);
  const space = profile.length >= 20 ? String.fromCharCode(profile[16], profile[17], profile[18], profile[19]) : '';
  const wanted = shape.photometric === null ? undefined : PROFILE_SPACE[shape.photometric];
  if (wanted === undefined || wanted !== space) return drop('ICC profile that does not describe this page\'s samples (dropped)');
  const findings = iccFindings(profile, where);
  if (findings.length === 0) {
    a.valueRange(entry, true);
    return { tag: entry.tag, type: entry.type, count: entry.count, value: profile.slice() };
  }
  a.valueRange(entry, false);
  for (const f of findings) a.find(f, entry.entryOffset, entrySize, where);
  let clean;
  try {
    clean = cleanIcc(profile);
  } catch (e) {
    if (isDeidError(e)) return null;
    throw e;
  }
  if (clean.kind === 'convert') {
    a.needsConversion ??= `${where}: ${clean.reason}`;
    return null;
  }
  return { tag: entry.tag, type: TYPE.UNDEFINED, count: clean.bytes.length, value: clean.bytes };
}

/** Why an allowlisted entry breaks its rule, or null when it passes. */
function ruleProblem(reader: TiffReader, entry: RawEntry, shape: PageShape): string | null {
  const rule = TAG_RULES.get(entry.tag);
  if (!rule) return 'not on the allowlist';
  if (rule.applies && !rule.applies(shape)) return 'does not apply to this page';
  if (!rule.types.includes(entry.type)) return `has type ${entry.type}, not ${rule.types.join(' or ')}`;
  const count = rule.count(shape);
  if (count !== 'any' && entry.count !== count) return `has ${entry.count} values, not ${count}`;
  if (entry.byteLength === null || entry.count === 0) return 'has no values';
  if (!entry.inline && (entry.valueOffset + entry.byteLength > reader.bytes.length)) return 'points past the end of the file';
  // Word boundary (TIFF 6.0 section 2): values begin on an even offset.
  if (!entry.inline && entry.valueOffset % 2 !== 0) return 'value at an odd offset';
  if (entry.type === TYPE.UNDEFINED) {
    const value = reader.bytes.subarray(entry.valueOffset, entry.valueOffset + entry.byteLength);
    return entry.tag === TIFF_TAG.jpegTables && !isTablesOnly(value) ? 'holds more than SOI, DQT/DHT and EOI' : null;
  }
  let values: number[];
  if (entry.type === TYPE.RATIONAL) {
    const pairs = reader.rationals(entry);
    if (pairs.some(([, d]) => d === 0)) return 'has a zero denominator';
    values = pairs.map(([n, d]) => n / d);
  } else {
    values = reader.integers(entry);
  }
  if (rule.valid && !rule.valid(values, shape)) return 'has a value out of range';
  return null;
}

/**
 * The unused end of an inline value slot (TIFF 6.0 section 2: values shorter than 4 bytes are
 * left-justified) is free space a reader never looks at; strip writes it as zeros.
 */
function spareSlot(a: Analysis, entry: RawEntry, where: string): void {
  const reader = a.reader;
  if (!entry.inline || entry.byteLength === null) return;
  const slot = reader.slotOf(entry);
  const spare = reader.bytes.subarray(slot + entry.byteLength, slot + reader.geometry.slot);
  if (spare.some((b) => b !== 0)) a.find({ kind: 'unknown-segment', where, detail: `${spare.length} unused bytes of the value field are not zero` }, entry.entryOffset, reader.geometry.entry, where);
}

/** The value bytes strip writes: copied, except rationals, written in lowest terms. */
function keptEntry(a: Analysis, entry: RawEntry, where: string): KeptEntry {
  const reader = a.reader;
  const length = entry.byteLength as number;
  const value = copyBytes(reader.bytes, entry.valueOffset, entry.valueOffset + length);
  spareSlot(a, entry, where);
  if (entry.type === TYPE.RATIONAL) {
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    let reduced = false;
    for (let i = 0; i < entry.count; i++) {
      const n = view.getUint32(i * 8, reader.little);
      const d = view.getUint32(i * 8 + 4, reader.little);
      const k = gcd(n, d) || 1;
      if (k !== 1) {
        reduced = true;
        view.setUint32(i * 8, n / k, reader.little);
        view.setUint32(i * 8 + 4, d / k, reader.little);
      }
    }
    // A free denominator would carry 32 bits per value; the canonical form is lowest terms.
    if (reduced) a.find({ kind: 'unknown-segment', where, detail: 'rational not in lowest terms (written reduced)' }, entry.entryOffset, reader.geometry.entry, where);
  }
  return { tag: entry.tag, type: entry.type, count: entry.count, value };
}

/**
 * Bytes one strip or tile decodes to (TIFF 6.0 sections 8 and 15: rows padded to a byte), or null
 * when not computable here. Chunky YCbCr (section 21) is stored in data units of h x v luma
 * samples and one Cb and one Cr: ceil(width / h) units across, ceil(rows / v) down (libtiff's
 * TIFFVStripSize); `ycc` is [h, v, bits per sample], null for planar YCbCr (not computed here).
 */
function rawSize(shape: PageShape, bitsPerPixel: number, width: number, rows: number, ycc: readonly number[] | null): number | null {
  if (shape.photometric === 6) {
    if (ycc === null) return null;
    const [h, v, bits] = ycc;
    return Math.ceil((Math.ceil(width / h) * (h * v + 2) * bits) / 8) * Math.ceil(rows / v);
  }
  if (bitsPerPixel <= 0) return null;
  return Math.ceil((width * bitsPerPixel) / 8) * rows;
}

/** [h, v, bits] of a chunky YCbCr page (YCbCrSubSampling defaults to 2, 2: TIFF 6.0 section 21), or null. */
function yccUnits(reader: TiffReader, byTag: Map<number, RawEntry>, planar: boolean): number[] | null {
  if (planar) return null;
  try {
    const sub = byTag.has(TIFF_TAG.yCbCrSubSampling) ? reader.integers(byTag.get(TIFF_TAG.yCbCrSubSampling) as RawEntry) : [2, 2];
    const bits = byTag.has(TIFF_TAG.bitsPerSample) ? reader.integers(byTag.get(TIFF_TAG.bitsPerSample) as RawEntry) : [1];
    if (sub.length !== 2 || sub.some((x) => x !== 1 && x !== 2 && x !== 4) || bits.some((b) => b !== bits[0])) return null;
    return [sub[0], sub[1], bits[0]];
  } catch (e) {
    if (!isDeidError(e)) throw e;
    return null;
  }
}

function dataChunks(a: Analysis, byTag: Map<number, RawEntry>, shape: PageShape, name: string): Omit<KeptPage, 'entries'> | null {
  const reader = a.reader;
  const offsetsTag = shape.tiled ? TIFF_TAG.tileOffsets : TIFF_TAG.stripOffsets;
  const countsTag = shape.tiled ? TIFF_TAG.tileByteCounts : TIFF_TAG.stripByteCounts;
  const offsets = byTag.get(offsetsTag);
  const counts = byTag.get(countsTag);
  const where = `TIFF ${name}`;
  const g = reader.geometry;
  const typeOk = (e: RawEntry) => DATA_TYPES.includes(e.type) && (e.type !== TYPE.LONG8 || g.big);
  if (!offsets || !counts || !typeOk(offsets) || !typeOk(counts)) {
    a.refuse(`no valid ${shape.tiled ? 'tile' : 'strip'} offsets and byte counts (TIFF 6.0 sections 8 and 15)`, where, 0, 0);
    return null;
  }
  const int = (tag: number) => firstInteger(reader, byTag.get(tag));
  const planar = int(TIFF_TAG.planarConfiguration) === 2;
  const planes = planar ? shape.samplesPerPixel : 1;
  let bitsPerPixel: number;
  try {
    const bits = byTag.has(TIFF_TAG.bitsPerSample) ? reader.integers(byTag.get(TIFF_TAG.bitsPerSample) as RawEntry) : [1];
    bitsPerPixel = planar ? bits[0] : bits.reduce((s, b) => s + b, 0) * (bits.length === 1 ? shape.samplesPerPixel : 1);
  } catch (e) {
    if (!isDeidError(e)) throw e;
    bitsPerPixel = 0;
  }
  const ycc = shape.photometric === 6 ? yccUnits(reader, byTag, planar) : null;
  let expected: number;
  let sizeOf: (i: number) => number | null;
  if (shape.tiled) {
    const tw = int(TIFF_TAG.tileWidth) ?? 0;
    const th = int(TIFF_TAG.tileLength) ?? 0;
    if (tw === 0 || th === 0) {
      a.refuse('tiled page without TileWidth/TileLength (TIFF 6.0 section 15)', where, 0, 0);
      return null;
    }
    expected = Math.ceil(shape.width / tw) * Math.ceil(shape.height / th) * planes;
    sizeOf = () => rawSize(shape, bitsPerPixel, tw, th, ycc);
  } else {
    // RowsPerStrip defaults to 2^32-1, i.e. one strip (TIFF 6.0 section 8).
    const rows = Math.min(int(TIFF_TAG.rowsPerStrip) ?? shape.height, shape.height);
    const perPlane = Math.ceil(shape.height / Math.max(rows, 1));
    expected = perPlane * planes;
    sizeOf = (i) => rawSize(shape, bitsPerPixel, shape.width, Math.min(rows, shape.height - (i % perPlane) * rows), ycc);
  }
  let starts: number[];
  let lengths: number[];
  try {
    starts = reader.integers(offsets);
    lengths = reader.integers(counts);
  } catch (e) {
    if (!isDeidError(e)) throw e;
    a.refuse('strip or tile locations point past the end of the file', where, 0, 0);
    return null;
  }
  a.valueRange(offsets, true);
  a.valueRange(counts, true);
  for (const e of [offsets, counts]) spareSlot(a, e, `${where} tag ${hexTag(e.tag)}`);
  if (!Number.isFinite(expected) || starts.length !== lengths.length || starts.length < expected) {
    a.refuse(`${starts.length} offsets and ${lengths.length} byte counts for the ${expected} ${shape.tiled ? 'tiles' : 'strips'} the page needs`, where, offsets.entryOffset, g.entry);
    return null;
  }
  if (starts.length > expected) {
    a.find({ kind: 'unknown-segment', where, detail: `${starts.length - expected} ${shape.tiled ? 'tiles' : 'strips'} beyond what the image needs` }, offsets.entryOffset, g.entry, where);
    for (let i = expected; i < starts.length; i++) a.range(starts[i], lengths[i], false);
  }
  const chunks: KeptPage['chunks'] = [];
  for (let i = 0; i < expected; i++) {
    const start = starts[i];
    let length = lengths[i];
    if (!(start + length <= reader.bytes.length)) {
      a.refuse(`${shape.tiled ? 'tile' : 'strip'} ${i} lies past the end of the file`, where, 0, 0);
      return null;
    }
    a.range(start, length, true, true);
    // A decoder stops at the end of the coded data; what follows inside the strip is read by
    // nothing, and so are APPn/COM segments inside a JPEG strip (tiff-coded.ts).
    const chunkWhere = `${where} ${shape.tiled ? 'tile' : 'strip'} ${i}`;
    const key = `${shape.compression}:${start}:${length}:${sizeOf(i)}`;
    let coded = a.extents.get(key);
    if (!coded) {
      // Walking compressed data costs its length, and strips may point into one another's
      // bytes: 20000 strips of one 32 kB deflate stream took 7.7 s. Strips that do not overlap
      // add up to at most the file; past that, distinct strips share bytes from different
      // starts, and the page is refused before its data is walked again and again.
      if (shape.compression !== UNCOMPRESSED) a.codedBytes += length;
      if (a.codedBytes > reader.bytes.length) {
        a.refuse(`${shape.tiled ? 'tiles' : 'strips'} whose compressed data overlap: the distinct ones add up to more than the file's ${reader.bytes.length} bytes, so bytes are decoded from more than one start (TIFF 6.0 section 8); not read`, where, offsets.entryOffset, g.entry);
        return null;
      }
      coded = codedExtent(shape.compression, reader.bytes.subarray(start, start + length), sizeOf(i));
      a.extents.set(key, coded);
    }
    if (coded.overLimit === true) {
      const size = sizeOf(i);
      a.refuse(`the ${coded.codec} data decodes to more than the ${size} bytes the ${shape.tiled ? 'tile' : 'strip'} holds (TIFF 6.0 sections 8 and 15): a decoder never reads the rest`, chunkWhere, start, length);
      chunks.push({ start, length });
      continue;
    }
    if (coded.end === null) {
      // No end where the codec's specification puts it (LZW: the EndOfInformation code, TIFF 6.0
      // section 13; PackBits: the strip's size, section 9; deflate: the zlib stream's end; JPEG:
      // EOI, T.81 B.2.1), or a codec whose end is not located here (CCITT, JPEG 2000, ZSTD...).
      // A decoder stops once the strip is full, so bytes after that point are read by nothing
      // and cannot be told from coded data: the page is not vouched for, and strip refuses.
      const why = coded.codec === 'coded'
        ? `the end of the coded data (compression ${shape.compression}) cannot be located`
        : `no ${coded.codec} end where ${CODEC_SPEC[coded.codec] ?? 'its specification'} puts it`;
      a.refuse(`${why}: bytes after it would be read by nothing`, chunkWhere, start, length);
      chunks.push({ start, length });
      continue;
    }
    if (coded.end !== null && coded.end < length) {
      a.find({ kind: 'unknown-segment', where: chunkWhere, detail: `${length - coded.end} bytes after the end of the ${coded.codec} data` }, start + coded.end, length - coded.end, `${where} data`);
      length = coded.end;
    }
    if (coded.extra.length > 0) {
      a.find({ kind: 'unknown-segment', where: chunkWhere, detail: `${coded.extra.length} APPn/COM segment(s) inside the JPEG data (TIFF Technical Note 2)` }, start, length, `${where} data`);
      chunks.push({ start, length, bytes: withoutSegments(reader.bytes.subarray(start, start + length), length, coded.extra) });
      continue;
    }
    chunks.push({ start, length });
  }
  return { offsetsTag, countsTag, offsetsType: offsets.type, countsType: counts.type, chunks };
}

/**
 * PageNumber (TIFF 6.0 section 8, "PageNumber"): the page's number counted from 0, and the number
 * of pages or 0 for unknown. Kept only when it says exactly that of the kept pages, so it carries
 * nothing else; libtiff and libvips write it on every page of a multi-page file.
 */
function pageNumbers(a: Analysis): void {
  for (const p of a.pageNumbers) {
    const [page, total] = p.values;
    if (page === p.page && (total === 0 || total === a.pages.length)) continue;
    a.find({ kind: 'unknown-segment', where: p.where, detail: `PageNumber does not match the page's place among the ${a.pages.length} pages (TIFF 6.0 section 8)` }, p.entry.entryOffset, a.reader.geometry.entry, p.where);
    for (const page of a.pages) page.entries = page.entries.filter((e) => e !== p.kept);
  }
}

function pointerTree(a: Analysis, entry: RawEntry, name: string, where: string): void {
  const reader = a.reader;
  const size = TYPE_SIZES[entry.type];
  if (reader.geometry.big || (entry.type !== TYPE.LONG && entry.type !== TYPE.IFD) || size === undefined) {
    // BigTIFF pointers (LONG8/IFD8) are not read by the EXIF walker: the tree is named by its tag.
    const [kind, what]: [FindingKind, string] = entry.tag === GPS_IFD ? ['gps', 'GPS IFD'] : entry.tag === TIFF_TAG.subIfds ? ['thumbnail', 'SubIFD images'] : ['exif', 'Exif IFD'];
    a.find({ kind, where, detail: `${what} (tag ${entry.tag})` }, entry.entryOffset, reader.geometry.entry, where);
    return;
  }
  const scan = a.pointerTree(entry, name);
  for (const r of scan.ranges) a.range(r[0], r[1] - r[0], false);
  const findings = scan.findings.length > 0 ? scan.findings : [{ kind: 'exif' as const, where, detail: `directory tree (tag ${entry.tag})` }];
  for (const f of findings) a.find(f, entry.entryOffset, reader.geometry.entry, where);
}

/**
 * Overlaps between kept structures, and bytes no structure refers to: a gap that is not a few
 * zero bytes of alignment is content no reader shows. Sorted once and swept: linear after the sort.
 */
function sweep(a: Analysis): void {
  const bytes = a.reader.bytes;
  const sorted = [...a.ranges].sort((x, y) => x.start - y.start || x.end - y.end);
  let reached = 0;
  let keptReached = 0;
  let overlapReported = false;
  let previous: Range | null = null;
  for (const r of sorted) {
    const shared = previous !== null && r.data === true && previous.data === true && previous.start === r.start && previous.end === r.end;
    if (r.kept) previous = r;
    if (r.kept && !shared) {
      if (r.start < keptReached && !overlapReported) {
        overlapReported = true;
        a.find({ kind: 'unknown-segment', where: `TIFF @ ${r.start}`, detail: 'kept structures overlap (each byte belongs to one structure)' }, r.start, r.end - r.start, 'overlap');
      }
      keptReached = Math.max(keptReached, r.end);
    }
    if (r.start > reached) gap(a, bytes, reached, r.start, false);
    reached = Math.max(reached, r.end);
  }
  if (bytes.length > reached) gap(a, bytes, reached, bytes.length, true);
}

function gap(a: Analysis, bytes: Uint8Array, start: number, end: number, last: boolean): void {
  const count = end - start;
  if (count < MAX_PADDING && bytes.subarray(start, end).every((b) => b === 0)) return;
  const finding: Finding = last
    ? { kind: 'trailer', where: `TIFF @ ${start}`, detail: `${count} bytes after the last referenced data` }
    : { kind: 'unknown-segment', where: `TIFF @ ${start}`, detail: `${count} bytes no directory refers to` };
  a.find(finding, start, count, last ? 'after the last referenced data' : 'unreferenced');
}
