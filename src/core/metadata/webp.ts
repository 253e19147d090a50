/**
 * WebP (RFC 9649, https://www.rfc-editor.org/rfc/rfc9649): "RIFF" size(4, little-endian) "WEBP",
 * then chunks of FourCC(4) size(4, little-endian) data, each padded to an even length (2.3).
 *
 * The walk is an allowlist by need (research/deid-threats.md section 2, issue 13.1): a still
 * image keeps one bitstream (VP8 or VP8L), an ALPH only before a VP8 in the extended format, and
 * a VP8X whose flags say exactly what is left; an animation keeps VP8X, one ANIM and its ANMF
 * frames (each one bitstream and an optional ALPH). Every other chunk, chunks in the wrong place
 * or number, bytes after a VP8L or ALPH bitstream's end, and bytes beyond the RIFF size are
 * findings. Strip copies bitstreams byte for byte (cut at their end) and writes canonical
 * VP8X/ANIM/ANMF headers, pad bytes and the RIFF size.
 */
import { fourcc, joinBytes, joinsTo, u32le } from '../bytes';
import { DeidError, isDeidError } from '../errors';
import { DEFAULT_LIMITS, megapixels } from '../limits';
import { judgeWebpIccp, type IccpPayloadVerdict } from './webp-icc';
import { exifBlockFindings, minimalOrientationExif, tryScanExif, type ExifScan } from './tiff-ifd';
import { vp8Trimmed } from './webp-vp8';
import { alphaStreamExtent, decodeVp8lStream, readVp8lHeader, vp8lExtent, withEmptyCodes } from './webp-vp8l';
import { Vp8lChecks } from './webp-vp8l-unused';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult, WalkOptions } from './types';

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
/** VP8X flag bits (RFC 9649 2.7): which optional chunks the file announces. */
const FLAG_ICC = 0x20;
const FLAG_ALPHA = 0x10;
const FLAG_EXIF = 0x08;
const FLAG_ANIMATION = 0x02;
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

/** RFC 6386 9.1 / RFC 9649 2.5: a VP8 key frame's tag, start code and sizes (10 bytes). */
const VP8_HEADER = 10;
/** RFC 9649 3.2: the VP8L signature byte and the 4-byte size/alpha/version header. */
const VP8L_HEADER = 5;
const VP8_START_CODE = [0x9d, 0x01, 0x2a];
const VP8_SIZE_MASK = 0x3fff;
/** RFC 6386 9.2: the top two bits of each 16-bit size are an upscaling hint. */
const VP8_SCALE_MASK = 0xc0;
const MAX_VP8_PROFILE = 3;
/** RFC 9649 2.7.1.2: ALPH header byte: reserved(2) preprocessing(2) filtering(2) compression(2). */
const ALPH_RAW = 0;
const ALPH_LOSSLESS = 1;
const MAX_ALPH_PREPROCESSING = 1;
/** RFC 9649 2.7.1.1: ANMF flags byte: reserved(6) blending(1) disposal(1). */
const ANMF_FLAGS = 15;
const ANMF_RESERVED_FLAGS = 0xfc;
/**
 * The canonical ANIM background colour, what libwebp's WebPAnimEncoder writes (opaque white).
 * RFC 9649 2.7.1.1: viewers "MAY" use it and libwebp's animation decoder and browsers fill with
 * transparency instead, so it decodes nothing and any one fixed value carries no information.
 */
const CANONICAL_BACKGROUND = [0xff, 0xff, 0xff, 0xff];

function u24le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
}

interface Bitstream {
  width: number;
  height: number;
  alpha: boolean;
  /** Bytes of the payload no decoder reads (after a VP8L stream; in a VP8 partition's tail). */
  hidden: number;
  /** A VP8 frame header with upscaling bits set (decoders ignore them). */
  scaleBits: boolean;
  /** The payload strip writes when it differs from the input, else null. */
  canonical: Uint8Array | null;
  /** WalkOptions.scanData: bits inside the coded data no decoder uses (strip refuses), or null. */
  unused: string | null;
  /** WalkOptions.scanData: free bits `canonical` no longer holds (a lossless rewrite), or null. */
  rewritten: string | null;
}

/**
 * WalkOptions.scanData for a VP8L image stream (webp-vp8l-unused.ts): why strip must refuse,
 * or the stream written without the free bits a lossless rewrite can drop (unread prefix codes
 * as libwebp's empty code, zero padding), or neither.
 */
