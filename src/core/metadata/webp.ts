import { DeidError } from '../errors';
import { scanExif } from './tiff-ifd';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult } from './types';

/**
 * WebP (RFC 9649): "RIFF" size "WEBP", then chunks of FourCC(4) size(4 LE) data, padded to an
 * even length. Allowlist from research/deid-threats.md section 2.
 */
const HEADER_SIZE = 12;
const CHUNK_HEADER = 8;
const ALLOWED = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF']);
/** VP8X flag bits (RFC 9649 2.7): which optional chunks the file announces. */
const FLAG_ICC = 0x20;
const FLAG_EXIF = 0x08;
const FLAG_XMP = 0x04;

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
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

function readChunks(bytes: Uint8Array): { chunks: Chunk[]; riffEnd: number } {
  if (!isWebp(bytes)) throw new DeidError('malformed', 'WebP: RIFF/WEBP header missing');
  const riffEnd = 8 + u32le(bytes, 4);
  if (riffEnd > bytes.length) throw new DeidError('truncated', `WebP: RIFF size says ${riffEnd} bytes, the file has ${bytes.length}`);
  if (riffEnd < HEADER_SIZE + CHUNK_HEADER) throw new DeidError('malformed', 'WebP: RIFF holds no chunk');
  const chunks: Chunk[] = [];
  let pos = HEADER_SIZE;
  while (pos < riffEnd) {
    if (pos + CHUNK_HEADER > riffEnd) throw new DeidError('truncated', `WebP: chunk header at ${pos} cut off`);
    const id = fourcc(bytes, pos);
    const size = u32le(bytes, pos + 4);
    const dataEnd = pos + CHUNK_HEADER + size;
    if (dataEnd > riffEnd) throw new DeidError('truncated', `WebP: chunk ${JSON.stringify(id)} at ${pos} runs past the RIFF`);
    const end = Math.min(riffEnd, dataEnd + (size & 1));
    chunks.push({ id, offset: pos, dataStart: pos + CHUNK_HEADER, dataEnd, end });
    pos = end;
  }
  const first = chunks[0].id;
  if (first !== 'VP8 ' && first !== 'VP8L' && first !== 'VP8X') throw new DeidError('malformed', 'WebP: first chunk is not VP8, VP8L or VP8X');
  return { chunks, riffEnd };
}

function judge(bytes: Uint8Array, c: Chunk): Finding[] {
  const where = `chunk ${c.id.trim()} @ ${c.offset}`;
  const one = (kind: FindingKind, detail: string): Finding[] => [{ kind, where, detail }];
  switch (c.id) {
    case 'EXIF': {
      try {
        // Some writers keep JPEG's "Exif\0\0" prefix inside the chunk.
        const hasPrefix = c.dataEnd - c.dataStart >= 6 && fourcc(bytes, c.dataStart) === 'Exif';
        const found = scanExif(bytes.subarray(c.dataStart + (hasPrefix ? 6 : 0), c.dataEnd), where).findings;
        return found.length ? found : one('exif', 'EXIF block');
      } catch {
        return one('exif', 'EXIF block (unreadable)');
      }
    }
    case 'XMP ':
      return one('xmp', 'XMP packet');
    case 'ICCP':
      return one('icc', 'embedded ICC profile');
    default:
      return ALLOWED.has(c.id) ? [] : one('unknown-segment', `chunk ${JSON.stringify(c.id)} not on the allowlist`);
  }
}

function walk(bytes: Uint8Array): Part[] {
  const { chunks, riffEnd } = readChunks(bytes);
  const parts: Part[] = [{ name: 'RIFF header', offset: 0, length: HEADER_SIZE, finding: null }];
  for (const c of chunks) {
    const findings = judge(bytes, c);
    const name = c.id.trim();
    if (findings.length === 0) parts.push({ name, offset: c.offset, length: c.end - c.offset, finding: null });
    else for (const f of findings) parts.push({ name, offset: c.offset, length: c.end - c.offset, finding: f });
  }
  if (riffEnd < bytes.length) {
    parts.push({ name: 'after RIFF', offset: riffEnd, length: bytes.length - riffEnd, finding: { kind: 'trailer', where: `@ ${riffEnd}`, detail: `${bytes.length - riffEnd} bytes after the RIFF chunk` } });
  }
  return parts;
}

/**
 * Drops every chunk off the allowlist, clears the VP8X flags for what was dropped (a decoder
 * trusting a stale flag would look for a chunk that is gone) and rewrites the RIFF size. Image
 * chunks are copied byte for byte.
 */
function strip(bytes: Uint8Array): StripResult {
  const { chunks, riffEnd } = readChunks(bytes);
  const removed: FindingKind[] = [];
  const keep: Chunk[] = [];
  for (const c of chunks) {
    const findings = judge(bytes, c);
    if (findings.length) removed.push(...findings.map((f) => f.kind));
    else keep.push(c);
  }
  if (riffEnd < bytes.length) removed.push('trailer');
  let size = HEADER_SIZE;
  for (const c of keep) size += c.dataEnd - c.offset + ((c.dataEnd - c.dataStart) & 1);
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, HEADER_SIZE), 0);
  let pos = HEADER_SIZE;
  for (const c of keep) {
    out.set(bytes.subarray(c.offset, c.dataEnd), pos);
    if (c.id === 'VP8X' && c.dataEnd > c.dataStart) out[pos + CHUNK_HEADER] &= ~(FLAG_ICC | FLAG_EXIF | FLAG_XMP) & 0xff;
    pos += c.dataEnd - c.offset;
    if ((c.dataEnd - c.dataStart) & 1) out[pos++] = 0;
  }
  const riffSize = size - 8;
  out[4] = riffSize & 0xff;
  out[5] = (riffSize >>> 8) & 0xff;
  out[6] = (riffSize >>> 16) & 0xff;
  out[7] = (riffSize >>> 24) & 0xff;
  return { bytes: out, removed: [...new Set(removed)], notes: [] };
}

export const webpFormat: ContainerFormat = {
  formats: ['webp'],
  detect: (bytes) => (isWebp(bytes) ? 'webp' : null),
  walk,
  strip,
};
