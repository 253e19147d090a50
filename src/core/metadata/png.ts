/**
 * PNG (W3C PNG Specification, 3rd edition, https://www.w3.org/TR/png-3/): an 8-byte signature,
 * then chunks of length(4, big-endian) type(4) data CRC(4) (section 5.3), the first IHDR and the
 * last IEND.
 *
 * The walk is an allowlist (research/deid-threats.md section 2): image structure and colour
 * interpretation chunks are clean; text, EXIF, times, ICC, C2PA, every other chunk, and any byte
 * after IEND are findings. A kept chunk must also have exactly its spec shape (png-rules.ts), and
 * the compressed image must end where its zlib stream ends and inflate to exactly the rows IHDR
 * describes (zlib-extent.ts): otherwise a kept chunk could carry bytes no decoder shows. Strip
 * keeps exactly the clean chunks byte for byte (IDAT untouched, so decoded pixels cannot change)
 * and refuses ('not-clean') when the hidden bytes are inside the image data itself.
 */
import { fourcc, u32be as u32 } from '../bytes';
import { crc32 } from '../crc32';
import { DeidError, isDeidError } from '../errors';
import { hasExpectedLength, paletteEntries, parseIhdr, rawImageSize, type Ihdr } from './png-rules';
import { exifBlockFindings, minimalOrientationExif, tryScanExif, type ExifScan } from './tiff-ifd';
import { zlibExtent } from './zlib-extent';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult } from './types';

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
/** The canonical empty IEND chunk: length 0, "IEND", CRC-32 of "IEND". */
const EMPTY_IEND = new Uint8Array([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * Image structure and colour interpretation (PNG 11.2, 11.3.2): numbers only, no text, no
 * identity. Chunk types are case-sensitive, so "idat" or "Idat" is not IDAT.
 */
const ALLOWED: ReadonlySet<string> = new Set([
  'IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'pHYs', 'sBIT', 'bKGD',
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
    case 'iCCP':
      return one('icc', 'embedded ICC profile (name, description, dates)');
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

/**
 * A kept chunk with a bad CRC is refused by walk and strip alike: its bytes are damaged and we
 * will not vouch for them (decoders reject a critical chunk with a bad CRC). Dropped chunks are
 * not checked: whatever they hold is gone after strip.
 */
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

interface Assessment {
  chunks: Chunk[];
  afterIend: number;
  /** What each chunk reveals, in chunk order ([] for clean). */
  findings: Finding[][];
  /** Why no lossless strip can make the file clean (data hidden inside the kept pixel data), or null. */
  notClean: string | null;
}

/**
 * Where a compressed image stream hides data the decoder never shows: bytes after the end of the
 * zlib stream (decoders stop at the final block) or more inflated bytes than the image has rows
 * for. A stream shorter than the image is a broken image: malformed.
 */
function streamProblem(bytes: Uint8Array, chunks: readonly Chunk[], s: ImageStream, ihdr: Ihdr): string | null {
  const segments = s.chunkIndices.map((i) => bytes.subarray(chunks[i].dataStart + s.skip, chunks[i].dataEnd));
  const expected = rawImageSize(ihdr, s.width, s.height);
  const extent = zlibExtent(segments, expected);
  if (extent.overLimit) return `more decompressed ${s.label} data than the ${s.label} size implies`;
  const total = segments.reduce((n, seg) => n + seg.length, 0);
  if (extent.end < total) return `${total - extent.end} bytes after the end of the compressed ${s.label} data`;
  if (extent.inflated < expected) throw new DeidError('malformed', `PNG: compressed ${s.label} data holds fewer bytes than the ${s.label} needs`);
  return null;
}

/**
 * Judges every chunk (walk and strip share this): the allowlist, the exact shape of each kept
 * chunk (png-rules.ts), and the compressed image streams.
 */
function assess(bytes: Uint8Array): Assessment {
  const { chunks, afterIend } = readChunks(bytes);
  const ihdr = parseIhdr(bytes, chunks[0].dataStart, chunks[0].dataEnd - chunks[0].dataStart);
  const image: ImageStream = { chunkIndices: [], skip: 0, width: ihdr.width, height: ihdr.height, label: 'image' };
  const frames: ImageStream[] = [];
  let frame: ImageStream | null = null;
  let palette = 0;
  const findings = chunks.map((c, i): Finding[] => {
    const length = c.dataEnd - c.dataStart;
    const where = `chunk ${c.type} @ ${c.offset}`;
    const found = judge(bytes, c);
    if (c.type === 'PLTE') palette = paletteEntries(ihdr, length);
    if (found.length === 0 && !hasExpectedLength(c.type, length, ihdr, palette)) {
      // A misshapen fcTL is dropped, so the fdAT chunks after it belong to no frame.
      if (c.type === 'fcTL') frame = null;
      return [{ kind: 'unknown-segment', where, detail: `${c.type} chunk with unexpected length` }];
    }
    if (c.type === 'IDAT') image.chunkIndices.push(i);
    if (c.type === 'fcTL') {
      frame = { chunkIndices: [], skip: SEQUENCE_SIZE, width: u32(bytes, c.dataStart + SEQUENCE_SIZE), height: u32(bytes, c.dataStart + 2 * SEQUENCE_SIZE), label: 'frame' };
      frames.push(frame);
    }
    if (c.type === 'fdAT') {
      if (frame === null || length < SEQUENCE_SIZE) return [{ kind: 'unknown-segment', where, detail: 'fdAT chunk outside an animation frame' }];
      frame.chunkIndices.push(i);
    }
    return found;
  });
  if (image.chunkIndices.length === 0) throw new DeidError('malformed', 'PNG: no IDAT chunk');
  let notClean: string | null = null;
  for (const s of [image, ...frames]) {
    if (s.chunkIndices.length === 0) continue;
    const problem = streamProblem(bytes, chunks, s, ihdr);
    if (problem === null) continue;
    const last = s.chunkIndices[s.chunkIndices.length - 1];
    findings[last].push({ kind: 'unknown-segment', where: `chunk ${chunks[last].type} @ ${chunks[last].offset}`, detail: problem });
    notClean = notClean ?? problem;
  }
  return { chunks, afterIend, findings, notClean };
}

function walk(bytes: Uint8Array): Part[] {
  const { chunks, afterIend, findings } = assess(bytes);
  const parts: Part[] = [{ name: 'signature', offset: 0, length: SIGNATURE_SIZE, finding: null }];
  chunks.forEach((c, i) => {
    const at = { name: c.type, offset: c.offset, length: c.end - c.offset };
    if (findings[i].length === 0) {
      requireValidCrc(bytes, c);
      parts.push({ ...at, finding: null });
    } else {
      for (const finding of findings[i]) parts.push({ ...at, finding });
    }
  });
  if (afterIend < bytes.length) {
    const count = bytes.length - afterIend;
    parts.push({ name: 'after IEND', offset: afterIend, length: count, finding: { kind: 'trailer', where: `@ ${afterIend}`, detail: `${count} bytes after IEND` } });
  }
  return parts;
}

/** A whole eXIf chunk holding only the minimal orientation block (CRC computed). */
function orientationChunk(orientation: number): Uint8Array {
  const tiff = minimalOrientationExif(orientation);
  const out = new Uint8Array(CHUNK_OVERHEAD + tiff.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, tiff.length);
  out.set([0x65, 0x58, 0x49, 0x66], LENGTH_SIZE); // "eXIf"
  out.set(tiff, LENGTH_SIZE + TYPE_SIZE);
  view.setUint32(LENGTH_SIZE + TYPE_SIZE + tiff.length, crc32(out, LENGTH_SIZE, LENGTH_SIZE + TYPE_SIZE + tiff.length));
  return out;
}

/**
 * Keeps the signature and the allowlisted chunks byte for byte and ends at an empty IEND (an IEND
 * carrying data is written canonically: decoders ignore its content, so dropping it changes nothing).
 *
 * Orientation: an eXIf Orientation of 2..8 is kept as a minimal orientation-only eXIf in the
 * place of the original chunk (PNG 3rd ed. requires eXIf before IDAT). Viewers disagree on
 * whether they apply PNG eXIf orientation at all, so keeping it exactly as it was is the only
 * choice that cannot change how a given viewer shows the picture; the block holds one number
 * and nothing else (the same rule as for JPEG).
 */
function strip(bytes: Uint8Array): StripResult {
  const { chunks, afterIend, findings: judged, notClean } = assess(bytes);
  // Rewriting IDAT would mean re-encoding the image: beyond a lossless strip.
  if (notClean !== null) throw new DeidError('not-clean', `PNG: ${notClean}`);
  const pieces: Uint8Array[] = [bytes.subarray(0, SIGNATURE_SIZE)];
  const removed = new Set<FindingKind>();
  const notes: string[] = [];
  let orientationKept = false;
  chunks.forEach((c, i) => {
    const findings = judged[i];
    if (findings.length === 0) {
      requireValidCrc(bytes, c);
      pieces.push(bytes.subarray(c.offset, c.end));
      if (c.type === 'eXIf') orientationKept = true;
      return;
    }
    for (const f of findings) removed.add(f.kind);
    if (c.type === 'IEND') pieces.push(EMPTY_IEND);
    if (c.type === 'eXIf' && !orientationKept) {
      const exif = scanExifChunk(bytes, c, 'eXIf');
      const orientation = isDeidError(exif) ? null : exif.orientation;
      if (orientation !== null && orientation !== ORIENTATION_AS_STORED) {
        pieces.push(orientationChunk(orientation));
        notes.push(`kept Orientation ${orientation} in a minimal EXIF`);
        orientationKept = true;
      }
    }
  });
  if (afterIend < bytes.length) {
    removed.add('trailer');
    notes.push(`dropped ${bytes.length - afterIend} bytes after IEND`);
  }
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of pieces) {
    out.set(p, pos);
    pos += p.length;
  }
  return { bytes: out, removed: [...removed].sort(), notes };
}

export const pngFormat: ContainerFormat = {
  formats: ['png'],
  detect: (bytes) => (isPng(bytes) ? 'png' : null),
  walk,
  strip,
};