function deepLossless(bytes: Uint8Array, start: number, end: number, width: number, height: number, target: ConstructorParameters<typeof Vp8lChecks>[2], what: string): { unused: string | null; rewrite: { detail: string; stream: Uint8Array } | null } {
  const checks = new Vp8lChecks(width, height, target);
  const decoded = decodeVp8lStream(bytes, start, end, width, height, checks);
  const { reasons, rewritable } = checks.result(decoded);
  if (reasons.length > 0) return { unused: `bits no decoder uses inside the ${what} (${[...reasons, ...rewritable].join(', ')})`, rewrite: null };
  if (rewritable.length === 0) return { unused: null, rewrite: null };
  const spans = [...decoded.log.unreadCodes].sort((a, b) => a[0] - b[0]);
  return { unused: null, rewrite: { detail: `bits no decoder uses inside the ${what} (${rewritable.join(', ')})`, stream: withEmptyCodes(bytes, start, decoded.bits, spans) } };
}

/**
 * Reads a VP8 or VP8L payload as libwebp's VP8GetInfo / VP8LGetInfo check it (src/dec/vp8_dec.c,
 * vp8l_dec.c): a VP8 must be a shown key frame with a valid start code and a first partition
 * inside the chunk. A VP8L's end is found by reading its whole entropy-coded stream
 * (webp-vp8l.ts); a VP8's partitions by reading its modes and every DCT token (webp-vp8.ts).
 */
function readBitstream(bytes: Uint8Array, c: Chunk, scanData: boolean): Bitstream {
  const at = c.dataStart;
  const size = c.dataEnd - c.dataStart;
  if (c.id === 'VP8L') {
    const { header, length } = vp8lExtent(bytes, at, c.dataEnd);
    let unused: string | null = null;
    let rewritten: string | null = null;
    let canonical = length < size ? bytes.subarray(at, at + length) : null;
    if (scanData) {
      const deep = deepLossless(bytes, at + VP8L_HEADER, at + length, header.width, header.height, { alph: false, alphaHint: header.alphaUsed }, 'lossless bitstream');
      unused = deep.unused;
      if (deep.rewrite) {
        rewritten = deep.rewrite.detail;
        canonical = joinBytes([bytes.subarray(at, at + VP8L_HEADER), deep.rewrite.stream]);
      }
    }
    return { width: header.width, height: header.height, alpha: header.alphaUsed, hidden: size - length, scaleBits: false, canonical, unused, rewritten };
  }
  if (size < VP8_HEADER) throw new DeidError('malformed', `WebP: VP8 chunk at ${c.offset} shorter than its frame header`);
  const tag = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
  const keyFrame = (tag & 1) === 0;
  const profile = (tag >> 1) & 7;
  const shown = (tag >> 4) & 1;
  const firstPartition = tag >>> 5;
  if (!keyFrame || profile > MAX_VP8_PROFILE || !shown || firstPartition >= size) throw new DeidError('malformed', `WebP: VP8 chunk at ${c.offset} is not a displayable key frame`);
  if (bytes[at + 3] !== VP8_START_CODE[0] || bytes[at + 4] !== VP8_START_CODE[1] || bytes[at + 5] !== VP8_START_CODE[2]) throw new DeidError('malformed', `WebP: VP8 start code missing at ${c.offset}`);
  const width = (bytes[at + 6] | (bytes[at + 7] << 8)) & VP8_SIZE_MASK;
  const height = (bytes[at + 8] | (bytes[at + 9] << 8)) & VP8_SIZE_MASK;
  if (width === 0 || height === 0) throw new DeidError('malformed', `WebP: VP8 frame of size zero at ${c.offset}`);
  const trimmed = vp8Trimmed(bytes, at, c.dataEnd, width, height);
  const scaleBits = ((bytes[at + 7] | bytes[at + 9]) & VP8_SCALE_MASK) !== 0;
  let canonical = trimmed.payload;
  if (scaleBits) {
    canonical = (canonical ?? bytes.subarray(at, c.dataEnd)).slice();
    canonical[7] &= ~VP8_SCALE_MASK;
    canonical[9] &= ~VP8_SCALE_MASK;
  }
  const unused = scanData && trimmed.unreadUpdates > 0 ? `${trimmed.unreadUpdates} token probability update(s) for contexts no coefficient reads (free bytes inside the VP8 header)` : null;
  return { width, height, alpha: false, hidden: trimmed.hidden, scaleBits, canonical, unused, rewritten: null };
}

/**
 * How many bytes of an ALPH payload a decoder reads (RFC 9649 2.7.1.2, libwebp alpha_dec.c
 * ALPHInit): the header byte, then width x height raw bytes or a headerless lossless image
 * stream. A header libwebp rejects makes the image undecodable: malformed.
 */
