/**
 * JPEG (ITU T.81 Annex B, https://www.w3.org/Graphics/JPEG/itu-t81.pdf) with the segments of
 * JFIF 1.02, EXIF 2.32, XMP part 3, ICC.1 Annex B.4, CIPA DC-007 (MPF), ISO 19566-5 (JUMBF/C2PA)
 * and Adobe's Photoshop file format (APP13 image resources).
 *
 * The walk is an allowlist: SOI, DQT, DHT, DAC, SOFn, DRI, SOS + entropy-coded data (with RSTn),
 * DNL, EOI, a canonical APP0 JFIF without thumbnail, a canonical APP14 Adobe and an APP2 ICC
 * profile in its clean form (jpeg-icc.ts: canonical or rebuilt, canonically chunked) are clean;
 * every other segment, and any byte after EOI, is a finding. The allowlisted segments are parsed
 * exactly (jpeg-tables.ts): bytes beyond what their contents define, and tables no scan uses,
 * are findings too, since either can carry arbitrary text. Strip keeps exactly the clean parts,
 * copying scan data byte for byte and rewriting table segments to the tables decoders use, so
 * decoded pixels cannot change.
 */
import { copyBytes, indexOfByte, joinBytes, joinsTo, u16be } from '../bytes';
import { DeidError } from '../errors';
import { DAC, DHT, DNL, DQT, DRI, SOS, isSof, layoutSegments, type SegmentLayout, type TableDef } from './jpeg-tables';
import { planJpegIcc } from './jpeg-icc';
import { buildHuffman, readFrame, sequentialScanComplete, sequentialScanUse, type HuffmanTable, type ScanComponent } from './jpeg-scan';
import { ProgressiveScans, type ScanExtent } from './jpeg-scan-progressive';
import { minimalOrientationExif, scanExif, type ExifScan } from './tiff-ifd';
import type { ContainerFormat, Finding, FindingKind, ImageFormat, Part, StripResult, WalkOptions } from './types';

const MARKER = 0xff;
const STUFFED_ZERO = 0x00;
const SOI = 0xd8;
const EOI = 0xd9;
const SOF_FIRST = 0xc0;
const RST0 = 0xd0;
const RST7 = 0xd7;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP11 = 0xeb;
const APP12 = 0xec;
const APP13 = 0xed;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;
/** Markers below this code (and 0x00) are reserved or TEM: never expected between segments. */
const FIRST_SEGMENT_MARKER = 0xc0;
/** TEM (T.81 Table B.1): a standalone marker, the only valid code below 0xC0. */
const TEM = 0x01;
const MARKER_SIZE = 2;
const LENGTH_SIZE = 2;

/** JFIF 1.02: "JFIF\0", version (2), units (1), X/Y density (2+2), thumbnail width/height (1+1). */
const JFIF_FIXED_PAYLOAD = 14;
const JFIF_THUMB_WIDTH = 12;
/** Adobe APP14 (Adobe TN 5116): "Adobe", version (2), flags0 (2), flags1 (2), transform (1). */
const ADOBE_PAYLOAD = 12;
const ADOBE_VERSION = 5;
const ADOBE_FLAGS0 = 7;
const ADOBE_FLAGS1 = 9;
const ADOBE_TRANSFORM = 11;
/** Version 100 (0x0064) is what Adobe TN 5116 and libjpeg write. */
const ADOBE_VERSION_100 = 0x64;
/** Transform: 0 none (RGB/CMYK), 1 YCbCr, 2 YCCK. */
const ADOBE_TRANSFORM_YCC = 1;
const ADOBE_TRANSFORM_YCCK = 2;
const ADOBE_CMYK_COMPONENTS = 4;
/** APP1 EXIF header: "Exif\0" and one pad byte (0), then the TIFF structure (EXIF 2.32 4.7.2). */
const EXIF_HEADER = 6;
/** Photoshop image resource ids (Adobe Photoshop File Formats, "Image Resource IDs"). */
const IRB_IPTC = 0x0404;
const IRB_THUMBNAIL_PS4 = 0x0409;
const IRB_THUMBNAIL = 0x040c;
/** Orientation 1 (as stored) needs no EXIF at all. */
const ORIENTATION_AS_STORED = 1;

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
const SIG_JFIF = ascii('JFIF\0');
const SIG_JFXX = ascii('JFXX\0');
const SIG_CIFF = ascii('II\x1a\0\0\0HEAP');
const SIG_EXIF = ascii('Exif\0');
const SIG_XMP = ascii('http://ns.adobe.com/xap/1.0/\0');
const SIG_XMP_EXTENSION = ascii('http://ns.adobe.com/xmp/extension/\0');
const SIG_MPF = ascii('MPF\0');
const SIG_FLASHPIX = ascii('FPXR\0');
const SIG_JUMBF = ascii('JP');
const SIG_DUCKY = ascii('Ducky');
const SIG_PHOTOSHOP = ascii('Photoshop 3.0\0');
const SIG_8BIM_LEN = 4;
const SIG_ADOBE = ascii('Adobe');

/** One marker-delimited piece of the file, in order. */
interface Piece {
  /** Marker code, or 'ecs' for entropy-coded data, 'trailer' for bytes after EOI, 'gap' for
   *  bytes between segments that belong to no segment (stray bytes, fill bytes). */
  marker: number | 'ecs' | 'trailer' | 'gap';
  offset: number;
  end: number;
}

/** How strip treats a piece, and what the walk reports about it. */
interface Verdict {
  name: string;
  findings: Finding[];
  /** keep: copy as is; drop: omit; rewrite: replace with `replacement`; refuse: strip cannot
   *  produce a clean file (the segment cannot be read, and decoders need it). */
  action: 'keep' | 'drop' | 'rewrite' | 'refuse';
  replacement?: Uint8Array;
  exif?: ExifScan;
  note?: string;
  /** An ICC profile only a pixel conversion can keep (jpeg-icc.ts). */
  needsConversion?: string;
  /** Scan data whose unused bytes cannot be told (WalkOptions.scanData): strip refuses. */
  unchecked?: string;
}

function startsWith(bytes: Uint8Array, at: number, end: number, sig: Uint8Array): boolean {
  if (at + sig.length > end) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}


function isRst(marker: number): boolean {
  return marker >= RST0 && marker <= RST7;
}

interface Split {
  pieces: Piece[];
  /** The file ends inside the last scan's entropy-coded data, without EOI. */
  eoiMissing: boolean;
}

