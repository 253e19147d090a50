/**
 * PNG (W3C PNG Specification, 3rd edition, https://www.w3.org/TR/png-3/): an 8-byte signature,
 * then chunks of length(4, big-endian) type(4) data CRC(4) (section 5.3), the first IHDR and the
 * last IEND.
 *
 * The walk is an allowlist (research/deid-threats.md section 2): image structure and colour
 * interpretation chunks are clean; text, EXIF, times, ICC, C2PA, every other chunk, and any byte
 * after IEND are findings. A kept chunk must also have exactly its spec shape (png-rules.ts), and
 * the compressed image must end where its zlib stream ends and inflate to exactly the rows IHDR
 * describes (zlib-extent.ts): otherwise a kept chunk could carry bytes no decoder shows. For
 * indexed colour and bit depths below 8 the rows are read too (png-rows.ts): palette entries no
 * pixel uses and bits after each row's last pixel are free space. Strip keeps exactly the clean
 * chunks byte for byte (IDAT untouched, so decoded pixels cannot change), cuts the palette to
 * what the pixels use, rewrites the image data only to clear spare row bits (same pixels), and
 * refuses ('not-clean') when the hidden bits are inside the compressed stream itself. With
 * WalkOptions.scanData every stream is also inflated to check its Adler-32 (checkAdler).
 */