function alphaUsed(bytes: Uint8Array, c: Chunk, width: number, height: number, scanData: boolean): { used: number; unused: string | null; rewrite?: { detail: string; payload: Uint8Array } } {
  const size = c.dataEnd - c.dataStart;
  if (size < 1) throw new DeidError('malformed', `WebP: empty ALPH chunk at ${c.offset}`);
  const header = bytes[c.dataStart];
  const compression = header & 3;
  const preprocessing = (header >> 4) & 3;
  if (header >> 6 !== 0 || compression > ALPH_LOSSLESS || preprocessing > MAX_ALPH_PREPROCESSING) throw new DeidError('malformed', `WebP: ALPH header at ${c.offset} that decoders reject`);
  if (compression === ALPH_RAW) {
    if (size - 1 < width * height) throw new DeidError('malformed', `WebP: raw ALPH at ${c.offset} shorter than the image`);
    return { used: 1 + width * height, unused: null };
  }
  const used = 1 + alphaStreamExtent(bytes, c.dataStart + 1, c.dataEnd, width, height);
  if (!scanData) return { used, unused: null };
  const deep = deepLossless(bytes, c.dataStart + 1, c.dataStart + used, width, height, { alph: true }, 'lossless alpha data');
  return { used, unused: deep.unused, ...(deep.rewrite ? { rewrite: { detail: deep.rewrite.detail, payload: joinBytes([bytes.subarray(c.dataStart, c.dataStart + 1), deep.rewrite.stream]) } } : {}) };
}

/** What strip writes for one chunk. */
type Action = { op: 'keep' } | { op: 'drop' } | { op: 'payload'; pieces: Uint8Array[] };

interface Plan {
  chunk: Chunk;
  findings: Finding[];
  action: Action;
  notes: string[];
  /** Why no lossless strip can make this chunk clean (scanData), if so. */
  notClean?: string;
}

function planFor(c: Chunk): Plan {
  return { chunk: c, findings: [], action: { op: 'keep' }, notes: [] };
}

function whereOf(c: Chunk, frame?: Chunk): string {
  return frame ? `ANMF @ ${frame.offset} chunk ${idForWhere(c.id)} @ ${c.offset}` : `chunk ${idForWhere(c.id)} @ ${c.offset}`;
}

function reject(plan: Plan, kind: FindingKind, detail: string, frame?: Chunk): Plan {
  plan.findings.push({ kind, where: whereOf(plan.chunk, frame), detail });
  plan.action = { op: 'drop' };
  return plan;
}

/** A chunk off the allowlist, named by what it holds. */
function offList(bytes: Uint8Array, plan: Plan, frame?: Chunk): Plan {
  const c = plan.chunk;
  const where = whereOf(c, frame);
  if (c.id === 'EXIF' && !frame) plan.findings.push(...exifBlockFindings(scanExifChunk(bytes, c, where), where));
  else if (METADATA_KINDS[c.id]) plan.findings.push({ kind: METADATA_KINDS[c.id][0], where, detail: frame ? `${METADATA_KINDS[c.id][1]} inside an animation frame` : METADATA_KINDS[c.id][1] });
  else plan.findings.push({ kind: 'unknown-segment', where, detail: frame ? `frame chunk ${printable(c.id)} not on the allowlist` : `chunk ${printable(c.id)} not on the allowlist` });
  if (plan.findings.length === 0 && c.id === 'EXIF') return plan; // a minimal orientation EXIF
  plan.action = { op: 'drop' };
  return plan;
}

/**
 * Writes a bitstream chunk as the decoder reads it: RFC 9649 2.3 makes the payload exactly the
 * chunk size, and the decoder never reads past the bitstream's own end, so anything after it is
 * free space; header bits decoders ignore are cleared.
 */
function useCanonical(plan: Plan, info: Pick<Bitstream, 'hidden' | 'scaleBits' | 'canonical'>, what: string, frame?: Chunk): void {
  const c = plan.chunk;
  if (info.hidden > 0) {
    plan.findings.push({ kind: 'unknown-segment', where: whereOf(c, frame), detail: `${info.hidden} bytes after the end of the ${what}` });
    plan.notes.push(`cut ${info.hidden} bytes after the end of the ${what}`);
  }
  if (info.scaleBits) {
    plan.findings.push({ kind: 'unknown-segment', where: whereOf(c, frame), detail: 'VP8 upscaling bits set (decoders ignore them)' });
    plan.notes.push('cleared the VP8 upscaling bits');
  }
  if (info.canonical) plan.action = { op: 'payload', pieces: [info.canonical] };
}

/**
 * WalkOptions.scanData: bits inside the coded image no decoder uses. Only re-encoding the
 * pixels can take them out, so the finding marks the chunk and strip refuses ('not-clean'; the
 * CLI then re-encodes with the reason said).
 */
function refuseUnused(plan: Plan, unused: string | null, frame?: Chunk): void {
  if (unused === null) return;
  plan.findings.push({ kind: 'unknown-segment', where: whereOf(plan.chunk, frame), detail: unused });
  plan.notClean = unused;
}