/**
 * Where the next marker starts, as libjpeg's next_marker() (jdmarker.c) finds it: any bytes that
 * are not 0xFF are skipped ("extraneous bytes before marker"), any run of 0xFF is fill (T.81
 * B.1.1.2), and FF 00 outside scan data is skipped too. Returns the offset of the FF right
 * before the marker code, or -1 when the file ends first.
 */
function nextMarker(bytes: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    const ff = indexOfByte(bytes, MARKER, i);
    if (ff < 0) return -1;
    let code = ff + 1;
    while (code < bytes.length && bytes[code] === MARKER) code++;
    if (code >= bytes.length) return -1;
    if (bytes[code] !== STUFFED_ZERO) return code - 1;
    i = code + 1;
  }
}

/**
 * Splits the file into pieces (T.81 B.1.1). Linear: entropy-coded data is skipped with indexOf
 * on 0xFF, since only 0xFF followed by neither 0x00 (stuffing) nor RSTn ends it (T.81 B.1.1.5).
 * Bytes between segments that libjpeg steps over (stray bytes, fill bytes, FF 00) become 'gap'
 * pieces, and a file that ends inside the scan data after at least one scan is read as if EOI
 * followed (libjpeg warns "Premature end of JPEG file" and shows what it decoded).
 */
function splitPieces(bytes: Uint8Array): Split {
  const len = bytes.length;
  if (len < MARKER_SIZE || bytes[0] !== MARKER || bytes[1] !== SOI) {
    throw new DeidError('malformed', 'JPEG: does not start with SOI (FF D8)');
  }
  const pieces: Piece[] = [{ marker: SOI, offset: 0, end: MARKER_SIZE }];
  let pos = MARKER_SIZE;
  let scans = 0;
  let eoiMissing = false;
  for (;;) {
    const start = nextMarker(bytes, pos);
    if (start < 0) {
      if (scans === 0) throw new DeidError('truncated', `JPEG: ends at ${len} without EOI`);
      // After a scan: what is left is fill or stray bytes; the image is all there is.
      if (pos < len) pieces.push({ marker: 'gap', offset: pos, end: len });
      eoiMissing = true;
      break;
    }
    if (start > pos) pieces.push({ marker: 'gap', offset: pos, end: start });
    const marker = bytes[start + 1];
    if (marker === EOI) {
      pieces.push({ marker, offset: start, end: start + MARKER_SIZE });
      pos = start + MARKER_SIZE;
      break;
    }
    if (isRst(marker) || marker === TEM) {
      // Parameterless markers outside scan data: libjpeg reads and ignores them.
      pieces.push({ marker, offset: start, end: start + MARKER_SIZE });
      pos = start + MARKER_SIZE;
      continue;
    }
    if (marker < FIRST_SEGMENT_MARKER || marker === SOI) {
      throw new DeidError('malformed', `JPEG: marker FF ${marker.toString(16).padStart(2, '0')} at ${start} is not valid between segments`);
    }
    if (start + MARKER_SIZE + LENGTH_SIZE > len) throw new DeidError('truncated', `JPEG: segment at ${start} cut off`);
    const segmentLength = u16be(bytes, start + MARKER_SIZE);
    if (segmentLength < LENGTH_SIZE) {
      throw new DeidError('malformed', `JPEG: segment at ${start} declares length ${segmentLength}`);
    }
    const end = start + MARKER_SIZE + segmentLength;
    if (end > len) throw new DeidError('truncated', `JPEG: segment at ${start} runs past the end of the file`);
    pieces.push({ marker, offset: start, end });
    pos = end;
    if (marker === SOS) {
      scans++;
      const ecsEnd = findEntropyEnd(bytes, end);
      if (ecsEnd > end) pieces.push({ marker: 'ecs', offset: end, end: ecsEnd });
      pos = ecsEnd;
      if (ecsEnd >= len) {
        eoiMissing = true;
        break;
      }
    }
  }
  if (pos < len) pieces.push({ marker: 'trailer', offset: pos, end: len });
  return { pieces, eoiMissing };
}

/**
 * Where the entropy-coded data after an SOS ends: at the first FF that starts a marker other
 * than RSTn, or at the end of the file (a file cut inside its scan data; a lone FF as its very
 * last byte belongs to no marker and is left to the caller as a gap).
 */
function findEntropyEnd(bytes: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    const ff = indexOfByte(bytes, MARKER, i);
    if (ff < 0) return bytes.length;
    if (ff + 1 >= bytes.length) return ff;
    const next = bytes[ff + 1];
    // FF followed by a byte that names no marker (02..BF) is damaged scan data, not a segment
    // boundary: decoders (libjpeg, and exiftool when reading) step over it, so do we.
    if (next === STUFFED_ZERO || isRst(next) || (next > TEM && next < FIRST_SEGMENT_MARKER)) {
      i = ff + 2;
      continue;
    }
    if (next === MARKER) {
      // Fill bytes: what matters is the code after them (T.81 B.1.1.2).
      let code = ff + 1;
      while (code < bytes.length && bytes[code] === MARKER) code++;
      if (code >= bytes.length) return ff;
      // T.81 B.1.1.2: fill bytes may precede any marker, RSTn included; libjpeg skips them and
      // reads the RSTn as the restart it is, so the scan goes on past it. Fill bytes before a
      // stuffed zero are no marker at all: libjpeg's entropy decoder (jdhuff.c fill_bit_buffer)
      // skips the FFs, takes FF 00 as data and decodes on without a warning, so the scan goes
      // on past that too; ending it there had strip cut every MCU after it.
      if (bytes[code] === STUFFED_ZERO || isRst(bytes[code]) || (bytes[code] > TEM && bytes[code] < FIRST_SEGMENT_MARKER)) {
        i = code + 1;
        continue;
      }
    }
    return ff;
  }
}

function finding(kind: FindingKind, where: string, detail: string): Finding {
  return { kind, where, detail };
}

/**
 * The canonical JFIF APP0 (JFIF 1.02, "JFIF APP0 marker"): version 1.01, units 0, density 1:1,
 * no thumbnail; what libjpeg writes by default (jcparam.c). Nothing in JFIF changes decoded
 * pixels: libjpeg reads it only to know that a 3-component image is YCbCr, which its presence
 * alone says (jdapimin.c default_decompress_parms). Density and version are free values, so any
 * other form is rewritten to this one.
 */