import { zlibSync } from 'fflate';
import { fourcc, joinBytes, joinsTo, u32be as u32 } from '../bytes';
import { crc32 } from '../crc32';
import { DeidError, isDeidError } from '../errors';
import { DEFAULT_LIMITS, megapixels } from '../limits';
import { judgeIccp } from './png-icc';
import { emptyFacts, needsRows, readRows } from './png-rows';
import { CANONICAL_PHYS, COLOUR_TYPE, hasExpectedLength, isValidCicp, MAX_SRGB_INTENT, paletteEntries, parseIhdr, PLACEMENT, rawImageSize, SRGB_CHRM, SRGB_GAMA, trnsFitsDepth, type Ihdr } from './png-rules';
import { exifBlockFindings, minimalOrientationExif, tryScanExif, type ExifScan } from './tiff-ifd';
import { AdlerOfInflated } from './zlib-adler';
import { zlibExtent } from './zlib-extent';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult, WalkOptions } from './types';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SIGNATURE_SIZE = 8;
const LENGTH_SIZE = 4;
const TYPE_SIZE = 4;
const CRC_SIZE = 4;
const CHUNK_OVERHEAD = LENGTH_SIZE + TYPE_SIZE + CRC_SIZE;
/** PNG 5.3: a chunk length is at most 2^31 - 1. */
const MAX_CHUNK_LENGTH = 0x7fffffff;
/** PNG 11.3.3: a text keyword is 1-79 Latin-1 bytes followed by a NUL separator. */
const MAX_KEYWORD_LENGTH = 79;
/** Orientation 1 (as stored) needs no EXIF at all. */
const ORIENTATION_AS_STORED = 1;
/** APNG (PNG 3rd ed. 11.3.6): fdAT starts with a 4-byte sequence number; fcTL holds width, height after one. */
const SEQUENCE_SIZE = 4;
/** PNG 11.2.3: a palette entry is red, green, blue. */
const PALETTE_ENTRY = 3;
/** The canonical empty IEND chunk: length 0, "IEND", CRC-32 of "IEND". */
const EMPTY_IEND = new Uint8Array([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
/** RFC 1950 2.2: a zlib stream ends with its 4-byte Adler-32, big-endian. */
const ADLER_SIZE = 4;

/**
 * Image structure and colour interpretation (PNG 11.2, 11.3.2): numbers only, no text, no
 * identity. Chunk types are case-sensitive, so "idat" or "Idat" is not IDAT.
 */
const ALLOWED: ReadonlySet<string> = new Set([
  'IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'cICP', 'pHYs', 'sBIT', 'bKGD',
  // APNG (PNG 3rd ed. 11.3.6): acTL (frame and loop counts), fcTL (frame rectangle, delay,
  // disposal) and fdAT (sequence number + compressed pixels) hold numbers and pixels only.
  // They are structure, not metadata, and dropping them would silently turn an animation into
  // its first frame, a change to the image rather than to its metadata.
  'acTL', 'fcTL', 'fdAT',
]);

/** The keywords PNG 11.3.3.2 registers, plus common software ones: safe to name in a finding. */
const STANDARD_KEYWORDS: ReadonlySet<string> = new Set([
  'Title', 'Author', 'Description', 'Copyright', 'Creation Time', 'Software', 'Disclaimer', 'Warning',
  'Source', 'Comment', 'Collection', 'Label', 'Artist', 'Modify Date', 'Create Date', 'date:create', 'date:modify',
  'date:timestamp', 'exif:DateTime', 'parameters', 'prompt', 'workflow',
]);

/** The XMP packet's keyword in iTXt (XMP Specification part 3, 1.1.5). */
const XMP_KEYWORD = 'XML:com.adobe.xmp';
/**
 * ImageMagick and exiftool store whole metadata blocks as hex text under "Raw profile type X"
 * (zTXt/tEXt); exiftool reads them back as EXIF/XMP/IPTC/ICC, so we name them by what they hold.
 */
const RAW_PROFILE_PREFIX = 'Raw profile type ';
const RAW_PROFILE_KINDS: Readonly<Record<string, FindingKind>> = {
  exif: 'exif', app1: 'exif', xmp: 'xmp', iptc: 'iptc', '8bim': 'photoshop-irb', icc: 'icc', icm: 'icc',
};



/** PNG 5.4: each type byte is an ASCII letter (A-Z, a-z). */
function isChunkTypeValid(type: string): boolean {
  return /^[A-Za-z]{4}$/.test(type);
}

/**
 * The keyword of a tEXt/zTXt/iTXt chunk (PNG 11.3.3), printable ASCII only, or null when no NUL
 * separator follows 1-79 bytes: then those bytes are text, not a label, and must not be quoted in
 * a finding. Keywords are labels ("Author", "Comment"), not values, so findings may name them; the
 * search for the separator is bounded by the keyword limit so many NUL-less chunks cannot make the
 * walk quadratic.
 */
function keyword(b: Uint8Array, start: number, end: number): string | null {
  const stop = Math.min(end, start + MAX_KEYWORD_LENGTH + 1);
  for (let i = start; i < stop; i++) {
    if (b[i] !== 0) continue;
    if (i === start) return null;
    let s = '';
    for (let j = start; j < i; j++) s += String.fromCharCode(b[j]);
    return s.replace(/[^\x20-\x7e]/g, '?');
  }
  return null;
}

interface Chunk {
  type: string;
  offset: number;
  dataStart: number;
  dataEnd: number;
  /** First byte after the CRC. */
  end: number;
}

function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE_SIZE) return false;
  for (let i = 0; i < SIGNATURE_SIZE; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

/** Every chunk up to and including IEND; `afterIend` is where a trailer would start. */
function readChunks(bytes: Uint8Array): { chunks: Chunk[]; afterIend: number } {
  if (!isPng(bytes)) throw new DeidError('malformed', 'PNG: signature missing');
  const chunks: Chunk[] = [];
  let pos = SIGNATURE_SIZE;
  for (;;) {
    if (pos + CHUNK_OVERHEAD > bytes.length) throw new DeidError('truncated', `PNG: ends at ${bytes.length} without IEND`);
    const length = u32(bytes, pos);
    if (length > MAX_CHUNK_LENGTH) throw new DeidError('malformed', `PNG: chunk at ${pos} declares length ${length}`);
    const type = fourcc(bytes, pos + LENGTH_SIZE);
    if (!isChunkTypeValid(type)) throw new DeidError('malformed', `PNG: invalid chunk type at ${pos}`);
    const dataStart = pos + LENGTH_SIZE + TYPE_SIZE;
    const end = dataStart + length + CRC_SIZE;
    if (end > bytes.length) throw new DeidError('truncated', `PNG: chunk ${type} at ${pos} runs past the end of the file`);
    chunks.push({ type, offset: pos, dataStart, dataEnd: dataStart + length, end });
    pos = end;
    if (type === 'IEND') break;
  }
  if (chunks[0].type !== 'IHDR') throw new DeidError('malformed', 'PNG: first chunk is not IHDR');
  return { chunks, afterIend: pos };
}

/** PNG 5.5: the CRC covers the type and data fields. */
function hasValidCrc(bytes: Uint8Array, c: Chunk): boolean {
  return crc32(bytes, c.offset + LENGTH_SIZE, c.dataEnd) === u32(bytes, c.dataEnd);
}

/** The EXIF scan of an eXIf chunk, or the DeidError that made it unreadable. */
function scanExifChunk(bytes: Uint8Array, c: Chunk, where: string): ExifScan | DeidError {
  return tryScanExif(bytes.subarray(c.dataStart, c.dataEnd), where);
}

/** What one chunk reveals: [] for a clean chunk. */
function judge(bytes: Uint8Array, c: Chunk): Finding[] {
  const where = `chunk ${c.type} @ ${c.offset}`;
  const one = (kind: FindingKind, detail: string): Finding[] => [{ kind, where, detail }];
  switch (c.type) {
    case 'tEXt':
    case 'zTXt':
    case 'iTXt': {
      const key = keyword(bytes, c.dataStart, c.dataEnd);
      if (key === null) return one('text-chunk', `${c.type} text without a keyword separator`);
      // XMP belongs in iTXt, but writers also use tEXt/zTXt and exiftool reads it there as XMP.
      if (key === XMP_KEYWORD) return one('xmp', `XMP packet (${c.type})`);
      if (key.startsWith(RAW_PROFILE_PREFIX)) {
        const kind = RAW_PROFILE_KINDS[key.slice(RAW_PROFILE_PREFIX.length).toLowerCase()];
        if (kind) return one(kind, `${c.type} text holding a raw ${key.slice(RAW_PROFILE_PREFIX.length)} profile`);
      }
      // Only registered keywords are named: a writer can put anything in a keyword, and a
      // finding must never repeat a value.
      return one('text-chunk', STANDARD_KEYWORDS.has(key) ? `${c.type} text under keyword "${key}"` : `${c.type} text under a custom keyword`);
    }
    case 'eXIf': {
      return exifBlockFindings(scanExifChunk(bytes, c, where), where);
    }
    case 'tIME':
      return one('time-chunk', 'last-modification time');
    case 'caBX':
      return one('c2pa', 'C2PA/JUMBF manifest (may hold ingredient thumbnails)');
    case 'IEND':
      return c.dataEnd === c.dataStart ? [] : one('unknown-segment', 'IEND chunk with data');
    default:
      if (ALLOWED.has(c.type)) return [];
      // PNG 5.4: a lower-case first letter marks an ancillary chunk, upper-case a critical one.
      return one('unknown-segment', `${/^[a-z]/.test(c.type) ? 'ancillary' : 'critical'} chunk ${c.type} not on the allowlist`);
  }
}

/** A critical chunk with a bad CRC is fatal to decoders (PNG 13.2, libpng): malformed. */
function requireValidCrc(bytes: Uint8Array, c: Chunk): void {
  if (!hasValidCrc(bytes, c)) throw new DeidError('malformed', `PNG: chunk ${c.type} at ${c.offset} fails its CRC`);
}

/** One zlib stream spread over chunks: the IDAT image, or the fdAT chunks of one APNG frame. */
interface ImageStream {
  /** Indices into the chunk list. */
  chunkIndices: number[];
  /** Bytes before the stream in each chunk's data (fdAT's sequence number). */
  skip: number;
  width: number;
  height: number;
  label: 'image' | 'frame';
}

/**
 * What strip does with one chunk: copy it, leave it out, write `bytes` in its place, or write an
 * IDAT holding `rows` compressed again. The compressing waits until strip writes: walk needs only
 * the finding (deflating 125 MB of rows took 3 s of a plain verify).
 */
type Action = { op: 'keep' } | { op: 'drop' } | { op: 'replace'; bytes: Uint8Array } | { op: 'recompress'; rows: () => Uint8Array };

interface Plan {
  chunk: Chunk;
  findings: Finding[];
  action: Action;
  notes: string[];
}

interface Assessment {
  plans: Plan[];
  afterIend: number;
  /** Why no lossless strip can make the file clean (data hidden inside the kept pixel data), or null. */
  notClean: string | null;
  /** An iCCP profile only a pixel conversion can keep (LUT/CMYK: png-icc.ts), or null. */
  conversion: string | null;
}

/** A whole chunk (length, type, data, CRC) from its type and data. */
function chunkOf(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_OVERHEAD + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < TYPE_SIZE; i++) out[LENGTH_SIZE + i] = type.charCodeAt(i);
  out.set(data, LENGTH_SIZE + TYPE_SIZE);
  view.setUint32(LENGTH_SIZE + TYPE_SIZE + data.length, crc32(out, LENGTH_SIZE, LENGTH_SIZE + TYPE_SIZE + data.length));
  return out;
}

/** PNG 5.4: bit 5 of the first type byte (lower case) marks an ancillary chunk. */
function isAncillary(type: string): boolean {
  return /^[a-z]/.test(type);
}

function sameBytes(bytes: Uint8Array, start: number, expected: ArrayLike<number>): boolean {
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

function be32s(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return out;
}

/** APNG fcTL (PNG 3rd ed. 11.3.6.2): sequence, width, height, x, y, delay num/den, dispose, blend. */
interface FrameControl {
  index: number;
  sequence: number;
  width: number;
  height: number;
  x: number;
  y: number;
  dispose: number;
  blend: number;
}

const FCTL_DISPOSE = 24;
const FCTL_BLEND = 25;
/** 11.3.6.2: dispose_op 0-2, blend_op 0-1. */
const MAX_DISPOSE = 2;
const MAX_BLEND = 1;

function readFctl(bytes: Uint8Array, c: Chunk, index: number): FrameControl {
  const d = c.dataStart;
  return {
    index, sequence: u32(bytes, d), width: u32(bytes, d + 4), height: u32(bytes, d + 8), x: u32(bytes, d + 12), y: u32(bytes, d + 16),
    dispose: bytes[d + FCTL_DISPOSE], blend: bytes[d + FCTL_BLEND],
  };
}

/**
 * The APNG rules (PNG 3rd ed. 11.3.6): acTL before the first IDAT; one fcTL per frame, as many as
 * acTL announces; an fcTL before IDAT makes the static image frame 0 and must cover the whole
 * canvas; frames lie inside the canvas; fdAT only after IDAT and after its frame's fcTL; fcTL and
 * fdAT share one sequence counting 0, 1, 2, ... with no gap or repeat. Returns why the animation
 * is invalid, or null. An invalid animation is dropped whole: what is left is the static image,
 * which is what a decoder without APNG support shows anyway.
 */
function animationProblem(bytes: Uint8Array, chunks: readonly Chunk[], ihdr: Ihdr, actl: number, firstIdat: number, apng: readonly number[]): string | null {
  if (actl < 0) return 'fcTL/fdAT without an acTL';
  if (actl > firstIdat) return 'acTL after the image data';
  const frames = u32(bytes, chunks[actl].dataStart);
  let expected = 0;
  let fctls = 0;
  let current: FrameControl | null = null;
  let currentData = 0;
  for (const i of apng) {
    const c = chunks[i];
    if (c.type === 'acTL') continue;
    const sequence = u32(bytes, c.dataStart);
    if (sequence !== expected) return 'sequence numbers out of order';
    expected++;
    if (c.type === 'fcTL') {
      if (current !== null && current.index > firstIdat && currentData === 0) return 'a frame without fdAT data';
      const f = readFctl(bytes, c, i);
      if (f.width === 0 || f.height === 0 || f.x + f.width > ihdr.width || f.y + f.height > ihdr.height) return 'a frame outside the canvas';
      if (f.dispose > MAX_DISPOSE || f.blend > MAX_BLEND) return 'unknown dispose or blend operation';
      if (i < firstIdat && (fctls > 0 || f.width !== ihdr.width || f.height !== ihdr.height || f.x !== 0 || f.y !== 0)) return 'a frame before the image data that is not the whole canvas';
      current = f;
      currentData = 0;
      fctls++;
    } else {
      if (i < firstIdat || current === null || current.index < firstIdat) return 'fdAT outside a frame';
      currentData++;
    }
  }
  if (current !== null && current.index > firstIdat && currentData === 0) return 'a frame without fdAT data';
  if (frames === 0 || fctls !== frames) return 'acTL frame count differs from the frames present';
  return null;
}

/**
 * Where a compressed image stream hides data the decoder never shows: bytes after the end of the
 * zlib stream (decoders stop at the final block and never read them), more inflated bytes than
 * the image has rows for, or bits inside the stream inflaters skip (set padding bits, code tables
 * of blocks that make no output). A stream shorter than the image is a broken image: malformed.
 * Returns how many stream bytes the zlib stream occupies, or a reason strip must refuse.
 */
function streamExtent(bytes: Uint8Array, chunks: readonly Chunk[], s: ImageStream, ihdr: Ihdr, adler?: AdlerOfInflated): { end: number; total: number } | { refuse: string } {
  const segments = s.chunkIndices.map((i) => bytes.subarray(chunks[i].dataStart + s.skip, chunks[i].dataEnd));
  const expected = rawImageSize(ihdr, s.width, s.height);
  const extent = zlibExtent(segments, expected, adler);
  if (extent.overLimit) return { refuse: `more decompressed ${s.label} data than the ${s.label} size implies` };
  if (extent.inflated < expected) throw new DeidError('malformed', `PNG: compressed ${s.label} data holds fewer bytes than the ${s.label} needs`);
  // Bits inflaters skip inside the stream: only a re-encode of the pixels can drop them.
  if (extent.hidden !== null) return { refuse: `bits no decoder reads inside the compressed ${s.label} data (${extent.hidden})` };
  return { end: extent.end, total: segments.reduce((n, seg) => n + seg.length, 0) };
}

/**
 * Cuts a stream's chunks at the end of its zlib stream (PNG 10.1: the datastream is the
 * concatenation of the chunks' data; decoders stop at the final block): the chunk holding the
 * end keeps its bytes up to it, IDAT chunks wholly after it go, fdAT chunks after it keep only
 * their sequence number so the APNG sequence stays whole. The compressed bytes themselves are
 * copied unchanged, so the pixels cannot change.
 */
function trimStream(bytes: Uint8Array, plans: Plan[], s: ImageStream, end: number, total: number): void {
  const where = (c: Chunk) => `chunk ${c.type} @ ${c.offset}`;
  let seen = 0;
  for (const i of s.chunkIndices) {
    const plan = plans[i];
    const c = plan.chunk;
    const size = c.dataEnd - c.dataStart - s.skip;
    const keep = Math.max(0, Math.min(size, end - seen));
    seen += size;
    if (keep === size) continue;
    plan.findings.push({ kind: 'unknown-segment', where: where(c), detail: `${size - keep} bytes after the end of the compressed ${s.label} data` });
    if (keep === 0 && s.skip === 0) plan.action = { op: 'drop' };
    else plan.action = { op: 'replace', bytes: chunkOf(c.type, bytes.subarray(c.dataStart, c.dataStart + s.skip + keep)) };
  }
  plans[s.chunkIndices[s.chunkIndices.length - 1]].notes.push(`cut ${total - end} bytes after the end of the compressed ${s.label} data`);
}

/**
 * PNG 7.2: bits after a scanline's last pixel are never decoded. They sit inside the compressed
 * data, so the image data is written again from `rows` (filters undone, spare bits cleared):
 * one IDAT with the whole new zlib stream in place of the old ones, the same pixels. APNG frame
 * data (fdAT) carries sequence numbers the other chunks count on: refused instead.
 */
function recompress(plans: Plan[], s: ImageStream, rows: () => Uint8Array, count: number, refuse: (s: ImageStream, why: string) => void): void {
  const detail = `bits set after the last pixel of ${count} scanline(s) (never decoded)`;
  if (s.label !== 'image') {
    refuse(s, detail);
    return;
  }
  const [first, ...rest] = s.chunkIndices;
  const c = plans[first].chunk;
  plans[first].findings.push({ kind: 'unknown-segment', where: `chunk ${c.type} @ ${c.offset}`, detail });
  plans[first].action = { op: 'recompress', rows };
  plans[first].notes.push('cleared the spare bits after each scanline (image data recompressed, pixels unchanged)');
  for (const i of rest) plans[i].action = { op: 'drop' };
}

/**
 * WalkOptions.scanData: the Adler-32 that ends a zlib stream (RFC 1950 2.2, 8.2) is a checksum of
 * the inflated data, so only inflating tells a wrong one, and many decoders never look (browsers;
 * libspng in sharp unless asked): 4 bytes per stream a writer can set to anything with the
 * pixels unchanged. A wrong one is a finding; strip writes the right value in its place (the
 * compressed data is otherwise copied as it is, so the pixels cannot change). `end` is where the
 * stream ends (zlibExtent), after any bytes trimStream cut; `computed` the Adler-32 of its
 * inflated data, worked out by the same walk (zlib-adler.ts).
 */
function checkAdler(bytes: Uint8Array, plans: Plan[], s: ImageStream, end: number, computed: number): void {
  const segments = s.chunkIndices.map((i) => bytes.subarray(plans[i].chunk.dataStart + s.skip, plans[i].chunk.dataEnd));
  const tail = joinBytes(segments).subarray(end - ADLER_SIZE, end);
  const stored = ((tail[0] << 24) | (tail[1] << 16) | (tail[2] << 8) | tail[3]) >>> 0;
  if (stored === computed) return;
  const right = be32s([computed]);
  const first = end - right.length;
  let seen = 0;
  for (const i of s.chunkIndices) {
    const plan = plans[i];
    const c = plan.chunk;
    const size = c.dataEnd - c.dataStart - s.skip;
    const from = seen;
    seen += size;
    // The stream's bytes this chunk holds: [from, from + size); the checksum: [first, end).
    if (from + size <= first || from >= end) continue;
    const data = bytes.slice(c.dataStart, c.dataStart + s.skip + Math.min(size, end - from));
    for (let k = Math.max(first, from); k < Math.min(end, from + size); k++) data[s.skip + k - from] = right[k - first];
    plan.action = { op: 'replace', bytes: chunkOf(c.type, data) };
    if (from + size >= end) {
      plan.findings.push({ kind: 'unknown-segment', where: `chunk ${c.type} @ ${c.offset}`, detail: `zlib Adler-32 of the compressed ${s.label} data does not match its inflated bytes (4 bytes no pixel depends on)` });
      plan.notes.push(`wrote the right Adler-32 at the end of the compressed ${s.label} data (pixels unchanged)`);
    }
  }
}

/** tRNS alpha for a palette entry no pixel uses: 255, what a missing entry means (PNG 11.3.1.1). */
const OPAQUE = 255;

/**
 * PNG 11.2.3: palette entries past the highest index any pixel uses, and entries below it no
 * pixel uses, are free bytes (so are their tRNS alphas). The strip writes PLTE up to the highest
 * used index with the unused entries zero, and tRNS no longer than that with unused alphas 255:
 * no pixel changes, the decoder never looks at those entries.
 */
function unusedPalette(bytes: Uint8Array, plans: Plan[], plteIndex: number, entries: number, used: Uint8Array): void {
  if (plteIndex < 0) return;
  let keep = 0;
  for (let i = 0; i < used.length; i++) if (used[i]) keep = i + 1;
  // An index past the palette's end is the image's own error (11.2.3), which libspng (sharp)
  // draws black without reading any entry: the palette keeps its length, and the entries no
  // pixel uses below its end are as free as in any other palette (leaving such a file alone
  // kept a name there, verified clean).
  keep = Math.min(keep, entries);
  const unused = entries - used.subarray(0, entries).reduce((n, u) => n + u, 0);
  const rewrite = (plan: Plan, data: Uint8Array, detail: string, note: string) => {
    const c = plan.chunk;
    if (plan.action.op !== 'keep' || (data.length === c.dataEnd - c.dataStart && data.every((v, i) => v === bytes[c.dataStart + i]))) return;
    plan.findings.push({ kind: 'unknown-segment', where: `chunk ${c.type} @ ${c.offset}`, detail });
    plan.action = { op: 'replace', bytes: chunkOf(c.type, data) };
    plan.notes.push(note);
  };
  const plte = plans[plteIndex].chunk;
  const palette = new Uint8Array(keep * PALETTE_ENTRY);
  for (let i = 0; i < keep; i++) if (used[i]) palette.set(bytes.subarray(plte.dataStart + i * PALETTE_ENTRY, plte.dataStart + (i + 1) * PALETTE_ENTRY), i * PALETTE_ENTRY);
  rewrite(plans[plteIndex], palette, `${unused} palette entries no pixel uses (free bytes)`, `cleared ${unused} palette entries no pixel uses`);
  const trns = plans.find((p) => p.chunk.type === 'tRNS' && p.action.op === 'keep');
  if (!trns) return;
  const alphas = bytes.subarray(trns.chunk.dataStart, trns.chunk.dataEnd);
  const canonical = Uint8Array.from(alphas.subarray(0, keep), (a, i) => (used[i] ? a : OPAQUE));
  rewrite(trns, canonical, 'transparency of palette entries no pixel uses', 'cleared the transparency of palette entries no pixel uses');
}

/**
 * Judges every chunk (walk and strip share this): the allowlist (judge), the exact shape of each
 * kept chunk and where and how often it may stand (png-rules.ts, PNG 5.6), whether this image can
 * use it at all, canonical values for chunks that never change the pixels, and the compressed
 * image streams. Keeps only what a decoder needs to draw the pixels in their colours.
 */
function assess(bytes: Uint8Array, options: WalkOptions = {}): Assessment {
  const { chunks, afterIend } = readChunks(bytes);
  const ihdr = parseIhdr(bytes, chunks[0].dataStart, chunks[0].dataEnd - chunks[0].dataStart);
  requireValidCrc(bytes, chunks[0]);
  const firstIdat = chunks.findIndex((c) => c.type === 'IDAT');
  if (firstIdat < 0) throw new DeidError('malformed', 'PNG: no IDAT chunk');
  const indexed = ihdr.colourType === COLOUR_TYPE.indexed;
  const truecolour = ihdr.colourType === COLOUR_TYPE.rgb || ihdr.colourType === COLOUR_TYPE.rgba;
  // The palette decoders use: the first PLTE before IDAT (a second one is a fatal "duplicate" to libpng).
  const plteIndex = indexed ? chunks.findIndex((c, i) => c.type === 'PLTE' && i < firstIdat) : -1;
  if (indexed && plteIndex < 0) throw new DeidError('malformed', 'PNG: indexed-colour image without PLTE before IDAT');
  const palette = plteIndex >= 0 ? paletteEntries(ihdr, chunks[plteIndex].dataEnd - chunks[plteIndex].dataStart) : 0;
  if (plteIndex >= 0) requireValidCrc(bytes, chunks[plteIndex]);
  const hasSrgb = chunks.some((c, i) => c.type === 'sRGB' && i < firstIdat && c.dataEnd - c.dataStart === 1);
  const seen = new Set<string>();
  const image: ImageStream = { chunkIndices: [], skip: 0, width: ihdr.width, height: ihdr.height, label: 'image' };
  let idatRunOver = false;
  let actl = -1;
  const apng: number[] = [];
  // PNG 5.6: one iCCP, before PLTE and IDAT; decoders ignore any other (png-icc.ts).
  const firstPlte = chunks.findIndex((c) => c.type === 'PLTE');
  let iccpSeen = false;
  let conversion: string | null = null;

  const plans = chunks.map((c, i): Plan => {
    const length = c.dataEnd - c.dataStart;
    const where = `chunk ${c.type} @ ${c.offset}`;
    const plan: Plan = { chunk: c, findings: [], action: { op: 'keep' }, notes: [] };
    const reject = (detail: string, note?: string): Plan => {
      plan.findings.push({ kind: 'unknown-segment', where, detail });
      plan.action = { op: 'drop' };
      if (note) plan.notes.push(note);
      return plan;
    };
    const rewrite = (detail: string, data: Uint8Array, note: string): Plan => {
      plan.findings.push({ kind: 'unknown-segment', where, detail });
      plan.action = { op: 'replace', bytes: chunkOf(c.type, data) };
      plan.notes.push(note);
      return plan;
    };
    if (i === 0) return plan;
    if (c.type === 'IEND') {
      if (length !== 0) plan.findings.push(...judge(bytes, c));
      else if (!hasValidCrc(bytes, c)) plan.findings.push({ kind: 'unknown-segment', where, detail: 'IEND chunk with a bad CRC' });
      if (plan.findings.length > 0) plan.action = { op: 'replace', bytes: EMPTY_IEND };
      return plan;
    }
    if (c.type === 'IDAT') {
      requireValidCrc(bytes, c);
      // PNG 5.6: IDAT chunks are consecutive. libpng stops at the first run ("Too many IDATs
      // found" for a later one); a later IDAT holds nothing any decoder draws.
      if (idatRunOver) return reject('IDAT chunk after the image data ended', `dropped an IDAT chunk after the image data`);
      image.chunkIndices.push(i);
      return plan;
    }
    if (image.chunkIndices.length > 0) idatRunOver = true;
    if (c.type === 'iCCP') {
      const usable = !iccpSeen && i < firstIdat && (firstPlte < 0 || i < firstPlte);
      iccpSeen = true;
      // PNG 13.2: an ancillary chunk with a bad CRC is discarded by decoders, so it goes.
      if (!hasValidCrc(bytes, c)) return reject('iCCP chunk with a bad CRC (damaged)', 'dropped a damaged iCCP chunk (bad CRC)');
      const verdict = judgeIccp(bytes.subarray(c.dataStart, c.dataEnd), where, usable);
      for (const f of verdict.findings) plan.findings.push(f);
      if (verdict.note) plan.notes.push(verdict.note);
      if (verdict.needsConversion) conversion = conversion ?? verdict.needsConversion;
      if (verdict.findings.length > 0) plan.action = verdict.replacement ? { op: 'replace', bytes: verdict.replacement } : { op: 'drop' };
      return plan;
    }
    const found = judge(bytes, c);
    if (found.length > 0) {
      plan.findings.push(...found);
      plan.action = { op: 'drop' };
      return plan;
    }
    // From here on: chunks on the allowlist.
    if (c.type === 'IHDR') return reject('a second IHDR chunk (PNG 5.6: one only, first)');
    if (!hasValidCrc(bytes, c)) {
      // PNG 13.2 / libpng: an ancillary chunk with a bad CRC is discarded; a critical one is fatal.
      if (!isAncillary(c.type)) throw new DeidError('malformed', `PNG: chunk ${c.type} at ${c.offset} fails its CRC`);
      return reject(`${c.type} chunk with a bad CRC (damaged)`, `dropped a damaged ${c.type} chunk (bad CRC)`);
    }
    if (!hasExpectedLength(c.type, length, ihdr, palette)) {
      return reject(`${c.type} chunk with unexpected length`);
    }
    const placement = PLACEMENT[c.type];
    if (placement) {
      if (placement.once && seen.has(c.type)) return reject(`a second ${c.type} chunk (PNG 5.6: one only)`);
      seen.add(c.type);
      if (placement.beforeIdat && i > firstIdat) return reject(`${c.type} chunk after the image data (PNG 5.6: before IDAT)`);
      if (placement.beforePlte && plteIndex >= 0 && i > plteIndex) return reject(`${c.type} chunk after PLTE (PNG 5.6: before PLTE)`);
      if (placement.afterPlte && indexed && i < plteIndex) return reject(`${c.type} chunk before PLTE (PNG 5.6: after PLTE)`);
    }
    switch (c.type) {
      case 'PLTE':
        // PNG 11.2.3: in truecolour PLTE is only a suggested palette for displays with few
        // colours; decoders never use it to draw the pixels (and in grayscale it is forbidden).
        if (!indexed) return reject(truecolour ? 'suggested palette (PLTE) in a truecolour image: not used to decode' : 'PLTE in a grayscale image');
        if (i !== plteIndex) return reject('a second PLTE chunk');
        return plan;
      case 'bKGD':
        // PNG 11.3.5.1: a background to show behind the image; decoders draw the pixels without it.
        return reject('background colour (bKGD): does not affect decoded pixels');
      case 'sBIT':
        // PNG 11.3.2.4: the original precision; samples are decoded at the full bit depth regardless.
        return reject('significant bits (sBIT): does not affect decoded pixels');
      case 'pHYs':
        // PNG 11.3.4.2: intended physical pixel size, never the pixel values.
        if (sameBytes(bytes, c.dataStart, CANONICAL_PHYS)) return plan;
        return rewrite('physical pixel dimensions (pHYs) with non-canonical values', CANONICAL_PHYS, 'wrote a canonical pHYs');
      case 'tRNS':
        // PNG 11.3.1.1: not allowed with an alpha channel; a gray/RGB value beyond the bit depth
        // matches no pixel, so the chunk does nothing.
        if (ihdr.colourType === COLOUR_TYPE.grayAlpha || ihdr.colourType === COLOUR_TYPE.rgba) return reject('tRNS in an image with an alpha channel');
        if (!trnsFitsDepth(bytes, c.dataStart, length, ihdr)) return reject('tRNS value outside the bit depth: matches no pixel');
        return plan;
      case 'gAMA': {
        const gamma = u32(bytes, c.dataStart);
        if (gamma === 0) return reject('gAMA of zero (PNG 11.3.2.3: invalid)');
        if (hasSrgb && gamma !== SRGB_GAMA) return rewrite('gAMA disagreeing with sRGB', be32s([SRGB_GAMA]), 'wrote the sRGB gAMA value (PNG 11.3.2.5)');
        return plan;
      }
      case 'cHRM':
        if (hasSrgb && !sameBytes(bytes, c.dataStart, be32s(SRGB_CHRM))) return rewrite('cHRM disagreeing with sRGB', be32s(SRGB_CHRM), 'wrote the sRGB cHRM values (PNG 11.3.2.5)');
        return plan;
      case 'sRGB':
        if (bytes[c.dataStart] > MAX_SRGB_INTENT) return rewrite('sRGB with an undefined rendering intent', new Uint8Array([0]), 'wrote sRGB with the perceptual rendering intent');
        return plan;
      case 'cICP':
        return isValidCicp(bytes, c.dataStart) ? plan : reject('cICP with invalid matrix or range values');
      case 'acTL':
        actl = i;
        apng.push(i);
        return plan;
      case 'fcTL':
      case 'fdAT':
        if (length < SEQUENCE_SIZE) return reject(`${c.type} chunk too short for its sequence number`);
        apng.push(i);
        return plan;
      default:
        return plan;
    }
  });

  // APNG: valid as a whole or dropped as a whole (see animationProblem).
  const frames: ImageStream[] = [];
  if (apng.length > 0) {
    const problem = animationProblem(bytes, chunks, ihdr, actl, firstIdat, apng);
    if (problem !== null) {
      for (const i of apng) {
        plans[i].findings.push({ kind: 'unknown-segment', where: `chunk ${chunks[i].type} @ ${chunks[i].offset}`, detail: `animation chunk in an invalid animation (${problem})` });
        plans[i].action = { op: 'drop' };
      }
      plans[apng[0]].notes.push(`dropped an invalid animation (${problem}); the still image is kept`);
    } else {
      let frame: ImageStream | null = null;
      for (const i of apng) {
        const c = chunks[i];
        if (c.type === 'fcTL') {
          const f = readFctl(bytes, c, i);
          frame = { chunkIndices: [], skip: SEQUENCE_SIZE, width: f.width, height: f.height, label: 'frame' };
          frames.push(frame);
        } else if (c.type === 'fdAT' && frame) frame.chunkIndices.push(i);
      }
    }
  }

  let notClean: string | null = null;
  const measured: Array<[ImageStream, number]> = [];
  const refuseStream = (s: ImageStream, why: string): void => {
    const last = s.chunkIndices[s.chunkIndices.length - 1];
    plans[last].findings.push({ kind: 'unknown-segment', where: `chunk ${chunks[last].type} @ ${chunks[last].offset}`, detail: why });
    notClean = notClean ?? why;
  };
  // Inflating the image (scanData's Adler-32, the rows of indexed and sub-byte images) costs
  // time and memory in proportion to its pixels, and deflate codes up to 1032 bytes in one
  // (RFC 1951 3.2.5): 400 kB of IDAT can declare 20000 x 20000. The limit pixel decoding has
  // (the caller's policy maxPixels, else core/limits.ts; sharp is given the same) holds here too.
  const maxPixels = options.maxPixels ?? DEFAULT_LIMITS.maxPixels;
  if ((options.scanData || needsRows(ihdr)) && ihdr.width * ihdr.height > maxPixels) {
    throw new DeidError('unsupported', `PNG: the image is ${ihdr.width}x${ihdr.height}, more than the ${megapixels(maxPixels)} MP whose data is read (maxPixels in the policy file; core/limits.ts by default); not read`);
  }
  // The APNG frames are inflated too, and together with the image they are held to the same
  // limit. What is inflated is what IHDR and the fcTLs declare, never more: zlibExtent stops a
  // stream at the rows its header declares (more is a finding), and a decoder that shows the
  // image and every frame (PNG 3rd ed. 11.3.6.3: each frame's fdAT data inflates to the rows of
  // its fcTL rectangle) inflates exactly as much. So the work is the declared pixels summed over
  // the image and its frames (at most 8 bytes each, RGBA16; one pass per reading), and that sum
  // is held to maxPixels: an animation is read as one picture made of all its frames. The
  // compressed size bounds nothing here and must not be the test: deflate codes up to 1032 bytes
  // in one (RFC 1951 3.2.5), so a flat picture (one colour, 60 MP of RGBA16) is legitimately as
  // small as a hostile one, while 60 empty full-canvas frames of 4000 x 4000 (960 MP in 930 kB,
  // 10 s to read) are refused by what they declare, before anything is inflated.
  if (options.scanData || needsRows(ihdr)) {
    const read = [image, ...frames].filter((s) => s.chunkIndices.length > 0);
    const declared = read.reduce((n, s) => n + s.width * s.height, 0);
    if (declared > maxPixels) {
      throw new DeidError('unsupported', `PNG: the image and its ${read.length - 1} animation frame(s) declare ${declared} pixels together, more than the ${megapixels(maxPixels)} MP whose data is read (maxPixels in the policy file; core/limits.ts by default); not read`);
    }
  }
  for (const s of [image, ...frames]) {
    if (s.chunkIndices.length === 0) continue;
    const adler = options.scanData ? new AdlerOfInflated() : undefined;
    const extent = streamExtent(bytes, chunks, s, ihdr, adler);
    if ('refuse' in extent) {
      refuseStream(s, extent.refuse);
      continue;
    }
    if (extent.end < extent.total) trimStream(bytes, plans, s, extent.end, extent.total);
    if (adler) checkAdler(bytes, plans, s, extent.end, adler.value());
    measured.push([s, extent.end]);
  }
  if (notClean === null && needsRows(ihdr)) {
    const facts = emptyFacts(ihdr);
    for (const [s, end] of measured) {
      const stream = joinBytes(s.chunkIndices.map((i) => bytes.subarray(chunks[i].dataStart + s.skip, chunks[i].dataEnd))).subarray(0, end);
      const before = facts.paddedRows;
      readRows(stream, ihdr, s.width, s.height, facts);
      // The rows strip writes are made again only when it writes them (the walk never does).
      if (facts.paddedRows > before) recompress(plans, s, () => readRows(stream, ihdr, s.width, s.height, emptyFacts(ihdr), true) as Uint8Array, facts.paddedRows - before, refuseStream);
    }
    if (facts.used) unusedPalette(bytes, plans, plteIndex, palette, facts.used);
  }
  return { plans, afterIend, notClean, conversion };
}

function walk(bytes: Uint8Array, options: WalkOptions = {}): Part[] {
  const { plans, afterIend, notClean } = assess(bytes, options);
  const parts: Part[] = [{ name: 'signature', offset: 0, length: SIGNATURE_SIZE, finding: null }];
  for (const { chunk: c, findings } of plans) {
    const at = { name: c.type, offset: c.offset, length: c.end - c.offset };
    if (findings.length === 0) parts.push({ ...at, finding: null });
    else for (const finding of findings) parts.push({ ...at, finding });
  }
  if (afterIend < bytes.length) {
    const count = bytes.length - afterIend;
    parts.push({ name: 'after IEND', offset: afterIend, length: count, finding: { kind: 'trailer', where: `@ ${afterIend}`, detail: `${count} bytes after IEND` } });
  }
  // The verdict and the strip agree by construction: a file with no finding must be exactly
  // what strip writes. Anything else is a rule above that forgot to say why.
  if (notClean === null && parts.every((p) => p.finding === null) && !joinsTo(outputOf(bytes, plans).pieces, bytes)) {
    parts.push({ name: 'file', offset: 0, length: bytes.length, finding: { kind: 'unknown-segment', where: 'file', detail: 'not in the canonical form strip writes' } });
  }
  return parts;
}

/** A whole eXIf chunk holding only the minimal orientation block (CRC computed). */
function orientationChunk(orientation: number): Uint8Array {
  return chunkOf('eXIf', minimalOrientationExif(orientation));
}

/**
 * The output: the signature, then each chunk as its plan says, ending at IEND.
 *
 * Orientation: an eXIf Orientation of 2..8 before IDAT is kept as a minimal orientation-only eXIf
 * in the place of the original chunk (PNG 3rd ed. 5.6 puts eXIf before IDAT; decoders that honour
 * it look there only). Viewers disagree on whether they apply PNG eXIf orientation at all, so
 * keeping it exactly as it was is the only choice that cannot change how a given viewer shows the
 * picture; the block holds one number and nothing else (the same rule as for JPEG).
 */
function outputOf(bytes: Uint8Array, plans: readonly Plan[]): { pieces: Uint8Array[]; removed: Set<FindingKind>; notes: string[] } {
  const pieces: Uint8Array[] = [bytes.subarray(0, SIGNATURE_SIZE)];
  const removed = new Set<FindingKind>();
  const notes: string[] = [];
  let orientationKept = false;
  const firstIdat = plans.findIndex((p) => p.chunk.type === 'IDAT');
  plans.forEach(({ chunk: c, findings, action, notes: chunkNotes }, i) => {
    for (const f of findings) removed.add(f.kind);
    notes.push(...chunkNotes);
    if (action.op === 'keep') {
      pieces.push(bytes.subarray(c.offset, c.end));
      if (c.type === 'eXIf') orientationKept = true;
      return;
    }
    if (action.op === 'replace') {
      pieces.push(action.bytes);
      return;
    }
    if (action.op === 'recompress') {
      pieces.push(chunkOf('IDAT', zlibSync(action.rows(), { level: 9 })));
      return;
    }
    if (c.type === 'eXIf' && !orientationKept && i < firstIdat) {
      const exif = scanExifChunk(bytes, c, 'eXIf');
      const orientation = isDeidError(exif) ? null : exif.orientation;
      if (orientation !== null && orientation !== ORIENTATION_AS_STORED) {
        pieces.push(orientationChunk(orientation));
        notes.push(`kept Orientation ${orientation} in a minimal EXIF`);
        orientationKept = true;
      }
    }
  });
  return { pieces, removed, notes };
}

function assemble(bytes: Uint8Array, plans: readonly Plan[]): StripResult {
  const { pieces, removed, notes } = outputOf(bytes, plans);
  return { bytes: joinBytes(pieces), removed: [...removed].sort(), notes };
}

/**
 * Writes what assess() planned: allowlisted chunks byte for byte (IDAT and fdAT data up to the
 * end of their zlib streams, so decoded pixels cannot change), canonical values where a kept
 * chunk's values never reach the pixels, an empty IEND, nothing after it.
 */
function strip(bytes: Uint8Array, options: WalkOptions = {}): StripResult {
  const { plans, afterIend, notClean, conversion } = assess(bytes, options);
  // Hidden bytes inside the deflate data itself: only re-encoding could remove them.
  if (notClean !== null) throw new DeidError('not-clean', `PNG: ${notClean}`);
  if (conversion !== null) throw new DeidError('needs-conversion', `PNG: ${conversion}`);
  const result = assemble(bytes, plans);
  if (afterIend < bytes.length) {
    result.removed = [...new Set([...result.removed, 'trailer' as const])].sort();
    result.notes.push(`dropped ${bytes.length - afterIend} bytes after IEND`);
  }
  return result;
}

export const pngFormat: ContainerFormat = {
  formats: ['png'],
  detect: (bytes) => (isPng(bytes) ? 'png' : null),
  walk,
  strip,
};