/** WalkOptions.scanData: free bits a lossless rewrite of the stream drops (`payload`, same pixels). */
function rewriteUnused(plan: Plan, detail: string, payload: Uint8Array, frame?: Chunk): void {
  plan.findings.push({ kind: 'unknown-segment', where: whereOf(plan.chunk, frame), detail });
  plan.notes.push('rewrote the lossless stream without bits no pixel reads (unread prefix codes as empty codes, zero padding; pixels unchanged)');
  plan.action = { op: 'payload', pieces: [payload] };
}

/** An ALPH payload cut to what its decoder reads. */
function trimToUse(bytes: Uint8Array, plan: Plan, used: number, what: string, frame?: Chunk): void {
  const c = plan.chunk;
  const size = c.dataEnd - c.dataStart;
  useCanonical(plan, { hidden: size - used, scaleBits: false, canonical: used < size ? bytes.subarray(c.dataStart, c.dataStart + used) : null }, what, frame);
}

interface ImageParts {
  /** Index of the bitstream chunk kept, and its reading. */
  bitstream: number;
  info: Bitstream;
  /** Index of the ALPH chunk kept, or -1. */
  alph: number;
}

/**
 * One still image out of a chunk list (the top level of a still extended file, or an ANMF
 * frame's data): the first VP8/VP8L is the image; an ALPH counts only before a VP8 (RFC 9649
 * 2.7.1.2: "the VP8 bitstream ... preceded by an ALPH chunk"; libwebp ignores it with VP8L and
 * stops at the bitstream), and only the first (libwebp's demuxer, which sharp uses, stores the
 * first and stops the frame at a second).
 */
function planImage(bytes: Uint8Array, plans: Plan[], indices: readonly number[], scanData: boolean, frame?: Chunk): ImageParts {
  const bitstream = indices.find((i) => plans[i].chunk.id === 'VP8 ' || plans[i].chunk.id === 'VP8L');
  if (bitstream === undefined) throw new DeidError('malformed', frame ? `WebP: ANMF at ${frame.offset} holds no image` : 'WebP: no image bitstream');
  const info = readBitstream(bytes, plans[bitstream].chunk, scanData);
  useCanonical(plans[bitstream], info, plans[bitstream].chunk.id === 'VP8L' ? 'lossless bitstream' : 'VP8 bitstream', frame);
  refuseUnused(plans[bitstream], info.unused, frame);
  if (info.rewritten && info.canonical) rewriteUnused(plans[bitstream], info.rewritten, info.canonical, frame);
  let alph = -1;
  for (const i of indices) {
    const plan = plans[i];
    const id = plan.chunk.id;
    if (i === bitstream) continue;
    if (id === 'VP8 ' || id === 'VP8L') reject(plan, 'unknown-segment', 'a second image bitstream', frame);
    else if (id === 'ALPH') {
      if (i > bitstream) reject(plan, 'unknown-segment', 'ALPH after the image bitstream (never read)', frame);
      else if (plans[bitstream].chunk.id === 'VP8L') reject(plan, 'unknown-segment', 'ALPH with a lossless bitstream (never read)', frame);
      else if (alph >= 0) reject(plan, 'unknown-segment', 'a second ALPH chunk', frame);
      else {
        alph = i;
        const alpha = alphaUsed(bytes, plan.chunk, info.width, info.height, scanData);
        trimToUse(bytes, plan, alpha.used, 'alpha data', frame);
        refuseUnused(plan, alpha.unused, frame);
        if (alpha.rewrite) rewriteUnused(plan, alpha.rewrite.detail, alpha.rewrite.payload, frame);
      }
    }
  }
  return { bitstream, info, alph };
}

interface Assessment {
  plans: Plan[];
  riffEnd: number;
  /** The VP8X payload strip writes (flags and canvas), or null for the simple format. */
  vp8x: Uint8Array | null;
  /** ANMF plans: their frame header and frame chunk plans. */
  frames: Map<number, { header: Uint8Array; sub: Plan[] }>;
  /** The clean ICC profile written right after VP8X (webp-icc.ts), or null. */
  profile: Uint8Array | null;
  /** A profile only a pixel conversion can keep (LUT/CMYK), or null. */
  conversion: string | null;
}

function anmfHeader(bytes: Uint8Array, c: Chunk, canvasWidth: number, canvasHeight: number, plan: Plan): { header: Uint8Array; width: number; height: number } {
  const at = c.dataStart;
  const x = 2 * u24le(bytes, at);
  const y = 2 * u24le(bytes, at + 3);
  const width = 1 + u24le(bytes, at + 6);
  const height = 1 + u24le(bytes, at + 9);
  // libwebp demux (IsValidExtendedFormat): every frame lies inside the canvas.
  if (x + width > canvasWidth || y + height > canvasHeight) throw new DeidError('malformed', `WebP: ANMF at ${c.offset} reaches outside the canvas`);
  const header = bytes.slice(at, at + ANMF_HEADER);
  if (header[ANMF_FLAGS] & ANMF_RESERVED_FLAGS) {
    // RFC 9649 2.7.1.1: "Reserved: 6 bits MUST be 0. Readers MUST ignore this field."
    header[ANMF_FLAGS] &= ~ANMF_RESERVED_FLAGS;
    plan.findings.push({ kind: 'unknown-segment', where: whereOf(c), detail: 'ANMF reserved bits set' });
  }
  return { header, width, height };
}