const CANONICAL_JFIF = new Uint8Array([MARKER, APP0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);

/**
 * JFIF APP0: kept (canonical) only as the first segment after SOI (JFIF 1.02: "the APP0 marker
 * must immediately follow the SOI marker"), once, in a 1- or 3-component image (JFIF is Y or
 * YCbCr only). Anything else is dropped.
 */
function judgeJfif(bytes: Uint8Array, piece: Piece, where: string, applicable: boolean): Verdict {
  const payload = piece.offset + MARKER_SIZE + LENGTH_SIZE;
  const payloadLength = piece.end - payload;
  const name = 'APP0 JFIF';
  if (payloadLength < JFIF_FIXED_PAYLOAD) {
    return { name, findings: [finding('unknown-segment', where, 'JFIF header too short to be valid')], action: 'drop' };
  }
  const thumbW = bytes[payload + JFIF_THUMB_WIDTH];
  const thumbH = bytes[payload + JFIF_THUMB_WIDTH + 1];
  const findings: Finding[] = [];
  if (thumbW * thumbH > 0) findings.push(finding('thumbnail', where, `JFIF thumbnail ${thumbW}x${thumbH} (an unredacted preview)`));
  if (!applicable) {
    findings.push(finding('unknown-segment', where, 'JFIF segment that is not the first after SOI, a repeat, or in an image JFIF cannot describe'));
    return { name, findings, action: 'drop' };
  }
  if (startsWith(bytes, piece.offset, piece.end, CANONICAL_JFIF) && piece.end - piece.offset === CANONICAL_JFIF.length) return { name, findings, action: 'keep' };
  if (findings.length === 0) findings.push(finding('unknown-segment', where, 'JFIF header with non-canonical version, density or extra bytes'));
  return { name, findings, action: 'rewrite', replacement: CANONICAL_JFIF, note: 'wrote a canonical JFIF header (version 1.01, no density, no thumbnail)' };
}

/**
 * APP14 Adobe: the colour transform byte is needed to decode CMYK/YCCK right, so it is kept; the
 * rest is rewritten canonically, since version and flags never change decoding and extra bytes
 * could carry anything. libjpeg (jdmarker.c examine_app14) ignores a segment shorter than 12
 * bytes, and reads a transform above 2 as YCCK for 4 components and as YCbCr otherwise.
 */
function judgeAdobe(bytes: Uint8Array, piece: Piece, where: string, components: number): Verdict {
  const payload = piece.offset + MARKER_SIZE + LENGTH_SIZE;
  const payloadLength = piece.end - payload;
  if (payloadLength < ADOBE_PAYLOAD) {
    return { name: 'APP14 Adobe', findings: [finding('unknown-segment', where, 'APP14 Adobe segment too short to be valid')], action: 'drop' };
  }
  const transform = bytes[payload + ADOBE_TRANSFORM];
  const canonical = payloadLength === ADOBE_PAYLOAD && transform <= ADOBE_TRANSFORM_YCCK &&
    u16be(bytes, payload + ADOBE_VERSION) === ADOBE_VERSION_100 &&
    u16be(bytes, payload + ADOBE_FLAGS0) === 0 && u16be(bytes, payload + ADOBE_FLAGS1) === 0;
  if (canonical) return { name: 'APP14 Adobe', findings: [], action: 'keep' };
  const replacement = new Uint8Array(MARKER_SIZE + LENGTH_SIZE + ADOBE_PAYLOAD);
  replacement.set([MARKER, APP14, 0, LENGTH_SIZE + ADOBE_PAYLOAD]);
  replacement.set(SIG_ADOBE, MARKER_SIZE + LENGTH_SIZE);
  const at = MARKER_SIZE + LENGTH_SIZE;
  replacement[at + ADOBE_VERSION + 1] = ADOBE_VERSION_100;
  replacement[at + ADOBE_TRANSFORM] = transform <= ADOBE_TRANSFORM_YCCK
    ? transform
    : components === ADOBE_CMYK_COMPONENTS ? ADOBE_TRANSFORM_YCCK : ADOBE_TRANSFORM_YCC;
  return {
    name: 'APP14 Adobe',
    findings: [finding('unknown-segment', where, 'APP14 Adobe segment with extra or non-standard bytes')],
    action: 'rewrite',
    replacement,
    note: 'rewrote the APP14 Adobe segment in canonical form',
  };
}

const TABLE_WORDS: Record<TableDef['family'], readonly [string, string]> = {
  quantisation: ['quantisation table', 'quantisation table'],
  huffman: ['Huffman DC table', 'Huffman AC table'],
  conditioning: ['arithmetic DC conditioning', 'arithmetic AC conditioning'],
};

/**
 * A DQT/DHT/DAC/SOF/SOS/DRI/DNL segment: clean when every byte is content a decoder reads.
 * Hidden bytes and unused tables are findings; strip rewrites the segment to its used content
 * (or drops it when no table is left), and refuses a segment whose contents run past its end.
 */
function judgeLayout(bytes: Uint8Array, layout: SegmentLayout): Verdict {
  const name = segmentName(layout.marker);
  const where = `${name} @ ${layout.offset}`;
  const isTableSegment = layout.marker === DQT || layout.marker === DHT || layout.marker === DAC;
  if (layout.short) {
    const f = finding('unknown-segment', where, `${name} segment shorter than its contents announce`);
    return { name, findings: [f], action: 'refuse' };
  }
  const findings: Finding[] = [];
  const hidden = layout.end - layout.contentEnd;
  if (hidden > 0) {
    const beyond = isTableSegment ? 'its tables' : isSof(layout.marker) || layout.marker === SOS ? 'its components' : 'its value';
    findings.push(finding('unknown-segment', where, `${name} segment with ${hidden} bytes beyond ${beyond}`));
  }
  let used = 0;
  for (const t of layout.tables) {
    if (t.used) used++;
    else findings.push(finding('unknown-segment', where, `${TABLE_WORDS[t.family][t.tableClass]} ${t.id} is never used`));
  }
  if (findings.length === 0) return { name, findings, action: 'keep' };
  if (isTableSegment && used === 0) return { name, findings, action: 'drop', note: `dropped ${name} @ ${layout.offset}: no table in it is used` };
  return { name, findings, action: 'rewrite', replacement: rewriteLayout(bytes, layout, used), note: `rewrote ${name} @ ${layout.offset} to the content decoders read` };
}

/** The segment with only its used tables (table segments) or only its content (the others). */
function rewriteLayout(bytes: Uint8Array, layout: SegmentLayout, used: number): Uint8Array {
  const isTableSegment = layout.tables.length > 0;
  let contentLength = layout.contentEnd - layout.offset - MARKER_SIZE - LENGTH_SIZE;
  if (isTableSegment) {
    contentLength = 0;
    for (const t of layout.tables) if (t.used) contentLength += t.end - t.start;
  }
  const out = new Uint8Array(MARKER_SIZE + LENGTH_SIZE + contentLength);
  const segmentLength = LENGTH_SIZE + contentLength;
  out.set([MARKER, layout.marker, segmentLength >> 8, segmentLength & 0xff]);
  if (!isTableSegment || used === layout.tables.length) {
    out.set(bytes.subarray(layout.offset + MARKER_SIZE + LENGTH_SIZE, layout.offset + MARKER_SIZE + LENGTH_SIZE + contentLength), MARKER_SIZE + LENGTH_SIZE);
    return out;
  }
  let at = MARKER_SIZE + LENGTH_SIZE;
  for (const t of layout.tables) {
    if (!t.used) continue;
    out.set(bytes.subarray(t.start, t.end), at);
    at += t.end - t.start;
  }
  return out;
}

function judgeExif(bytes: Uint8Array, piece: Piece, where: string): Verdict {
  const tiffStart = piece.offset + MARKER_SIZE + LENGTH_SIZE + EXIF_HEADER;
  try {
    const exif = scanExif(bytes.subarray(Math.min(tiffStart, piece.end), piece.end), where);
    // A minimal orientation block is clean only with the canonical "Exif\0\0" header.
    const findings = exif.onlyOrientation && bytes[tiffStart - 1] !== 0
      ? [finding('exif', where, 'EXIF header with a non-zero pad byte')]
      : exif.findings;
    return { name: 'APP1 Exif', findings, action: 'drop', exif };
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    // The segment is dropped whole anyway; a broken EXIF must not stop the rest of the walk.
    return {
      name: 'APP1 Exif',
      findings: [finding('exif', where, `EXIF block that cannot be read (${e.code}); it may hold any EXIF tag`)],
      action: 'drop',
      note: `EXIF block unreadable (${e.code}): dropped whole, orientation not kept`,
    };
  }
}

/**
 * Photoshop image resources (APP13 "Photoshop 3.0\0"): each is "8BIM", id (2), Pascal name padded
 * to even length, size (4), data padded to even length. Parsing stops quietly at the first broken
 * resource: the segment is a finding and is dropped either way.
 */
function judgePhotoshop(bytes: Uint8Array, piece: Piece, where: string): Verdict {
  let at = piece.offset + MARKER_SIZE + LENGTH_SIZE + SIG_PHOTOSHOP.length;
  const ids = new Set<number>();
  let complete = true;
  while (at < piece.end) {
    if (at + SIG_8BIM_LEN + 2 + 2 > piece.end) { complete = false; break; }
    const id = u16be(bytes, at + SIG_8BIM_LEN);
    const nameLength = bytes[at + SIG_8BIM_LEN + 2];
    const sizeAt = at + SIG_8BIM_LEN + 2 + ((1 + nameLength + 1) & ~1);
    if (sizeAt + 4 > piece.end) { complete = false; break; }
    const size = ((bytes[sizeAt] << 24) | (bytes[sizeAt + 1] << 16) | (bytes[sizeAt + 2] << 8) | bytes[sizeAt + 3]) >>> 0;
    ids.add(id);
    at = sizeAt + 4 + size + (size & 1);
  }
  if (at > piece.end) complete = false;
  const findings = [finding('photoshop-irb', where, `Photoshop image resources (${ids.size} kinds${complete ? '' : ', continued or damaged'})`)];
  if (ids.has(IRB_IPTC)) findings.push(finding('iptc', where, 'IPTC record (names, captions, places, dates)'));
  if (ids.has(IRB_THUMBNAIL) || ids.has(IRB_THUMBNAIL_PS4)) findings.push(finding('thumbnail', where, 'Photoshop thumbnail resource'));
  return { name: 'APP13 Photoshop', findings, action: 'drop' };
}

/** Classifies one segment: what it is, what it reveals, what strip does with it. */
function judgeSegment(bytes: Uint8Array, piece: Piece, marker: number, components: number): Verdict {
  const code = marker.toString(16).toUpperCase();
  const where = `${segmentName(marker)} @ ${piece.offset}`;
  const payload = piece.offset + MARKER_SIZE + LENGTH_SIZE;
  const is = (sig: Uint8Array) => startsWith(bytes, payload, piece.end, sig);
  const drop = (name: string, kind: FindingKind, detail: string): Verdict =>
    ({ name, findings: [finding(kind, where, detail)], action: 'drop' });
  switch (marker) {
    case APP0:
      if (is(SIG_JFIF)) return { name: 'APP0 JFIF', findings: [], action: 'keep' };
      if (is(SIG_JFXX)) return drop('APP0 JFXX', 'thumbnail', 'JFIF extension thumbnail (an unredacted preview)');
      if (is(SIG_CIFF)) return drop('APP0 CIFF', 'makernote', 'Canon CIFF camera record (camera data, owner, serial)');
      break;
    case APP1:
      if (is(SIG_EXIF)) return judgeExif(bytes, piece, where);
      if (is(SIG_XMP)) return drop('APP1 XMP', 'xmp', 'XMP packet (editing history, document ids, names)');
      if (is(SIG_XMP_EXTENSION)) return drop('APP1 XMP extension', 'xmp', 'extended XMP chunk (may hold whole embedded images)');
      break;
    case APP2:
      if (is(SIG_MPF)) return drop('APP2 MPF', 'mpf', 'Multi-Picture Format index (secondary images after EOI)');
      if (is(SIG_FLASHPIX)) return drop('APP2 FlashPix', 'unknown-segment', 'FlashPix extension data (may hold audio or text)');
      break;
    case APP11:
      if (is(SIG_JUMBF)) return drop('APP11 JUMBF', 'c2pa', 'JUMBF box (C2PA content credentials; may hold thumbnails)');
      break;
    case APP12:
      if (is(SIG_DUCKY)) return drop('APP12 Ducky', 'unknown-segment', 'Photoshop "Save for Web" Ducky data (quality, comment, copyright)');
      return drop('APP12', 'unknown-segment', 'APP12 vendor data (e.g. PictureInfo camera text)');
    case APP13:
      if (is(SIG_PHOTOSHOP)) return judgePhotoshop(bytes, piece, where);
      break;
    case APP14:
      if (is(SIG_ADOBE)) return judgeAdobe(bytes, piece, where, components);
      break;
    case COM:
      return drop('COM', 'comment', `comment segment (${piece.end - payload} bytes of free text)`);
    default:
      if (marker < APP0 || marker > APP15) {
        return drop(`FF${code}`, 'unknown-segment', `reserved/extension marker FF${code}`);
      }
  }
  return drop(segmentName(marker), 'unknown-segment', `unrecognised ${segmentName(marker)} segment (${piece.end - payload} bytes)`);
}

/** Built once: the walk names every segment of every file. */
const SEGMENT_NAMES: Readonly<Record<number, string>> = { [DQT]: 'DQT', [DHT]: 'DHT', [DAC]: 'DAC', [DRI]: 'DRI', [DNL]: 'DNL', [SOS]: 'SOS', [COM]: 'COM', [SOI]: 'SOI', [EOI]: 'EOI' };

function segmentName(marker: number): string {
  if (marker >= APP0 && marker <= APP15) return `APP${marker - APP0}`;
  if (isSof(marker)) return `SOF${marker - SOF_FIRST}`;
  return SEGMENT_NAMES[marker] ?? (isRst(marker) ? `RST${marker - RST0}` : `FF${marker.toString(16).toUpperCase()}`);
}

interface Judged {
  piece: Piece;
  verdict: Verdict;
}

interface Judgement {
  judged: Judged[];
  eoiMissing: boolean;
}

const PROCESS_MASK = 3;
const PROCESS_PROGRESSIVE = 2;
const PROCESS_LOSSLESS = 3;
/** SOS tail: Ss, Se, Ah/Al (T.81 B.2.3). */
const SOS_TAIL = 3;
const LAST_DCT_INDEX = 63;

/**
 * T.81 B.2.3 / Table B.3: in a sequential DCT scan Ss is 0, Se 63 and Ah/Al 0; in a lossless
 * scan Se and Ah are 0 (Ss is the predictor, Al the point transform). libjpeg-turbo warns about
 * and ignores other values in a sequential scan (JWRN_NOT_SEQUENTIAL), so they are three free
 * bytes per scan: strip writes the canonical ones.
 */
function isCanonicalSosTail(bytes: Uint8Array, layout: SegmentLayout, frameMarker: number): boolean {
  const tail = layout.contentEnd - SOS_TAIL;
  const [ss, se, a] = [bytes[tail], bytes[tail + 1], bytes[tail + 2]];
  const process = frameMarker & PROCESS_MASK;
  if (process === PROCESS_PROGRESSIVE) return true;
  if (process === PROCESS_LOSSLESS) return se === 0 && a >> 4 === 0;
  return ss === 0 && se === LAST_DCT_INDEX && a === 0;
}

/**
 * Judges every piece with the context it needs (T.81 B.2, JFIF 1.02, Adobe TN 5116): one frame,
 * scans after it; one JFIF first; Adobe APP14 only where it changes how colour is decoded; a DRI
 * only where a scan follows it; DNL only in a frame that leaves its height to it; nothing
 * between segments; canonical scan headers.
 */
function canonicalSosTail(bytes: Uint8Array, layout: SegmentLayout, frameMarker: number): Uint8Array {
  const tail = layout.contentEnd - SOS_TAIL;
  return (frameMarker & PROCESS_MASK) === PROCESS_LOSSLESS ? new Uint8Array([bytes[tail], 0, bytes[tail + 2] & 0x0f]) : new Uint8Array([0, LAST_DCT_INDEX, 0]);
}

function judge(bytes: Uint8Array, options: WalkOptions): Judgement {
  const { pieces, eoiMissing } = splitPieces(bytes);
  const { layouts, components } = layoutSegments(bytes, pieces);
  const frames = pieces.filter((p) => typeof p.marker === 'number' && isSof(p.marker));
  if (frames.length > 1) throw new DeidError('malformed', 'JPEG: more than one frame (SOF) in the file');
  const frame = frames[0];
  const firstScan = pieces.findIndex((p) => p.marker === SOS);
  if (firstScan >= 0 && (!frame || pieces.indexOf(frame) > firstScan)) throw new DeidError('malformed', 'JPEG: a scan (SOS) before the frame header (SOF)');
  const frameMarker = frame ? (frame.marker as number) : 0;
  if (eoiMissing) requireCompleteLastScan(bytes, pieces, frame);
  const frameHeight = frame && frame.end - frame.offset >= MARKER_SIZE + LENGTH_SIZE + 3 ? u16be(bytes, frame.offset + MARKER_SIZE + LENGTH_SIZE + 1) : -1;
  // libjpeg (jdapimin.c): JFIF decides 3-component colour; Adobe's transform counts only without
  // it (3 components) or for 4 components (CMYK/YCCK); for 1 component neither is read.
  const jfifFirst = pieces[1] && pieces[1].marker === APP0 && startsWith(bytes, pieces[1].offset + MARKER_SIZE + LENGTH_SIZE, pieces[1].end, SIG_JFIF);
  const jfifApplies = jfifFirst && (components === 1 || components === 3);
  const adobeApplies = components === 4 || (components === 3 && !jfifApplies);
  let adobeSeen = false;
  let mpfSeen = false;
  // ICC chunks are judged together: one profile may span several APP2 segments.
  const icc = planJpegIcc(bytes, pieces);
  let scansSeen = 0;
  let dnlSeen = false;
  const extents = options.scanData ? scanExtents(bytes, pieces, frame) : NO_EXTENTS;
  const judged = pieces.map((piece, index): Judged => {
    const layout = layouts[index];
    const where = typeof piece.marker === 'number' ? `${segmentName(piece.marker)} @ ${piece.offset}` : `@ ${piece.offset}`;
    let verdict: Verdict;
    const iccVerdict = icc.get(index);
    if (iccVerdict) {
      verdict = iccVerdict;
    } else if (piece.marker === 'ecs') {
      verdict = { name: 'entropy-coded data', findings: [], action: 'keep' };
      const extent = extents.get(index);
      if (typeof extent === 'string') {
        // Fail closed: bytes no MCU uses may be there, unseen (strip refuses; the CLI re-encodes).
        const what = `${extent}: not checked for bytes no MCU uses`;
        verdict = { name: 'entropy-coded data', findings: [finding('unknown-segment', where, what)], action: 'keep', unchecked: what };
      }
      const unused = extent && typeof extent !== 'string' ? extent.slack.reduce((n, [s, e]) => n + (e - s), 0) + (piece.end - extent.end) : 0;
      if (extent && typeof extent !== 'string' && unused > 0) {
        const what = `${unused} bytes of scan data no MCU uses (after the last MCU or before an RSTn)`;
        verdict = { name: 'entropy-coded data', findings: [finding('unknown-segment', where, what)], action: 'rewrite', replacement: withoutSlack(bytes, piece, extent), note: `dropped ${what}` };
      }
    } else if (piece.marker === 'gap') {
      const size = piece.end - piece.offset;
      let fill = 0;
      while (fill < size && bytes[piece.offset + fill] === MARKER) fill++;
      const what = fill === size ? `${size} fill bytes (0xFF) before a marker` : `${size} stray bytes between segments`;
      verdict = { name: 'gap', findings: [finding('unknown-segment', where, what)], action: 'drop', note: `dropped ${what}` };
    } else if (piece.marker === 'trailer') {
      const size = piece.end - piece.offset;
      const at = `after EOI @ ${piece.offset}`;
      verdict = mpfSeen
        ? { name: 'MPF images', findings: [finding('mpf', at, `${size} bytes of secondary images (MPF) after EOI`)], action: 'drop' }
        : { name: 'trailer', findings: [finding('trailer', at, `${size} bytes after EOI`)], action: 'drop' };
    } else if (piece.marker === SOI || piece.marker === EOI) {
      verdict = { name: segmentName(piece.marker), findings: [], action: 'keep' };
    } else if (isRst(piece.marker) || piece.marker === TEM) {
      // T.81 B.1.1.3: RSTn belongs inside scan data; between segments libjpeg ignores it.
      verdict = { name: segmentName(piece.marker), findings: [finding('unknown-segment', where, 'marker without a segment outside scan data')], action: 'drop' };
    } else if (layout) {
      verdict = judgeLayout(bytes, layout);
      if (piece.marker === SOS && verdict.action === 'keep' && !isCanonicalSosTail(bytes, layout, frameMarker)) {
        const replacement = copyBytes(bytes, piece.offset, piece.end);
        replacement.set(canonicalSosTail(bytes, layout, frameMarker), replacement.length - SOS_TAIL);
        verdict = { name: 'SOS', findings: [finding('unknown-segment', where, 'scan header with spectral/approximation values its coding process does not use')], action: 'rewrite', replacement, note: 'wrote the canonical scan header values' };
      }
      if (piece.marker === SOS) scansSeen++;
      if (piece.marker === DNL) {
        // T.81 B.2.5: DNL only after the first scan of a frame whose SOF height is 0.
        if (frameHeight !== 0 || scansSeen !== 1 || dnlSeen) {
          verdict = { name: 'DNL', findings: [...verdict.findings, finding('unknown-segment', where, 'DNL segment the frame does not need')], action: 'drop' };
        }
        dnlSeen = true;
      }
    } else {
      verdict = judgeSegment(bytes, piece, piece.marker, components);
      if (verdict.name === 'APP0 JFIF') verdict = judgeJfif(bytes, piece, where, index === 1 && jfifApplies);
      if (verdict.name === 'APP14 Adobe' && verdict.action !== 'drop') {
        if (adobeSeen || !adobeApplies) {
          verdict = { name: 'APP14 Adobe', findings: [...verdict.findings, finding('unknown-segment', where, 'APP14 Adobe segment that does not change how this image is decoded, or a repeat')], action: 'drop' };
        }
        adobeSeen = true;
      }
      if (verdict.findings.some((f) => f.kind === 'mpf')) mpfSeen = true;
    }
    return { piece, verdict };
  });
  // DRI sets the restart interval for the scans after it (T.81 B.2.4.4); one followed by no scan
  // before the next DRI or EOI sets nothing.
  let lastDri = -1;
  for (let i = 0; i < judged.length; i++) {
    const m = judged[i].piece.marker;
    if (m === DRI && judged[i].verdict.action !== 'refuse') {
      if (lastDri >= 0) unusedDri(judged[lastDri]);
      lastDri = i;
    } else if (m === SOS) lastDri = -1;
  }
  if (lastDri >= 0) unusedDri(judged[lastDri]);
  return { judged, eoiMissing };
}

const SOF_BASELINE = 0xc0;
const SOF_EXTENDED = 0xc1;
const HUFFMAN_DESTINATIONS = 4;

/** B.2.4.2: every table a DHT segment defines, into `tables` (class * 4 + destination). */
function readHuffmanTables(bytes: Uint8Array, p: Piece, tables: Array<HuffmanTable | undefined>): void {
  let at = p.offset + MARKER_SIZE + LENGTH_SIZE;
  while (at + 17 <= p.end) {
    const tc = bytes[at] >> 4;
    const th = bytes[at] & 15;
    const { table, end } = buildHuffman(bytes, at + 1);
    if (tc > 1 || th >= HUFFMAN_DESTINATIONS || end > p.end) break;
    tables[tc * HUFFMAN_DESTINATIONS + th] = table;
    at = end;
  }
}

/** B.2.4.4: the restart interval a DRI segment defines; null for one too short to hold it. */
function restartIntervalOf(bytes: Uint8Array, p: Piece): number | null {
  return p.end - p.offset >= MARKER_SIZE + LENGTH_SIZE + 2 ? u16be(bytes, p.offset + MARKER_SIZE + LENGTH_SIZE) : null;
}

/**
 * A file that ends inside its last scan without EOI is accepted only when that scan holds every
 * MCU (issue 8.2: "a missing EOI after complete scans"); otherwise part of the picture is gone
 * and the file is truncated. Completeness is decided for sequential Huffman frames (SOF0/SOF1,
 * what cameras write); for other processes it cannot be checked here, so the file stays truncated.
 */
function requireCompleteLastScan(bytes: Uint8Array, pieces: readonly Piece[], frame: Piece | undefined): void {
  const cut = new DeidError('truncated', `JPEG: ends at ${bytes.length} inside its last scan, without EOI, before the image is complete`);
  if (!frame || (frame.marker !== SOF_BASELINE && frame.marker !== SOF_EXTENDED)) throw cut;
  const tables: Array<HuffmanTable | undefined> = new Array(2 * HUFFMAN_DESTINATIONS);
  let restartInterval = 0;
  let lastScan = -1;
  for (let i = 0; i < pieces.length; i++) if (pieces[i].marker === SOS) lastScan = i;
  for (let i = 0; i < lastScan; i++) {
    const p = pieces[i];
    if (p.marker === DHT) readHuffmanTables(bytes, p, tables);
    else if (p.marker === DRI) restartInterval = restartIntervalOf(bytes, p) ?? restartInterval;
  }
  const sos = pieces[lastScan];
  const data = pieces[lastScan + 1];
  if (!data || data.marker !== 'ecs') throw cut;
  const payload = sos.offset + MARKER_SIZE + LENGTH_SIZE;
  const count = bytes[payload];
  const components: ScanComponent[] = [];
  for (let c = 0; c < count; c++) {
    const at = payload + 1 + 2 * c;
    const dc = tables[bytes[at + 1] >> 4];
    const ac = tables[HUFFMAN_DESTINATIONS + (bytes[at + 1] & 15)];
    if (!dc || !ac) throw cut;
    components.push({ id: bytes[at], dc, ac });
  }
  if (!sequentialScanComplete(bytes, data.offset, data.end, readFrame(bytes, frame.offset), components, restartInterval)) throw cut;
}

/** What a walk without WalkOptions.scanData knows of the scans' extents: nothing. */
const NO_EXTENTS: ReadonlyMap<number, ScanExtent | string> = new Map();
const SOF_PROGRESSIVE = 0xc2;
const SOF_LOSSLESS = 0xc3;
/** T.81 Table B.1: SOF5-7 and SOF13-15 are differential (hierarchical) frames, SOF9-15 arithmetic. */
const DIFFERENTIAL_BIT = 0x04;
const ARITHMETIC_BIT = 0x08;

/** Why a frame's scans are not walked at all (T.81 Table B.1), or null for one that is. */
function unwalkedProcess(marker: number): string | null {
  if (marker === SOF_BASELINE || marker === SOF_EXTENDED || marker === SOF_PROGRESSIVE) return null;
  if (marker & DIFFERENTIAL_BIT) return 'a hierarchical (differential) frame';
  if (marker & ARITHMETIC_BIT) return marker === SOF_LOSSLESS + ARITHMETIC_BIT ? 'an arithmetic-coded lossless frame' : 'an arithmetic-coded frame';
  return 'a lossless frame';
}

/**
 * Bytes inside the entropy-coded data of Huffman DCT scans (SOF0/SOF1 sequential, SOF2
 * progressive) that no MCU uses: after the last MCU of a scan, before the next marker (T.81
 * F.1.2.3: only the 1-bit padding of the last byte follows the coded data), and before an RSTn
 * (B.2.4.4). libjpeg decodes every MCU and skips them ("extraneous bytes before marker"), or says
 * nothing at all after the last MCU of a baseline scan, so a name hidden there survives every
 * decoder. Keyed by the index of the 'ecs' piece: its extent, or why it cannot be computed
 * (incomplete data, missing tables, a DNL frame, a progressive refinement after a scan not
 * judged, other coding processes). Such a scan is a finding of its own (judge): a scan this
 * walk cannot judge would otherwise pass as checked, and a name hidden in an arithmetic-coded
 * file would pass every --scan-data verify.
 */
function scanExtents(bytes: Uint8Array, pieces: readonly Piece[], frame: Piece | undefined): Map<number, ScanExtent | string> {
  const extents = new Map<number, ScanExtent | string>();
  const unjudged = (why: string): Map<number, ScanExtent | string> => {
    pieces.forEach((p, i) => { if (p.marker === 'ecs') extents.set(i, why); });
    return extents;
  };
  if (!frame) return unjudged('no frame header');
  const process = unwalkedProcess(frame.marker as number);
  if (process) return unjudged(`scan data of ${process}`);
  const header = readFrame(bytes, frame.offset);
  if (header.height === 0) return unjudged('scan data of a frame whose height a DNL segment gives');
  if (header.width === 0) return unjudged('scan data of a frame of width 0');
  // G.1.2.3: refinement scans depend on what every earlier scan of the frame decoded.
  const progressive = frame.marker === SOF_PROGRESSIVE ? new ProgressiveScans(header) : null;
  const tables: Array<HuffmanTable | undefined> = new Array(2 * HUFFMAN_DESTINATIONS);
  let restartInterval = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (p.marker === DHT) {
      readHuffmanTables(bytes, p, tables);
    } else if (p.marker === DRI) {
      restartInterval = restartIntervalOf(bytes, p) ?? restartInterval;
    } else if (p.marker === SOS) {
      const data = pieces[i + 1]?.marker === 'ecs' ? pieces[i + 1] : null;
      const payload = p.offset + MARKER_SIZE + LENGTH_SIZE;
      const count = bytes[payload];
      const tail = payload + 1 + 2 * count;
      const fits = tail + SOS_TAIL <= p.end;
      if (progressive) {
        // B.2.3: Cs, Td/Ta per component, then Ss, Se, Ah/Al. A scan with no coded data (or a
        // header too short) is still walked, so that what it leaves unknown stays unknown.
        const components = [];
        for (let c = 0; c < count && fits; c++) {
          const at = payload + 1 + 2 * c;
          components.push({ id: bytes[at], dc: tables[bytes[at + 1] >> 4], ac: tables[HUFFMAN_DESTINATIONS + (bytes[at + 1] & 15)] });
        }
        const scan = { components, ss: bytes[tail], se: bytes[tail + 1], ah: bytes[tail + 2] >> 4, al: bytes[tail + 2] & 15 };
        const from = data ? data.offset : p.end;
        const extent = progressive.extent(bytes, from, data ? data.end : from, scan, restartInterval);
        if (data) extents.set(i + 1, extent ?? `progressive scan data that ${progressive.whyNot}`);
        continue;
      }
      if (!data) continue;
      if (payload + 1 + 2 * count > p.end) {
        extents.set(i + 1, 'scan data after a scan header too short for its components');
        continue;
      }
      const components: ScanComponent[] = [];
      for (let c = 0; c < count; c++) {
        const at = payload + 1 + 2 * c;
        const dc = tables[bytes[at + 1] >> 4];
        const ac = tables[HUFFMAN_DESTINATIONS + (bytes[at + 1] & 15)];
        if (dc && ac) components.push({ id: bytes[at], dc, ac });
      }
      if (components.length !== count) {
        extents.set(i + 1, 'scan data coded with a Huffman table no DHT segment defines');
        continue;
      }
      const extent = sequentialScanUse(bytes, data.offset, data.end, header, components, restartInterval);
      extents.set(i + 1, extent);
    }
  }
  return extents;
}

