import { crc32 } from '../crc32';
import { DeidError } from '../errors';
import { scanExif } from './tiff-ifd';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult } from './types';

/**
 * PNG (W3C PNG 3rd edition): signature, then chunks of length(4) type(4) data CRC(4).
 * Allowlist from research/deid-threats.md section 2; everything else is a finding.
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SIGNATURE_SIZE = 8;
const CHUNK_OVERHEAD = 12;
/** PNG 5.3: a chunk length is at most 2^31 - 1. */
const MAX_CHUNK_LENGTH = 0x7fffffff;

/** Image structure and colour interpretation: nothing here can hold text or identity. */
const ALLOWED = new Set([
  'IHDR', 'PLTE', 'IDAT', 'IEND', 'tRNS', 'gAMA', 'cHRM', 'sRGB', 'pHYs', 'sBIT', 'bKGD',
  // APNG frame control and frame data (PNG 3rd ed. 11.3.6): numbers and pixels only, and
  // dropping them would silently turn an animation into its first frame.
  'acTL', 'fcTL', 'fdAT',
]);

/** The XMP packet's keyword in iTXt (XMP part 3, 1.1.5). */
const XMP_KEYWORD = 'XML:com.adobe.xmp';

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function chunkType(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

function isChunkTypeValid(type: string): boolean {
  return /^[A-Za-z]{4}$/.test(type);
}

/** The keyword of a tEXt/zTXt/iTXt chunk: Latin-1, 1-79 bytes, NUL-terminated (PNG 11.3.3). */
function keyword(b: Uint8Array, start: number, end: number): string {
  const nul = b.indexOf(0, start);
  const stop = nul < 0 || nul > end ? Math.min(end, start + 79) : nul;
  let s = '';
  for (let i = start; i < stop && i < start + 79; i++) s += String.fromCharCode(b[i]);
  return s.replace(/[^\x20-\x7e]/g, '?');
}

interface Chunk {
  type: string;
  offset: number;
  dataStart: number;
  dataEnd: number;
  end: number;
}

function readChunks(bytes: Uint8Array): { chunks: Chunk[]; afterIend: number } {
  if (!isPng(bytes)) throw new DeidError('malformed', 'PNG: signature missing');
  const chunks: Chunk[] = [];
  let pos = SIGNATURE_SIZE;
  for (;;) {
    if (pos + CHUNK_OVERHEAD > bytes.length) throw new DeidError('truncated', `PNG: ends at ${bytes.length} without IEND`);
    const length = u32(bytes, pos);
    if (length > MAX_CHUNK_LENGTH) throw new DeidError('malformed', `PNG: chunk at ${pos} declares length ${length}`);
    const type = chunkType(bytes, pos + 4);
    if (!isChunkTypeValid(type)) throw new DeidError('malformed', `PNG: invalid chunk type at ${pos}`);
    const end = pos + CHUNK_OVERHEAD + length;
    if (end > bytes.length) throw new DeidError('truncated', `PNG: chunk ${type} at ${pos} runs past the end of the file`);
    chunks.push({ type, offset: pos, dataStart: pos + 8, dataEnd: pos + 8 + length, end });
    pos = end;
    if (type === 'IEND') break;
  }
  if (chunks[0].type !== 'IHDR') throw new DeidError('malformed', 'PNG: first chunk is not IHDR');
  return { chunks, afterIend: pos };
}

function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE_SIZE) return false;
  for (let i = 0; i < SIGNATURE_SIZE; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

function judge(bytes: Uint8Array, c: Chunk): Finding[] {
  const where = `chunk ${c.type} @ ${c.offset}`;
  const one = (kind: FindingKind, detail: string): Finding[] => [{ kind, where, detail }];
  switch (c.type) {
    case 'tEXt':
    case 'zTXt':
    case 'iTXt': {
      const key = keyword(bytes, c.dataStart, c.dataEnd);
      if (c.type === 'iTXt' && key === XMP_KEYWORD) return one('xmp', 'XMP packet');
      return one('text-chunk', `${c.type} text under keyword "${key}"`);
    }
    case 'eXIf': {
      try {
        const exif = scanExif(bytes.subarray(c.dataStart, c.dataEnd), where);
        return exif.onlyOrientation ? one('exif', 'EXIF holding only Orientation') : exif.findings.length ? exif.findings : one('exif', 'EXIF block');
      } catch {
        return one('exif', 'EXIF block (unreadable)');
      }
    }
    case 'tIME':
      return one('time-chunk', 'last-modification time');
    case 'iCCP':
      return one('icc', 'embedded ICC profile');
    case 'caBX':
      return one('c2pa', 'C2PA/JUMBF manifest');
    default:
      return ALLOWED.has(c.type) ? [] : one('unknown-segment', `${/^[a-z]/.test(c.type) ? 'ancillary' : 'critical'} chunk ${c.type} not on the allowlist`);
  }
}

function walk(bytes: Uint8Array): Part[] {
  const { chunks, afterIend } = readChunks(bytes);
  const parts: Part[] = [{ name: 'signature', offset: 0, length: SIGNATURE_SIZE, finding: null }];
  for (const c of chunks) {
    const findings = judge(bytes, c);
    if (findings.length === 0) parts.push({ name: c.type, offset: c.offset, length: c.end - c.offset, finding: null });
    else for (const f of findings) parts.push({ name: c.type, offset: c.offset, length: c.end - c.offset, finding: f });
  }
  if (afterIend < bytes.length) {
    parts.push({ name: 'after IEND', offset: afterIend, length: bytes.length - afterIend, finding: { kind: 'trailer', where: `@ ${afterIend}`, detail: `${bytes.length - afterIend} bytes after IEND` } });
  }
  return parts;
}

/**
 * Keeps the signature and the allowlisted chunks byte for byte (IDAT untouched, so decoded
 * pixels are identical) and ends at IEND. A kept chunk with a bad CRC is refused: its bytes are
 * damaged and we will not vouch for them; dropped chunks are not checked.
 *
 * Orientation in eXIf is dropped with the chunk: PNG viewers mostly ignore it (it is an
 * extension few decoders apply), so dropping it rarely changes what people see; notes say so.
 */
function strip(bytes: Uint8Array): StripResult {
  const { chunks } = readChunks(bytes);
  const keep: Chunk[] = [];
  const removed: FindingKind[] = [];
  const notes: string[] = [];
  for (const c of chunks) {
    const findings = judge(bytes, c);
    if (findings.length > 0) {
      removed.push(...findings.map((f) => f.kind));
      if (c.type === 'eXIf') {
        try {
          const o = scanExif(bytes.subarray(c.dataStart, c.dataEnd), 'eXIf').orientation;
          if (o !== null && o !== 1) notes.push(`dropped EXIF Orientation ${o} with the eXIf chunk (few PNG viewers apply it)`);
        } catch {
          // unreadable EXIF: nothing to report beyond its removal
        }
      }
      continue;
    }
    if (crc32(bytes, c.offset + 4, c.dataEnd) !== u32(bytes, c.dataEnd)) {
      throw new DeidError('malformed', `PNG: chunk ${c.type} at ${c.offset} fails its CRC`);
    }
    keep.push(c);
  }
  const last = chunks[chunks.length - 1];
  if (last.end < bytes.length) removed.push('trailer');
  let size = SIGNATURE_SIZE;
  for (const c of keep) size += c.end - c.offset;
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, SIGNATURE_SIZE), 0);
  let pos = SIGNATURE_SIZE;
  for (const c of keep) {
    out.set(bytes.subarray(c.offset, c.end), pos);
    pos += c.end - c.offset;
  }
  return { bytes: out, removed: [...new Set(removed)], notes };
}

export const pngFormat: ContainerFormat = {
  formats: ['png'],
  detect: (bytes) => (isPng(bytes) ? 'png' : null),
  walk,
  strip,
};