/** The chunks `list` finds, or none where they cannot be listed (the walk refuses that later, with its reason). */
function listedOrNone(list: () => Chunk[]): Chunk[] {
  try {
    return list();
  } catch (e) {
    if (isDeidError(e)) return [];
    throw e;
  }
}

/**
 * The size an image's bitstream header declares: what reading it costs (webp-vp8l.ts reads a
 * lossless stream pixel by pixel, webp-vp8.ts every macroblock's tokens) and what a decoder
 * showing it decodes. planImage reads the first VP8/VP8L of the list, as libwebp does. A header
 * that cannot be read declares nothing here: planImage refuses it with the reason.
 */
function declaredSize(bytes: Uint8Array, image: readonly Chunk[]): { width: number; height: number } | null {
  const c = image.find((k) => k.id === 'VP8 ' || k.id === 'VP8L');
  if (!c) return null;
  if (c.id === 'VP8L') {
    try {
      return readVp8lHeader(bytes, c.dataStart, c.dataEnd);
    } catch (e) {
      if (isDeidError(e)) return null;
      throw e;
    }
  }
  if (c.dataEnd - c.dataStart < VP8_HEADER) return null;
  const at = c.dataStart;
  return { width: (bytes[at + 6] | (bytes[at + 7] << 8)) & VP8_SIZE_MASK, height: (bytes[at + 8] | (bytes[at + 9] << 8)) & VP8_SIZE_MASK };
}

/**
 * The rule png.ts has, for WebP: the pixels the image's (or every animation frame's) bitstream
 * header declares, summed over the frames, against WalkOptions.maxPixels (the policy's, the limit
 * the CLI's pixel decoding has; core/limits.ts by default), checked before any stream is read.
 * An animation is read as one picture made of all its frames. The compressed size must not be
 * the test: a one-colour lossless image codes its pixels in no bits (RFC 9649 3.7.2.1.1), so a
 * flat picture is legitimately as small as a hostile one (30 bytes declaring 16383 x 16383;
 * 100 frames of 4096 x 4095 in 4 kB), and both are judged by what they declare.
 */
function holdToMaxPixels(bytes: Uint8Array, images: ReadonlyArray<readonly Chunk[]>, animation: boolean, options: WalkOptions): void {
  const maxPixels = options.maxPixels ?? DEFAULT_LIMITS.maxPixels;
  const sizes = images.map((image) => declaredSize(bytes, image));
  const declared = sizes.reduce((n, s) => n + (s ? s.width * s.height : 0), 0);
  if (declared <= maxPixels) return;
  const limit = `more than the ${megapixels(maxPixels)} MP whose data is read (maxPixels in the policy file; core/limits.ts by default); not read`;
  if (!animation) throw new DeidError('unsupported', `WebP: the image is ${sizes[0]!.width}x${sizes[0]!.height}, ${limit}`);
  throw new DeidError('unsupported', `WebP: its ${images.length} animation frame(s) declare ${declared} pixels together, ${limit}`);
}