/** The entropy-coded data without its unused bytes. */
function withoutSlack(bytes: Uint8Array, piece: Piece, extent: ScanExtent): Uint8Array {
  const kept: Uint8Array[] = [];
  let from = piece.offset;
  for (const [s, e] of extent.slack) {
    kept.push(bytes.subarray(from, s));
    from = e;
  }
  kept.push(bytes.subarray(from, extent.end));
  return joinBytes(kept);
}

function unusedDri(j: Judged): void {
  const where = `DRI @ ${j.piece.offset}`;
  j.verdict = { name: 'DRI', findings: [...j.verdict.findings, finding('unknown-segment', where, 'DRI segment no scan uses')], action: 'drop' };
}

const MISSING_EOI: Finding = { kind: 'unknown-segment', where: 'end of file', detail: 'no EOI: the file ends inside the scan data' };

function walkJpeg(bytes: Uint8Array, options: WalkOptions = {}): Part[] {
  const { judged, eoiMissing } = judge(bytes, options);
  const parts: Part[] = [];
  for (const { piece, verdict } of judged) {
    const length = piece.end - piece.offset;
    if (verdict.findings.length === 0) {
      parts.push({ name: verdict.name, offset: piece.offset, length, finding: null });
    }
    for (const f of verdict.findings) parts.push({ name: verdict.name, offset: piece.offset, length, finding: f });
  }
  if (eoiMissing) parts.push({ name: 'EOI', offset: bytes.length, length: 0, finding: MISSING_EOI });
  // The verdict and the strip agree by construction: a file with no finding is exactly what
  // strip writes (a rule that changes bytes without saying why is caught here).
  if (parts.every((p) => p.finding === null) && judged.every((j) => j.verdict.action !== 'refuse')) {
    if (!joinsTo(outputOf(bytes, judged, eoiMissing).chunks, bytes)) parts.push({ name: 'file', offset: 0, length: bytes.length, finding: finding('unknown-segment', 'file', 'not in the canonical form strip writes') });
  }
  return parts;
}

