/**
 * WebP (RFC 9649, https://www.rfc-editor.org/rfc/rfc9649): "RIFF" size(4, little-endian) "WEBP",
 * then chunks of FourCC(4) size(4, little-endian) data, each padded to an even length (2.3).
 *
 * The walk is an allowlist (research/deid-threats.md section 2): VP8, VP8L, VP8X, ALPH, ANIM and
 * ANMF (whose frame data is walked too) are clean; EXIF, XMP, ICCP, any other chunk and bytes
 * beyond the RIFF size are findings. Strip keeps exactly the clean chunks, bitstreams byte for
 * byte, fixes the VP8X flags and the RIFF size.
 */
import { fourcc, u32le } from '../bytes';
import { DeidError, isDeidError } from '../errors';
import { judgeWebpIccp, type IccpPayloadVerdict } from './webp-icc';
import { exifBlockFindings, minimalOrientationExif, tryScanExif, type ExifScan } from './tiff-ifd';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult } from './types';

/** "RIFF", size, "WEBP". */
const HEADER_SIZE = 12;
/** The RIFF size counts everything after its own 8 bytes ("RIFF" + size). */
const RIFF_PREAMBLE = 8;
const CHUNK_HEADER = 8;
/** RFC 9649 2.7: VP8X holds flags(1) reserved(3) canvas width-1(3) height-1(3). */
const VP8X_PAYLOAD = 10;
/** RFC 9649 2.7.1.1: ANIM holds background colour(4) loop count(2). */
const ANIM_PAYLOAD = 6;
/** RFC 9649 2.7.1: flag bits 0 and 6-7 are reserved, then 3 reserved bytes (all must be 0). */
const VP8X_RESERVED_FLAGS = 0xc1;
const VP8X_RESERVED_BYTES = 3;
/** RFC 9649 2.7.1.1: ANMF holds X, Y, width-1, height-1, duration (3 bytes each), flags (1). */
const ANMF_HEADER = 16;
/** Chunks that are picture data or picture structure (RFC 9649 2.5-2.7). */
const ALLOWED: ReadonlySet<string> = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF']);
/** RFC 9649 2.7.1.1: a frame's data is an optional ALPH and one bitstream (unknown chunks allowed). */
const FRAME_ALLOWED: ReadonlySet<string> = new Set(['VP8 ', 'VP8L', 'ALPH']);
/** VP8X flag bits (RFC 9649 2.7): which optional chunks the file announces. */
const FLAG_ICC = 0x20;
const FLAG_EXIF = 0x08;
const FLAG_XMP = 0x04;
/** Some writers keep JPEG's "Exif\0\0" header in front of the TIFF structure. */
const EXIF_PREFIX = 'Exif\0\0';
/** Orientation 1 (as stored) needs no EXIF at all. */
const ORIENTATION_AS_STORED = 1;



/**
 * A FourCC as a finding may name it: one of letters only (and the known ids) is structure; any
 * other id could be four bytes of a value ("J.S."), so it is not repeated.
 */
function printable(id: string): string {
  return /^[A-Za-z]{4}$/.test(id) || ALLOWED.has(id) ? JSON.stringify(id) : 'with a non-letter FourCC';
}

/** A FourCC for a `where`: the same rule as printable(). */
function idForWhere(id: string): string {
  return /^[A-Za-z]{4}$/.test(id) || ALLOWED.has(id) ? id.trim() : '?';
}

/** Kinds of the metadata chunks RFC 9649 2.7.1 defines, wherever they appear. */
const METADATA_KINDS: Readonly<Record<string, [FindingKind, string]>> = {
  EXIF: ['exif', 'EXIF block'],
  'XMP ': ['xmp', 'XMP packet'],
  ICCP: ['icc', 'embedded ICC profile (name, description, dates)'],
};

/** VP8X of exactly 10 bytes with its reserved bits and bytes zero (anything else can hide data). */
function isCanonicalVp8x(bytes: Uint8Array, c: Chunk): boolean {
  if (c.dataEnd - c.dataStart !== VP8X_PAYLOAD || bytes[c.dataStart] & VP8X_RESERVED_FLAGS) return false;
  for (let i = 1; i <= VP8X_RESERVED_BYTES; i++) if (bytes[c.dataStart + i] !== 0) return false;
  return true;
}