function assess(bytes: Uint8Array, options: WalkOptions = {}): Assessment {
  const scanData = options.scanData === true;
  const { chunks, riffEnd } = readChunks(bytes);
  const plans = chunks.map(planFor);
  const frames = new Map<number, { header: Uint8Array; sub: Plan[] }>();
  // RFC 9649 2.3: a pad byte is 0; an odd final chunk without one was written short.
  chunks.forEach((c, i) => {
    const size = c.dataEnd - c.dataStart;
    if (size & 1) {
      if (c.end === c.dataEnd) plans[i].findings.push({ kind: 'unknown-segment', where: whereOf(c), detail: 'missing pad byte' });
      else if (bytes[c.dataEnd] !== 0) plans[i].findings.push({ kind: 'unknown-segment', where: whereOf(c), detail: 'non-zero pad byte' });
    }
  });
  // ICC profiles are colour's rules (webp-icc.ts): the clean profile is written right after
  // VP8X whatever its place; every ICCP chunk is judged there and left out of the rules below.
  const iccp = judgeProfiles(bytes, chunks);
  let profile: Uint8Array | null = null;
  let conversion: string | null = null;
  chunks.forEach((c, i) => {
    const verdict = iccp.get(c);
    if (!verdict) return;
    plans[i].findings.push(...verdict.findings);
    if (verdict.note) plans[i].notes.push(verdict.note);
    if (verdict.needsConversion) conversion = conversion ?? verdict.needsConversion;
    profile = profile ?? verdict.profile;
    plans[i].action = { op: 'drop' };
  });
  const first = chunks[0];
  if (first.id !== 'VP8X') {
    // RFC 9649 2.5/2.6: the simple format is the RIFF header and ONE bitstream chunk.
    holdToMaxPixels(bytes, [[first]], false, options);
    planImage(bytes, plans, [0], scanData);
    for (let i = 1; i < plans.length; i++) {
      if (iccp.has(plans[i].chunk)) continue;
      if (!ALLOWED.has(plans[i].chunk.id)) offList(bytes, plans[i]);
      // A simple file cannot carry anything after its bitstream, not even a minimal EXIF.
      if (plans[i].findings.length === 0) reject(plans[i], 'unknown-segment', `${printable(plans[i].chunk.id)} chunk in a simple-format WebP (only the first chunk is read)`);
      plans[i].action = { op: 'drop' };
    }
    return { plans, riffEnd, vp8x: null, frames, profile: null, conversion };
  }
  if (!isCanonicalVp8x(bytes, first)) plans[0].findings.push({ kind: 'unknown-segment', where: whereOf(first), detail: 'VP8X chunk with unexpected length or reserved bits set' });
  const flags = bytes[first.dataStart];
  const canvasWidth = 1 + u24le(bytes, first.dataStart + 4);
  const canvasHeight = 1 + u24le(bytes, first.dataStart + 7);
  const rest = chunks.map((_, i) => i).slice(1);
  const hasAnmf = rest.some((i) => chunks[i].id === 'ANMF');
  const hasBitstream = rest.some((i) => chunks[i].id === 'VP8 ' || chunks[i].id === 'VP8L');
  const animated = hasAnmf && ((flags & FLAG_ANIMATION) !== 0 || !hasBitstream);
  let alpha = false;
  const imageIds = new Set(['VP8 ', 'VP8L', 'ALPH']);
  if (!animated) {
    holdToMaxPixels(bytes, [rest.map((i) => chunks[i])], false, options);
    const image = planImage(bytes, plans, rest.filter((i) => imageIds.has(chunks[i].id)), scanData);
    // libwebp (ParseHeadersInternal): a still image fills the canvas exactly.
    if (image.info.width !== canvasWidth || image.info.height !== canvasHeight) throw new DeidError('malformed', 'WebP: canvas size differs from the image size');
    alpha = image.alph >= 0 || image.info.alpha;
    for (const i of rest) {
      const id = chunks[i].id;
      if (id === 'ANIM' || id === 'ANMF') reject(plans[i], 'unknown-segment', `${id} chunk in a still image`);
      else if (id === 'VP8X') reject(plans[i], 'unknown-segment', 'a second VP8X chunk');
      else if (!imageIds.has(id) && !iccp.has(chunks[i])) offList(bytes, plans[i]);
    }
  } else {
    const firstAnmf = rest.find((i) => chunks[i].id === 'ANMF') as number;
    const anim = rest.find((i) => chunks[i].id === 'ANIM');
    // libwebp demux: "ANIM chunk must come before ANMF".
    if (anim === undefined || anim > firstAnmf) throw new DeidError('malformed', 'WebP: animation without an ANIM chunk before its frames');
    holdToMaxPixels(bytes, rest.filter((i) => chunks[i].id === 'ANMF').map((i) => listedOrNone(() => frameChunks(bytes, chunks[i]))), true, options);
    for (const i of rest) {
      const c = chunks[i];
      const plan = plans[i];
      if (c.id === 'ANIM') {
        if (i !== anim) reject(plan, 'unknown-segment', 'a second ANIM chunk');
        else if (c.dataEnd - c.dataStart !== ANIM_PAYLOAD) plan.findings.push({ kind: 'unknown-segment', where: whereOf(c), detail: 'ANIM chunk with unexpected length' });
        else if (CANONICAL_BACKGROUND.some((v, k) => bytes[c.dataStart + k] !== v)) plan.findings.push({ kind: 'unknown-segment', where: whereOf(c), detail: 'ANIM background colour (decoders do not use it)' });
        if (plan.action.op === 'keep') {
          const payload = bytes.slice(c.dataStart, c.dataStart + ANIM_PAYLOAD);
          payload.set(CANONICAL_BACKGROUND, 0);
          plan.action = { op: 'payload', pieces: [payload] };
        }
      } else if (c.id === 'ANMF') {
        const head = anmfHeader(bytes, c, canvasWidth, canvasHeight, plan);
        const subChunks = frameChunks(bytes, c);
        const sub = subChunks.map(planFor);
        const image = planImage(bytes, sub, sub.map((_, k) => k).filter((k) => imageIds.has(subChunks[k].id)), scanData, c);
        if (image.info.width !== head.width || image.info.height !== head.height) throw new DeidError('malformed', `WebP: ANMF at ${c.offset} size differs from its image`);
        alpha ||= image.alph >= 0 || image.info.alpha;
        sub.forEach((s, k) => {
          if (!imageIds.has(subChunks[k].id)) offList(bytes, s, c);
          if (s.chunk.id === 'EXIF') s.action = { op: 'drop' };
          const size = s.chunk.dataEnd - s.chunk.dataStart;
          if (size & 1 && s.chunk.end > s.chunk.dataEnd && bytes[s.chunk.dataEnd] !== 0) s.findings.push({ kind: 'unknown-segment', where: whereOf(s.chunk, c), detail: 'non-zero pad byte' });
        });
        frames.set(i, { header: head.header, sub });
        plan.action = { op: 'payload', pieces: [] };
      } else if (imageIds.has(c.id)) reject(plan, 'unknown-segment', `${printable(c.id)} chunk outside the frames of an animation`);
      else if (c.id === 'VP8X') reject(plan, 'unknown-segment', 'a second VP8X chunk');
      else if (!iccp.has(c)) offList(bytes, plan);
    }
  }
  const exifKept = plans.some((p) => p.chunk.id === 'EXIF' && p.action.op === 'keep');
  const iccKept = profile !== null;
  const vp8x = new Uint8Array(VP8X_PAYLOAD);
  vp8x.set(bytes.subarray(first.dataStart + 4, first.dataStart + VP8X_PAYLOAD), 4);
  // Alpha: libwebp takes has_alpha from this flag (WebPGetFeatures), so a clear flag over alpha
  // data hides the alpha from decoders and stays clear; a set flag with no alpha data goes.
  const alphaFlag = alpha && (flags & FLAG_ALPHA) !== 0;
  vp8x[0] = (iccKept ? FLAG_ICC : 0) | (alphaFlag ? FLAG_ALPHA : 0) | (exifKept ? FLAG_EXIF : 0) | (animated ? FLAG_ANIMATION : 0);
  // With an ICCP chunk present, the ICC flag is judged with the profile (webp-icc.ts).
  const compared = iccp.size > 0 ? ~FLAG_ICC & 0xff : 0xff;
  if ((vp8x[0] & compared) !== (flags & ~VP8X_RESERVED_FLAGS & compared) && plans[0].findings.length === 0) {
    plans[0].findings.push({ kind: 'unknown-segment', where: whereOf(first), detail: 'VP8X flags disagree with the chunks present' });
  }
  return { plans, riffEnd, vp8x, frames, profile, conversion };
}

