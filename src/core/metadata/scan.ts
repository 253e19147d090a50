import { plainBytes } from '../bytes';
import { DeidError } from '../errors';
import { detectContainer } from './registry';
import { exifrFollowsWalk, exifrMayRead, jpegHeaderDetails, readableDetails } from './readable';
import { EXIF_TAGS_NAMED } from './tiff-ifd';
import type { Finding, FindingKind, ImageFormat, Part, StripResult, WalkOptions } from './types';

export interface ScanReport {
  format: ImageFormat;
  findings: Finding[];
  parts: Part[];
}

export interface StripOutcome extends StripResult {
  format: ImageFormat;
}

function requireContainer(bytes: Uint8Array) {
  const detected = detectContainer(bytes);
  if (!detected) {
    throw new DeidError('unsupported', 'not a JPEG, PNG, WebP, TIFF, HEIF or AVIF file (unrecognised signature)');
  }
  return detected;
}

/** Structural allowlist walk only (synchronous, no exifr): what the stripper and the panel use. */
export function scanStructure(input: Uint8Array, options: WalkOptions = {}): ScanReport {
  const bytes = plainBytes(input);
  const { format, container } = requireContainer(bytes);
  const parts = container.walk(bytes, options);
  const findings = parts.flatMap((p) => (p.finding ? [p.finding] : []));
  return { format, findings, parts };
}

/**
 * The full scan: the structural walk (completeness) plus exifr's reading of identifying fields
 * (detail). A field exifr decodes whose kind the walk missed is reported as a finding of its own,
 * so a gap in one reader is covered by the other.
 *
 * A file the walk finds clean is read by exifr whole: a second opinion on the verdict. On a file
 * the walk has already failed exifr only adds detail, so it is asked only where it can add some:
 * - not the TIFF-structured blocks (EXIF, GPS, thumbnail directories) when the file's only EXIF
 *   block was read by the walk tag by tag and named ("EXIF tags: dates, artist name, ...");
 * - not at all when every other flagged part is one exifr never decodes (exifrMayRead: a JPEG's
 *   APP2 MPF, APP3, COM, trailer...);
 * - not at all in a JPEG where all that is left is XMP and IPTC in segments the walk found: their
 *   field names are read by jpegHeaderDetails, which names what exifr names (tests hold it to
 *   exifr) at a tenth of the cost, an eighth of `deid verify` over camera JPEGs (issue 12), or
 *   gives way to exifr on a packet or segment order it cannot answer for exactly.
 * A file whose EXIF block the walk could not read, or with two EXIF blocks, is read whole.
 */
export async function scanMetadata(bytes: Uint8Array, options: WalkOptions = {}): Promise<ScanReport> {
  const report = scanStructure(bytes, options);
  // One EXIF block, read by the walk: exifr reads only the first block it finds, so with two it
  // may read one the walk could not (each block gives one `exif` finding in these walks).
  const exif = report.parts.filter((p) => p.finding?.kind === 'exif');
  const tiffNamed = exif.length === 1 && exif[0].finding!.detail.startsWith(EXIF_TAGS_NAMED);
  let read = bytes;
  if (report.findings.length > 0) {
    const flagged = report.parts.filter((p) => p.finding !== null && !(tiffNamed && p.offset === exif[0].offset));
    if (!exifrMayRead(report.format, report.parts, flagged)) return report;
    // Only XMP and IPTC left for exifr to name, in segments the walk has found: read their field
    // names here instead (readable.ts jpegHeaderDetails).
    const tiffLeft = !tiffNamed && report.parts.some((p) => p.name === 'APP1 Exif');
    const header = report.format === 'jpeg' && !tiffLeft && exifrFollowsWalk(report.parts) ? jpegHeaderDetails(bytes, report.parts) : null;
    if (header !== null) return { ...report, findings: mergeReadable(report.findings, header) };
    read = detailRange(report, bytes);
  }
  const readable = await readableDetails(read, { skipTiffBlocks: tiffNamed });
  return { ...report, findings: mergeReadable(report.findings, readable) };
}

/**
 * What exifr is given when it only adds detail to a file the walk has failed. A JPEG: the bytes
 * up to the end of the first SOS header, where exifr stops reading segments (exifr 7.1.3
 * src/file-parsers/jpeg.mjs findAppSegmentsInRange: `stopAfterSos`, on by default), so the scan
 * data, most of a camera file, is not copied for it (readableDetails copies a view). A value an
 * EXIF entry points to past that end goes unread: the walk has already failed the file, and the
 * clean-file second opinion still reads the whole file. Other formats: the whole file.
 */
function detailRange(report: ScanReport, bytes: Uint8Array): Uint8Array {
  if (report.format !== 'jpeg') return bytes;
  const sos = report.parts.find((p) => p.name === 'SOS');
  return sos ? bytes.subarray(0, sos.offset + sos.length) : bytes;
}

/**
 * Findings from exifr alone, for a file the structural walk rejected (issue 8.4): every
 * identifying field exifr can still decode, by kind. Never throws; never "clean" by itself (the
 * caller reports the walk's error beside these).
 */
export async function readableFindings(bytes: Uint8Array): Promise<Finding[]> {
  return mergeReadable([], await readableDetails(bytes, { icc: true }));
}

function mergeReadable(findings: Finding[], readable: Partial<Record<FindingKind, string[]>>): Finding[] {
  const out = findings.map((f) => ({ ...f }));
  for (const [kind, labels] of Object.entries(readable) as Array<[FindingKind, string[]]>) {
    const first = out.find((f) => f.kind === kind);
    const text = `readable: ${labels.join(', ')}`;
    if (first) first.detail = first.detail ? `${first.detail}; ${text}` : text;
    else out.push({ kind, where: 'read by exifr', detail: text });
  }
  return out;
}

/**
 * Lossless strip, then a re-walk of the result: a strip that leaves anything is refused
 * (DeidError 'not-clean'), so a caller never writes bytes that still carry metadata.
 */
export function stripMetadata(input: Uint8Array, options: WalkOptions = {}): StripOutcome {
  const bytes = plainBytes(input);
  const { format, container } = requireContainer(bytes);
  if (!container.strip) {
    throw new DeidError('unsupported', `${format.toUpperCase()} cannot be stripped losslessly; it has to be re-encoded`);
  }
  const result = container.strip(bytes, options);
  const left = container.walk(result.bytes, options).flatMap((p) => (p.finding ? [p.finding] : []));
  if (left.length > 0) {
    const kinds = [...new Set(left.map((f) => f.kind))].join(', ');
    throw new DeidError('not-clean', `stripping left ${kinds} in the ${format.toUpperCase()} file; nothing was written`);
  }
  return { ...result, removed: [...new Set(result.removed)].sort(), format };
}

export function uniqueKinds(findings: readonly Finding[]): FindingKind[] {
  return [...new Set(findings.map((f) => f.kind))].sort();
}