function isWebp(b: Uint8Array): boolean {
  return b.length >= HEADER_SIZE && fourcc(b, 0) === 'RIFF' && fourcc(b, 8) === 'WEBP';
}

interface Chunk {
  id: string;
  offset: number;
  dataStart: number;
  dataEnd: number;
  /** End including the pad byte. */
  end: number;
}

/** The chunks between `start` and `end`; a chunk running past `end` is truncated. */
function readChunkList(bytes: Uint8Array, start: number, end: number, what: string): Chunk[] {
  const chunks: Chunk[] = [];
  let pos = start;
  while (pos < end) {
    if (pos + CHUNK_HEADER > end) throw new DeidError('truncated', `WebP: ${what} chunk header at ${pos} cut off`);
    const id = fourcc(bytes, pos);
    const size = u32le(bytes, pos + 4);
    const dataEnd = pos + CHUNK_HEADER + size;
    if (dataEnd > end) throw new DeidError('truncated', `WebP: ${what} chunk ${printable(id)} at ${pos} runs past its container`);
    // A missing pad byte after the very last chunk is tolerated (common writer slip).
    const chunkEnd = Math.min(end, dataEnd + (size & 1));
    chunks.push({ id, offset: pos, dataStart: pos + CHUNK_HEADER, dataEnd, end: chunkEnd });
    pos = chunkEnd;
  }
  return chunks;
}

function readChunks(bytes: Uint8Array): { chunks: Chunk[]; riffEnd: number } {
  if (!isWebp(bytes)) throw new DeidError('malformed', 'WebP: RIFF/WEBP header missing');
  const riffEnd = RIFF_PREAMBLE + u32le(bytes, 4);
  if (riffEnd > bytes.length) throw new DeidError('truncated', `WebP: RIFF size says ${riffEnd} bytes, the file has ${bytes.length}`);
  if (riffEnd < HEADER_SIZE + CHUNK_HEADER) throw new DeidError('malformed', 'WebP: RIFF holds no chunk');
  const chunks = readChunkList(bytes, HEADER_SIZE, riffEnd, 'top-level');
  const first = chunks[0];
  if (first.id !== 'VP8 ' && first.id !== 'VP8L' && first.id !== 'VP8X') {
    throw new DeidError('malformed', 'WebP: first chunk is not VP8, VP8L or VP8X');
  }
  if (first.id === 'VP8X' && first.dataEnd - first.dataStart < VP8X_PAYLOAD) {
    throw new DeidError('malformed', `WebP: VP8X holds ${first.dataEnd - first.dataStart} bytes, not ${VP8X_PAYLOAD}`);
  }
  return { chunks, riffEnd };
}

/** The sub-chunks of an ANMF frame (after its 16-byte frame header). */
function frameChunks(bytes: Uint8Array, anmf: Chunk): Chunk[] {
  if (anmf.dataEnd - anmf.dataStart < ANMF_HEADER) throw new DeidError('malformed', `WebP: ANMF at ${anmf.offset} shorter than its header`);
  return readChunkList(bytes, anmf.dataStart + ANMF_HEADER, anmf.dataEnd, 'ANMF frame');
}

function scanExifChunk(bytes: Uint8Array, c: Chunk, where: string): ExifScan | DeidError {
  const prefixed = c.dataEnd - c.dataStart >= EXIF_PREFIX.length
    && String.fromCharCode(...bytes.subarray(c.dataStart, c.dataStart + EXIF_PREFIX.length)) === EXIF_PREFIX;
  return tryScanExif(bytes.subarray(c.dataStart + (prefixed ? EXIF_PREFIX.length : 0), c.dataEnd), where);
}

