/**
 * ICC profiles in JPEG (ICC.1:2010 Annex B.4): APP2 segments "ICC_PROFILE\0", a 1-based sequence
 * number, the chunk count, then a piece of the profile; the pieces in sequence order are the
 * profile. Decoders read only the markers before the first scan; chunks are assembled as libvips
 * does (the decoder sharp uses, our rendering oracle), and a profile that cannot be read is
 * dropped. A readable profile is replaced by its clean copy (icc.ts) in the place of the first
 * chunk, re-chunked canonically (1..n of n); LUT/CMYK profiles need a pixel conversion the core
 * cannot do ('needs-conversion').
 */
import { joinBytes } from '../bytes';
import { DeidError } from '../errors';
import { cleanIcc, iccFindings } from './icc';
import type { Finding } from './types';

const MARKER = 0xff;
const APP2 = 0xe2;
const SOS = 0xda;
const SIGNATURE = Uint8Array.from('ICC_PROFILE\0', (c) => c.charCodeAt(0));
/** Signature, sequence number, count. */
const ICC_HEADER = SIGNATURE.length + 2;
const SEGMENT_HEAD = 4; // marker + length
/** Largest profile piece per segment: a segment length is at most 65535 (T.81 B.1.1.4). */
const MAX_PIECE = 0xffff - 2 - ICC_HEADER;

/** The piece shape jpeg.ts splits a file into (marker code, or 'ecs'/'trailer'/'gap'). */
export interface JpegPiece {
  marker: number | 'ecs' | 'trailer' | 'gap';
  offset: number;
  end: number;
}

export interface IccVerdict {
  name: string;
  findings: Finding[];
  action: 'keep' | 'drop' | 'rewrite';
  replacement?: Uint8Array;
  note?: string;
  /** Set on the first chunk when the profile is LUT-based or CMYK. */
  needsConversion?: string;
}

export function isIccSegment(bytes: Uint8Array, p: JpegPiece): boolean {
  if (p.marker !== APP2) return false;
  const at = p.offset + SEGMENT_HEAD;
  if (at + SIGNATURE.length > p.end) return false;
  for (let i = 0; i < SIGNATURE.length; i++) if (bytes[at + i] !== SIGNATURE[i]) return false;
  return true;
}

/** The clean profile as APP2 segments: sequence 1..n of n, pieces of at most MAX_PIECE bytes. */
export function iccSegments(profile: Uint8Array): Uint8Array {
  const count = Math.max(1, Math.ceil(profile.length / MAX_PIECE));
  const out = new Uint8Array(profile.length + count * (SEGMENT_HEAD + ICC_HEADER));
  let at = 0;
  for (let i = 0; i < count; i++) {
    const piece = profile.subarray(i * MAX_PIECE, Math.min(profile.length, (i + 1) * MAX_PIECE));
    const length = 2 + ICC_HEADER + piece.length;
    out.set([MARKER, APP2, length >> 8, length & 0xff], at);
    out.set(SIGNATURE, at + SEGMENT_HEAD);
    out[at + SEGMENT_HEAD + SIGNATURE.length] = i + 1;
    out[at + SEGMENT_HEAD + SIGNATURE.length + 1] = count;
    out.set(piece, at + SEGMENT_HEAD + ICC_HEADER);
    at += SEGMENT_HEAD + ICC_HEADER + piece.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The profile as libvips assembles it (jpeg2vips.c read_jpeg_header): pieces placed by sequence
 * number (a later duplicate replaces an earlier one), joined in sequence order; the count byte is
 * not enforced. Null when no chunk has a usable sequence number.
 */
function assemble(bytes: Uint8Array, chunks: readonly JpegPiece[]): Uint8Array | null {
  const bySeq = new Map<number, Uint8Array>();
  for (const c of chunks) {
    const at = c.offset + SEGMENT_HEAD + SIGNATURE.length;
    if (at + 2 > c.end) continue;
    const seq = bytes[at];
    if (seq >= 1) bySeq.set(seq, bytes.subarray(at + 2, c.end));
  }
  if (bySeq.size === 0) return null;
  return joinBytes([...bySeq.keys()].sort((a, b) => a - b).map((k) => bySeq.get(k) as Uint8Array));
}

/**
 * What happens to every ICC chunk of the file, by piece index. Chunks that are exactly the
 * canonical segments of a clean profile are kept (so strip leaves a clean file unchanged).
 */
export function planJpegIcc(bytes: Uint8Array, pieces: readonly JpegPiece[]): Map<number, IccVerdict> {
  const plan = new Map<number, IccVerdict>();
  const firstScan = pieces.findIndex((p) => p.marker === SOS);
  const early: number[] = [];
  pieces.forEach((p, i) => {
    if (!isIccSegment(bytes, p)) return;
    if (firstScan >= 0 && i > firstScan) {
      plan.set(i, { name: 'APP2 ICC', findings: [{ kind: 'icc', where: `APP2 ICC @ ${p.offset}`, detail: 'ICC profile chunk after the first scan (decoders ignore it)' }], action: 'drop' });
    } else {
      early.push(i);
    }
  });
  if (early.length === 0) return plan;
  const where = `APP2 ICC @ ${pieces[early[0]].offset}`;
  const dropAll = (detail: string, note: string) => {
    early.forEach((i, k) => plan.set(i, {
      name: 'APP2 ICC',
      findings: [{ kind: 'icc', where: `APP2 ICC @ ${pieces[i].offset}`, detail }],
      action: 'drop',
      ...(k === 0 ? { note } : {}),
    }));
    return plan;
  };
  const profile = assemble(bytes, early.map((i) => pieces[i]));
  if (!profile) return dropAll('ICC profile chunks without a valid sequence number (decoders ignore them)', 'dropped ICC profile chunks that decoders ignore');
  let clean;
  try {
    clean = cleanIcc(profile);
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    return dropAll('ICC profile that cannot be read (it may hold any text)', `dropped an ICC profile that cannot be read (${e.message})`);
  }
  const findings = iccFindings(profile, where);
  const rest = (detail: string): IccVerdict => ({ name: 'APP2 ICC', findings: [{ kind: 'icc', where, detail }], action: 'drop' });
  if (clean.kind === 'convert') {
    early.forEach((i, k) => plan.set(i, k === 0 ? { name: 'APP2 ICC', findings, action: 'drop', needsConversion: clean.reason } : rest('further chunk of the same ICC profile')));
    return plan;
  }
  const replacement = iccSegments(clean.bytes);
  const original = early.map((i) => bytes.subarray(pieces[i].offset, pieces[i].end));
  const contiguous = early.every((i, k) => k === 0 || i === early[k - 1] + 1);
  const canonical = findings.length === 0 && contiguous && sameBytes(replacement, joinBytes(original));
  if (canonical) {
    for (const i of early) plan.set(i, { name: 'APP2 ICC', findings: [], action: 'keep' });
    return plan;
  }
  const reported = findings.length > 0 ? findings : [{ kind: 'icc' as const, where, detail: 'clean ICC profile split into chunks in a non-canonical way' }];
  const note = clean.kind === 'canonical'
    ? `replaced the ICC profile with the canonical ${clean.space} profile (same colours, no identity)`
    : 'rebuilt the ICC profile from its colour tags only (same colours, no identity)';
  early.forEach((i, k) => plan.set(i, k === 0
    ? { name: 'APP2 ICC', findings: reported, action: 'rewrite', replacement, note }
    : rest('further chunk of the same ICC profile')));
  return plan;
}