/** The payload of a chunk as it appears in the file. */
function payloadOf(bytes: Uint8Array, c: Chunk): Uint8Array {
  return bytes.subarray(c.dataStart, c.dataEnd);
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

function walk(bytes: Uint8Array, options: WalkOptions = {}): Part[] {
  const assessment = assess(bytes, options);
  const { plans, riffEnd, frames } = assessment;
  const parts: Part[] = [{ name: 'RIFF header', offset: 0, length: HEADER_SIZE, finding: null }];
  plans.forEach((p, i) => {
    const c = p.chunk;
    const findings = [...p.findings, ...(frames.get(i)?.sub.flatMap((s) => s.findings) ?? [])];
    const at = { name: idForWhere(c.id), offset: c.offset, length: c.end - c.offset };
    if (findings.length === 0) parts.push({ ...at, finding: null });
    else for (const finding of findings) parts.push({ ...at, finding });
  });
  if (riffEnd < bytes.length) {
    const count = bytes.length - riffEnd;
    parts.push({ name: 'after RIFF', offset: riffEnd, length: count, finding: { kind: 'trailer', where: `@ ${riffEnd}`, detail: `${count} bytes after the RIFF chunk` } });
  }
  // The verdict and the strip agree by construction: a file with no finding is exactly what
  // strip writes.
  if (parts.every((p) => p.finding === null) && !joinsTo(assemble(bytes, assessment).pieces, bytes)) {
    parts.push({ name: 'file', offset: 0, length: bytes.length, finding: { kind: 'unknown-segment', where: 'file', detail: 'not in the canonical form strip writes' } });
  }
  return parts;
}

/**
 * A whole chunk (header, payload, zero pad byte) as pieces: the payload pieces are not copied, so
 * a kept chunk stays a view of the input (joinsTo compares only what was rewritten).
 */
function chunkPieces(id: string, payload: readonly Uint8Array[]): Uint8Array[] {
  const size = payload.reduce((n, p) => n + p.length, 0);
  const header = new Uint8Array(CHUNK_HEADER);
  header.set(Array.from(id, (ch) => ch.charCodeAt(0)), 0);
  new DataView(header.buffer).setUint32(4, size, true);
  return (size & 1) === 0 ? [header, ...payload] : [header, ...payload, new Uint8Array(1)];
}

function planPieces(bytes: Uint8Array, p: Plan): Uint8Array[] | null {
  if (p.action.op === 'drop') return null;
  return chunkPieces(p.chunk.id, p.action.op === 'keep' ? [bytes.subarray(p.chunk.dataStart, p.chunk.dataEnd)] : p.action.pieces);
}

/**
 * Writes what assess() planned: the RIFF header with its size, VP8X with the flags that match
 * what is kept, each kept chunk with a zero pad byte, ANMF frames rebuilt from their kept parts.
 *
 * Orientation: an EXIF Orientation of 2..8 is kept as a minimal orientation-only EXIF chunk in
 * the place of the original (only possible in the extended format, with VP8X). Viewers differ in
 * whether they apply it; keeping it exactly as it was cannot change what a given viewer shows,
 * and the block holds one number and nothing else (the same rule as for JPEG and PNG).
 */
function assemble(bytes: Uint8Array, a: Assessment): { pieces: Uint8Array[]; removed: FindingKind[]; notes: string[] } {
  const removed = new Set<FindingKind>();
  const notes: string[] = [];
  const pieces: Uint8Array[] = [];
  let exifKept = a.plans.some((p) => p.chunk.id === 'EXIF' && p.action.op === 'keep');
  const extended = a.vp8x !== null;
  // A copy: its EXIF flag is settled after the loop, and the assessment stays as it was.
  const vp8x = a.vp8x ? new Uint8Array(a.vp8x) : null;
  a.plans.forEach((p, i) => {
    const frame = a.frames.get(i);
    for (const f of p.findings) removed.add(f.kind);
    notes.push(...p.notes);
    if (i === 0 && vp8x) {
      pieces.push(...chunkPieces('VP8X', [vp8x]));
      if (a.profile) pieces.push(...chunkPieces('ICCP', [a.profile]));
      return;
    }
    if (frame) {
      const parts: Uint8Array[] = [frame.header];
      for (const s of frame.sub) {
        for (const f of s.findings) removed.add(f.kind);
        notes.push(...s.notes);
        const out = planPieces(bytes, s);
        if (out) parts.push(...out);
      }
      pieces.push(...chunkPieces('ANMF', parts));
      return;
    }
    const out = planPieces(bytes, p);
    if (out) {
      pieces.push(...out);
      return;
    }
    if (p.chunk.id === 'EXIF' && !exifKept) {
      const exif = scanExifChunk(bytes, p.chunk, 'EXIF');
      const orientation = isDeidError(exif) ? null : exif.orientation;
      if (orientation !== null && orientation !== ORIENTATION_AS_STORED) {
        if (extended) {
          pieces.push(...chunkPieces('EXIF', [minimalOrientationExif(orientation)]));
          notes.push(`kept Orientation ${orientation} in a minimal EXIF`);
          exifKept = true;
        } else {
          notes.push(`dropped Orientation ${orientation}: a simple-format WebP (no VP8X) cannot carry EXIF`);
        }
      }
    }
  });
  if (a.riffEnd < bytes.length) {
    removed.add('trailer');
    notes.push(`dropped ${bytes.length - a.riffEnd} bytes after the RIFF chunk`);
  }
  if (vp8x && exifKept) vp8x[0] |= FLAG_EXIF;
  const size = HEADER_SIZE + pieces.reduce((n, p) => n + p.length, 0);
  const header = new Uint8Array(HEADER_SIZE);
  header.set(bytes.subarray(0, HEADER_SIZE));
  new DataView(header.buffer).setUint32(4, size - RIFF_PREAMBLE, true);
  return { pieces: [header, ...pieces], removed: [...removed].sort(), notes };
}

function strip(bytes: Uint8Array, options: WalkOptions = {}): StripResult {
  const assessment = assess(bytes, options);
  const notClean = [...assessment.plans, ...[...assessment.frames.values()].flatMap((f) => f.sub)].find((p) => p.notClean)?.notClean;
  if (notClean) throw new DeidError('not-clean', `WebP: ${notClean}`);
  if (assessment.conversion !== null) throw new DeidError('needs-conversion', `WebP: ${assessment.conversion}`);
  const { pieces, removed, notes } = assemble(bytes, assessment);
  return { bytes: joinBytes(pieces), removed, notes };
}

export const webpFormat: ContainerFormat = {
  formats: ['webp'],
  detect: (bytes) => (isWebp(bytes) ? 'webp' : null),
  walk,
  strip,
};