/** What one top-level chunk reveals: [] for a clean chunk. */
function judge(bytes: Uint8Array, c: Chunk): Finding[] {
  const where = `chunk ${idForWhere(c.id)} @ ${c.offset}`;
  const one = (kind: FindingKind, detail: string): Finding[] => [{ kind, where, detail }];
  switch (c.id) {
    case 'EXIF': {
      return exifBlockFindings(scanExifChunk(bytes, c, where), where);
    }
    case 'XMP ':
      return one('xmp', 'XMP packet');
    case 'ICCP':
      return one('icc', 'embedded ICC profile (name, description, dates)');
    case 'VP8X':
      return isCanonicalVp8x(bytes, c) ? [] : one('unknown-segment', 'VP8X chunk with unexpected length or reserved bits set');
    case 'ANIM':
      if (c.dataEnd - c.dataStart < ANIM_PAYLOAD) throw new DeidError('malformed', `WebP: ANIM at ${c.offset} shorter than ${ANIM_PAYLOAD} bytes`);
      return c.dataEnd - c.dataStart === ANIM_PAYLOAD ? [] : one('unknown-segment', 'ANIM chunk with unexpected length');
    case 'ANMF':
      return frameChunks(bytes, c)
        .filter((f) => !FRAME_ALLOWED.has(f.id))
        .map((f): Finding => {
          const frameWhere = `ANMF @ ${c.offset} chunk ${idForWhere(f.id)} @ ${f.offset}`;
          const known = METADATA_KINDS[f.id];
          return known
            ? { kind: known[0], where: frameWhere, detail: `${known[1]} inside an animation frame` }
            : { kind: 'unknown-segment', where: frameWhere, detail: `frame chunk ${printable(f.id)} not on the allowlist` };
        });
    default:
      return ALLOWED.has(c.id) ? [] : one('unknown-segment', `chunk ${printable(c.id)} not on the allowlist`);
  }
}

/**
 * The top-level ICCP chunks (webp-icc.ts). RFC 9649 2.7: only the extended format carries one,
 * right after VP8X and announced by the ICC flag; decoders read the first only.
 */
function judgeProfiles(bytes: Uint8Array, chunks: readonly Chunk[]): Map<Chunk, IccpPayloadVerdict> {
  const out = new Map<Chunk, IccpPayloadVerdict>();
  const extended = chunks[0].id === 'VP8X';
  const flagged = extended && (bytes[chunks[0].dataStart] & FLAG_ICC) !== 0;
  chunks.forEach((c, i) => {
    if (c.id !== 'ICCP') return;
    const usable = extended && out.size === 0;
    out.set(c, judgeWebpIccp(payloadOf(bytes, c), `chunk ICCP @ ${c.offset}`, usable, usable && flagged && i === 1));
  });
  return out;
}

function walk(bytes: Uint8Array): Part[] {
  const { chunks, riffEnd } = readChunks(bytes);
  const parts: Part[] = [{ name: 'RIFF header', offset: 0, length: HEADER_SIZE, finding: null }];
  const iccp = judgeProfiles(bytes, chunks);
  for (const c of chunks) {
    const findings = iccp.get(c)?.findings ?? judge(bytes, c);
    const at = { name: idForWhere(c.id), offset: c.offset, length: c.end - c.offset };
    if (findings.length === 0) parts.push({ ...at, finding: null });
    else for (const finding of findings) parts.push({ ...at, finding });
  }
  if (riffEnd < bytes.length) {
    const count = bytes.length - riffEnd;
    parts.push({ name: 'after RIFF', offset: riffEnd, length: count, finding: { kind: 'trailer', where: `@ ${riffEnd}`, detail: `${count} bytes after the RIFF chunk` } });
  }
  return parts;
}