/** An APP1 "Exif\0\0" segment holding only IFD0 Orientation. */
function orientationSegment(orientation: number): Uint8Array {
  const tiff = minimalOrientationExif(orientation);
  const segmentLength = LENGTH_SIZE + EXIF_HEADER + tiff.length;
  const out = new Uint8Array(MARKER_SIZE + segmentLength);
  out.set([MARKER, APP1, segmentLength >> 8, segmentLength & 0xff]);
  out.set(SIG_EXIF, MARKER_SIZE + LENGTH_SIZE);
  out.set(tiff, MARKER_SIZE + LENGTH_SIZE + EXIF_HEADER);
  return out;
}

/** What strip writes, as pieces in order (kept segments are views of `bytes`), with its record. */
function outputOf(bytes: Uint8Array, judged: readonly Judged[], eoiMissing: boolean): { chunks: Uint8Array[]; removed: Set<FindingKind>; notes: string[] } {
  const removed = new Set<FindingKind>();
  const notes: string[] = [];
  const firstExif = judged.find((j) => j.verdict.name === 'APP1 Exif');
  const orientation = firstExif?.verdict.exif?.orientation ?? null;
  const keepOrientation = orientation !== null && orientation !== ORIENTATION_AS_STORED;

  // EXIF goes right after SOI, or after a leading JFIF APP0 (JFIF 1.02 wants APP0 first).
  const leadingJfif = judged[1]?.verdict.name === 'APP0 JFIF' && judged[1].verdict.action !== 'drop';
  const orientationSlot = leadingJfif ? 1 : 0;
  const chunks: Uint8Array[] = [];
  judged.forEach(({ piece, verdict }, index) => {
    for (const f of verdict.findings) removed.add(f.kind);
    if (verdict.note) notes.push(verdict.note);
    if (verdict.action === 'keep') chunks.push(bytes.subarray(piece.offset, piece.end));
    if (verdict.action === 'rewrite' && verdict.replacement) chunks.push(verdict.replacement);
    if (index === orientationSlot && keepOrientation && orientation !== null) chunks.push(orientationSegment(orientation));
  });
  if (keepOrientation) notes.push(`kept Orientation ${orientation} in a minimal EXIF`);
  const tail = judged[judged.length - 1];
  if (tail.piece.marker === 'trailer') notes.push(`dropped ${tail.piece.end - tail.piece.offset} bytes after EOI`);
  if (eoiMissing) {
    // T.81 B.2.1: a compressed image ends with EOI. libjpeg shows a file cut off after its scans
    // as if EOI followed; writing it makes that explicit and changes no pixel.
    chunks.push(new Uint8Array([MARKER, EOI]));
    removed.add(MISSING_EOI.kind);
    notes.push('wrote the missing EOI at the end of the scan data');
  }
  return { chunks, removed, notes };
}