/** A whole chunk (header, payload, pad byte) from its id and payload pieces. */
function chunkBytes(id: string, payload: readonly Uint8Array[]): Uint8Array {
  const size = payload.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(CHUNK_HEADER + size + (size & 1));
  out.set(Array.from(id, (ch) => ch.charCodeAt(0)), 0);
  new DataView(out.buffer).setUint32(4, size, true);
  let pos = CHUNK_HEADER;
  for (const p of payload) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** The payload of a chunk as it appears in the file. */
function payloadOf(bytes: Uint8Array, c: Chunk): Uint8Array {
  return bytes.subarray(c.dataStart, c.dataEnd);
}

/**
 * Drops every chunk off the allowlist (and unknown chunks inside ANMF frames), rewrites the VP8X
 * flags so that they announce only what is left (a decoder trusting a stale flag would look for a
 * chunk that is gone) and the RIFF size. Bitstreams are copied byte for byte.
 *
 * Orientation: an EXIF Orientation of 2..8 is kept as a minimal orientation-only EXIF chunk in
 * the place of the original (only possible in the extended format, with VP8X). Viewers differ in
 * whether they apply it; keeping it exactly as it was cannot change what a given viewer shows,
 * and the block holds one number and nothing else (the same rule as for JPEG and PNG).
 */
function strip(bytes: Uint8Array): StripResult {
  const { chunks, riffEnd } = readChunks(bytes);
  const extended = chunks[0].id === 'VP8X';
  const removed = new Set<FindingKind>();
  const notes: string[] = [];
  const pieces: Uint8Array[] = [];
  let exifKept = false;
  const iccp = judgeProfiles(bytes, chunks);
  let profile: Uint8Array | null = null;
  for (const verdict of iccp.values()) {
    if (verdict.needsConversion) throw new DeidError('needs-conversion', `WebP: ${verdict.needsConversion}`);
    if (verdict.note) notes.push(verdict.note);
    profile = profile ?? verdict.profile;
  }
  for (const c of chunks) {
    const verdict = iccp.get(c);
    const findings = verdict?.findings ?? judge(bytes, c);
    for (const f of findings) removed.add(f.kind);
    if (verdict) {
      // Written right after VP8X below, whatever its place in the input.
      continue;
    } else if (c.id === 'ANMF') {
      const kept = frameChunks(bytes, c).filter((f) => FRAME_ALLOWED.has(f.id));
      const frame = [bytes.subarray(c.dataStart, c.dataStart + ANMF_HEADER), ...kept.map((f) => bytes.subarray(f.offset, f.end))];
      pieces.push(findings.length === 0 ? chunkBytes('ANMF', [payloadOf(bytes, c)]) : chunkBytes('ANMF', frame));
    } else if (c.id === 'VP8X' || c.id === 'ANIM') {
      // Structure the file needs: rewritten to its canonical shape rather than dropped (the
      // VP8X flags are fixed below).
      const canonical = bytes.slice(c.dataStart, c.dataStart + (c.id === 'VP8X' ? VP8X_PAYLOAD : ANIM_PAYLOAD));
      if (c.id === 'VP8X') canonical.fill(0, 1, 1 + VP8X_RESERVED_BYTES);
      pieces.push(chunkBytes(c.id, [canonical]));
      if (c.id === 'VP8X' && profile) pieces.push(chunkBytes('ICCP', [profile]));
    } else if (findings.length === 0) {
      if (c.id === 'EXIF') exifKept = true;
      pieces.push(chunkBytes(c.id, [payloadOf(bytes, c)]));
    } else if (c.id === 'EXIF' && !exifKept) {
      const exif = scanExifChunk(bytes, c, 'EXIF');
      const orientation = isDeidError(exif) ? null : exif.orientation;
      if (orientation !== null && orientation !== ORIENTATION_AS_STORED) {
        if (extended) {
          pieces.push(chunkBytes('EXIF', [minimalOrientationExif(orientation)]));
          notes.push(`kept Orientation ${orientation} in a minimal EXIF`);
          exifKept = true;
        } else {
          notes.push(`dropped Orientation ${orientation}: a simple-format WebP (no VP8X) cannot carry EXIF`);
        }
      }
    }
  }
  if (riffEnd < bytes.length) {
    removed.add('trailer');
    notes.push(`dropped ${bytes.length - riffEnd} bytes after the RIFF chunk`);
  }
  const size = HEADER_SIZE + pieces.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, HEADER_SIZE), 0);
  new DataView(out.buffer).setUint32(4, size - RIFF_PREAMBLE, true);
  let pos = HEADER_SIZE;
  for (const p of pieces) {
    out.set(p, pos);
    pos += p.length;
  }
  if (extended) {
    const flags = HEADER_SIZE + CHUNK_HEADER;
    out[flags] = (out[flags] & ~(FLAG_ICC | FLAG_XMP | FLAG_EXIF | VP8X_RESERVED_FLAGS)) | (exifKept ? FLAG_EXIF : 0) | (profile ? FLAG_ICC : 0);
  }
  return { bytes: out, removed: [...removed].sort(), notes };
}

export const webpFormat: ContainerFormat = {
  formats: ['webp'],
  detect: (bytes) => (isWebp(bytes) ? 'webp' : null),
  walk,
  strip,
};