function assemble(bytes: Uint8Array, judged: readonly Judged[], eoiMissing: boolean): StripResult {
  const { chunks, removed, notes } = outputOf(bytes, judged, eoiMissing);
  return { bytes: joinBytes(chunks), removed: [...removed].sort(), notes };
}

function stripJpeg(bytes: Uint8Array, options: WalkOptions = {}): StripResult {
  const { judged, eoiMissing } = judge(bytes, options);
  const refused = judged.find((j) => j.verdict.action === 'refuse');
  if (refused) {
    throw new DeidError('not-clean', `JPEG: ${refused.verdict.name} @ ${refused.piece.offset} cannot be read, and decoders need it`);
  }
  const conversion = judged.find((j) => j.verdict.needsConversion);
  if (conversion) throw new DeidError('needs-conversion', `JPEG: ${conversion.verdict.needsConversion}`);
  // Copying scan data that may hide bytes would write the file out as clean: only its decoded
  // pixels can be (the CLI re-encodes them, strip-file.ts).
  const unchecked = judged.find((j) => j.verdict.unchecked);
  if (unchecked) throw new DeidError('unsupported', `JPEG: ${unchecked.verdict.unchecked}, so it cannot be copied as clean (--scan-data)`);
  return assemble(bytes, judged, eoiMissing);
}

function detectJpeg(bytes: Uint8Array): ImageFormat | null {
  return bytes.length >= 3 && bytes[0] === MARKER && bytes[1] === SOI && bytes[2] === MARKER ? 'jpeg' : null;
}

export const jpegFormat: ContainerFormat = {
  formats: ['jpeg'],
  detect: detectJpeg,
  walk: walkJpeg,
  strip: stripJpeg,
};
