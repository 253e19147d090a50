import exifr from 'exifr';
import { joinBytes } from '../bytes';
import { iptcDatasets } from './iptc-names';
import type { FindingKind, ImageFormat, Part } from './types';
import { xmpProperties } from './xmp-names';

/**
 * The readable side of a scan: which identifying FIELDS exifr can decode (GPS position, dates,
 * serials, names), so a finding can say "GPS position, capture date" instead of only "EXIF block".
 * Names of fields only: values never leave this function.
 *
 * exifr is a reader, not an auditor (it skips WebP, COM, MPF, APP11, trailers, private PNG chunks:
 * research/deid-threats.md section 2), so completeness comes from the structural walk; this only
 * adds detail, and a field exifr sees that the walk did not flag becomes a finding of its own.
 */
export type ReadableDetails = Partial<Record<FindingKind, string[]>>;

/** exifr output field -> what it reveals. Grouped so details stay short. */
const FIELD_LABELS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['GPS position', ['GPSLatitude', 'GPSLongitude', 'latitude', 'longitude']],
  ['GPS date/time', ['GPSDateStamp', 'GPSTimeStamp']],
  ['GPS location detail', ['GPSAltitude', 'GPSImgDirection', 'GPSDestLatitude', 'GPSDestLongitude', 'GPSAreaInformation']],
  ['dates', ['DateTimeOriginal', 'CreateDate', 'ModifyDate', 'DateTime', 'DateCreated', 'DigitalCreationDate', 'MetadataDate', 'TimeCreated']],
  ['serial or unique id', ['InternalSerialNumber', 'CameraSerialNumber', 'ImageUniqueID', 'ImageNumber']],
  ['person or owner name', ['Artist', 'CameraOwnerName', 'OwnerName', 'Copyright', 'creator', 'Creator', 'By-line', 'Byline', 'rights', 'Rights', 'Credit', 'Contact', 'CopyrightNotice']],
  ['camera make/model', ['Make', 'Model', 'LensModel', 'LensMake']],
  ['editing history/document ids', ['Software', 'CreatorTool', 'History', 'DocumentID', 'OriginalDocumentID', 'InstanceID', 'DerivedFrom', 'DocumentAncestors']],
  ['free text', ['ImageDescription', 'UserComment', 'XPComment', 'XPAuthor', 'XPSubject', 'XPKeywords', 'XPTitle', 'description', 'Description', 'title', 'Title', 'Caption', 'Caption-Abstract', 'Headline', 'Keywords', 'subject', 'Subject']],
  ['place names', ['City', 'Country', 'State', 'Province-State', 'Sub-location', 'Location', 'CountryCode', 'Country-PrimaryLocationName']],
  // ICC profile header and text tags (exifr's icc segment, read only for files the walk rejects).
  ['dates', ['ProfileDateTime', 'CalibrationDateTime']],
  ['device or creator', ['DeviceManufacturer', 'DeviceModel', 'ProfileCreator', 'DeviceMfgDesc', 'DeviceModelDesc']],
  ['free text', ['ProfileDescription', 'ProfileCopyright', 'ViewingCondDesc']],
];

/** Field name -> label: a lookup, not thirteen regular expressions per field (V8 compiles each on first use). */
const LABEL_OF = new Map<string, string>(FIELD_LABELS.flatMap(([label, names]) => names.map((n) => [n, label] as const)));

/** Any serial number field (BodySerialNumber, LensSerialNumber, ...) whatever its prefix. */
const SERIAL_SUFFIX = 'SerialNumber';

const SEGMENT_KIND: Record<string, FindingKind> = {
  ifd0: 'exif',
  exif: 'exif',
  interop: 'exif',
  gps: 'gps',
  ifd1: 'thumbnail',
  xmp: 'xmp',
  iptc: 'iptc',
  icc: 'icc',
};

/** exifr output blocks that are not XMP namespaces (all disabled or mapped above). */
const NON_XMP_SEGMENTS = new Set(['jfif', 'ihdr', 'makerNote', 'userComment', 'errors']);

// exifr's Options type wants its segment blocks as FormatOptions objects; `true` is documented and
// accepted at run time, so the literal is typed by hand (a gap in exifr's typings).
const EXIFR_OPTIONS: Record<string, boolean> = {
  tiff: true,
  ifd0: true,
  exif: true,
  gps: true,
  interop: true,
  ifd1: true,
  xmp: true,
  iptc: true,
  icc: false,
  jfif: false,
  ihdr: false,
  makerNote: false,
  userComment: false,
  mergeOutput: false,
  translateKeys: true,
  translateValues: false,
  reviveValues: false,
  sanitize: true,
  silentErrors: true,
};

/** The TIFF-structured blocks: EXIF, GPS, interoperability and thumbnail directories. */
const NO_TIFF_BLOCKS: Record<string, boolean> = { tiff: false, ifd0: false, exif: false, gps: false, interop: false, ifd1: false };

/**
 * Every options object exifr is ever given, made once: exifr keeps each options object it sees
 * in a Map for ever (Options.useCached, src/options.mjs), so an object built per call grows the
 * heap with every file (bench/scale.js's capped-heap run caught it). [skipTiffBlocks][icc].
 */
const EXIFR_VARIANTS = [EXIFR_OPTIONS, { ...EXIFR_OPTIONS, ...NO_TIFF_BLOCKS }].map((base) => [base, { ...base, icc: true }]);

export interface ReadableScope {
  /** Also the ICC profile's text (for files the walk cannot follow, issue 8.4). */
  icc?: boolean;
  /** Not the TIFF-structured blocks (EXIF, GPS, interoperability, thumbnail directories). */
  skipTiffBlocks?: boolean;
}

/** What a field reveals, or null when it is not one that identifies (exact names; SERIAL_SUFFIX). */
export function labelFor(field: string): string | null {
  return LABEL_OF.get(field) ?? (field.endsWith(SERIAL_SUFFIX) ? 'serial or unique id' : null);
}

/**
 * The segments exifr's JPEG reader (exifr 7.1.3 src/file-parsers/jpeg.mjs, findAppSegmentsInRange)
 * steps over by their length: APP0-APP15 (isAppMarker) and the structure markers of isJpgMarker
 * other than SOS, where it stops. Through any other segment (SOF1, SOF3, DAC...) it reads byte by
 * byte, and a marker-like pair in, say, a frame height sends it off the walk's segment chain into
 * a comment or past the first SOS. A test re-reads both lists from the exifr that is installed.
 */
export const EXIFR_JPEG_STEPS_OVER = ['SOF0', 'SOF2', 'DHT', 'DQT', 'DRI', 'COM'] as const;
const EXIFR_FOLLOWS = new RegExp(`^(SOI|APP\\d+|${EXIFR_JPEG_STEPS_OVER.join('|')})( |$)`);

/**
 * Of those, the ones it never decodes as readableDetails calls it: everything but APP1 (EXIF,
 * XMP) and APP13 (IPTC), since JFIF (APP0) and ICC (APP2) are off. A segment hidden inside one
 * of these is never reached.
 */
const EXIFR_STEPS_OVER = /^(APP(0|[2-9]|1[0-2]|14|15)|COM)( |$)/;

/**
 * Whether exifr could read anything in `flagged` (parts of a file, walked as `parts`) that it
 * would not simply skip. JPEG: not when exifr follows the walk's segment chain up to the first
 * SOS (every segment before it is one exifr steps over by length) and each flagged part is a
 * segment it steps over without decoding, or lies at or after that SOS. Every other format:
 * always (its readers are not mapped part by part here).
 */
export function exifrMayRead(format: ImageFormat, parts: readonly Part[], flagged: readonly Part[]): boolean {
  if (format !== 'jpeg') return true;
  if (!exifrFollowsWalk(parts)) return true;
  const firstScan = firstScanAt(parts);
  return flagged.some((p) => p.offset < firstScan && !EXIFR_STEPS_OVER.test(p.name));
}

/**
 * Whether exifr's JPEG reader moves through the file segment by segment exactly as the walk
 * did, up to the first SOS: then the segments it reads are the walk's parts, and
 * jpegHeaderDetails can read the same ones.
 */
export function exifrFollowsWalk(parts: readonly Part[]): boolean {
  const firstScan = firstScanAt(parts);
  return parts.every((p) => p.offset >= firstScan || EXIFR_FOLLOWS.test(p.name));
}

function firstScanAt(parts: readonly Part[]): number {
  return parts.find((p) => p.name === 'SOS')?.offset ?? Infinity;
}

/**
 * Reads `bytes` with exifr and returns, per finding kind, the labels of identifying fields present.
 * Never throws: a file exifr cannot read simply yields no readable details (the structural walk
 * has already judged it).
 */
export async function readableDetails(bytes: Uint8Array, options: ReadableScope = {}): Promise<ReadableDetails> {
  let output: unknown;
  try {
    // ICC is off by default: the walk judges profiles exactly (icc.ts) and a clean kept profile
    // still has a description exifr would report.
    const exifrOptions = EXIFR_VARIANTS[options.skipTiffBlocks ? 1 : 0][options.icc ? 1 : 0];
    // exifr reads a value through a view bounded by the underlying ArrayBuffer, not by the view
    // it was given (src/util/BufferView.mjs getUint8Array), and does not check EXIF value
    // lengths against the block: in a view of a larger buffer (a kept read buffer, Node's pool)
    // a value running past the file's end would be read from whatever follows. A copy ends there.
    const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
    output = await exifr.parse(exact, exifrOptions as Parameters<typeof exifr.parse>[1]);
  } catch {
    return {};
  }
  const details: ReadableDetails = {};
  if (!output || typeof output !== 'object') return details;
  for (const [segment, fields] of Object.entries(output as Record<string, unknown>)) {
    if (!fields || typeof fields !== 'object') continue;
    const named: string[] = [];
    for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
      // Empty values identify nothing.
      if (value !== undefined && value !== null && value !== '') named.push(field);
    }
    addLabels(details, segment, named);
  }
  return details;
}

/**
 * Adds to `details` the labels of `fields` (names that hold a value) of one block of exifr's
 * output. With mergeOutput off, exifr gives XMP as one block per namespace prefix ("dc",
 * "photoshop", "xmpMM"...) and merges the "tiff" and "exif" prefixes into its ifd0 and exif
 * blocks: every block that is not a TIFF/IPTC/ICC one is XMP.
 */
function addLabels(details: ReadableDetails, segment: string, fields: readonly string[]): void {
  const kind = SEGMENT_KIND[segment] ?? (NON_XMP_SEGMENTS.has(segment) ? undefined : 'xmp');
  if (!kind) return;
  const labels = new Set<string>(details[kind] ?? []);
  for (const field of fields) {
    // Orientation alone is what our strip keeps on purpose.
    if (field === 'Orientation') continue;
    const label = labelFor(field);
    if (label) labels.add(label);
  }
  if (labels.size > 0) details[kind] = [...labels].sort();
}

/** exifr's XMP prefixes that land in its TIFF blocks (src/segment-parsers/xmp.mjs assignToOutput); "xmlns" it drops. */
const XMP_PREFIX_BLOCK: Record<string, string | null> = { tiff: 'ifd0', exif: 'exif', xmlns: null };

const XMP_ANY = ascii('http://ns.adobe.com/');
const XMP_EXTENSION = ascii('http://ns.adobe.com/xmp/extension/');
const PHOTOSHOP = ascii('Photoshop');
/** Where exifr starts reading an XMP segment's text: after "http://ns.adobe.com/xap/1.0/\0", or the 75-byte extended XMP header (GUID, full length, offset). */
const XMP_MAIN_DATA = 29;
const XMP_EXTENSION_DATA = 75;

/**
 * What exifr would say, field names only, about a JPEG the walk has already failed, when exifr
 * would be asked only for XMP and IPTC (its TIFF blocks off, or none in the file) and would move
 * through the file as the walk did (exifrFollowsWalk): the same segments it picks (APP1
 * beginning "http://ns.adobe.com/", APP13 "Photoshop" holding an IPTC resource, before the first
 * SOS), read for names by xmp-names.ts and iptc-names.ts instead of by exifr, at a tenth of the
 * cost. null where this cannot answer exactly as exifr would (a packet xmpProperties leaves to
 * exifr, segments exifr might stop short of): then exifr has to be asked. Tests hold the two to
 * the same answers on every corpus JPEG and on random JPEGs and packets.
 */
export function jpegHeaderDetails(bytes: Uint8Array, parts: readonly Part[]): ReadableDetails | null {
  const details: ReadableDetails = {};
  const xmp: Uint8Array[] = [];
  let extended = false;
  let iptc: number[] | null = null;
  // exifr 7.1.3 jpeg.mjs findAppSegmentsInRange: with its TIFF blocks off it stops looking once
  // it has an IPTC segment and an XMP one (its multiSegment option is off, so any XMP segment
  // settles XMP); what follows it never reads. Where that leaves an XMP or IPTC segment unread,
  // this does not guess (with the TIFF blocks on, there is no stop).
  let stopped = false;
  let iptcSeen = false;
  let xmpSeen = false;
  let previous = -1;
  for (const part of parts) {
    // A segment with two findings is listed twice (APP13: Photoshop resources and IPTC).
    if (part.offset === previous) continue;
    previous = part.offset;
    const marker = bytes[part.offset + 1];
    if (bytes[part.offset] !== 0xff) continue;
    if (marker === 0xda) break;
    const payload = part.offset + 4;
    const end = part.offset + part.length;
    if (marker === 0xe1 && startsWith(bytes, payload, end, XMP_ANY)) {
      if (stopped) return null;
      const isExtension = startsWith(bytes, payload, end, XMP_EXTENSION);
      xmp.push(bytes.subarray(Math.min(end, payload + (isExtension ? XMP_EXTENSION_DATA : XMP_MAIN_DATA)), end));
      if (isExtension) extended = true;
      xmpSeen = true;
    } else if (marker === 0xed && startsWith(bytes, payload, end, PHOTOSHOP)) {
      const datasets = iptcDatasets(bytes, part.offset, end);
      if (datasets === null) continue;
      if (stopped) return null;
      // exifr reads the first IPTC segment only.
      iptc ??= datasets;
      iptcSeen = true;
    }
    stopped = iptcSeen && xmpSeen;
  }
  if (xmp.length > 0) {
    // exifr joins the text of every XMP segment (main and extended) when there is an extended
    // one, each decoded on its own; else it reads the first. A byte past ASCII at a seam could be
    // half a character it decodes as U+FFFD.
    const pieces = extended ? xmp : xmp.slice(0, 1);
    for (let k = 1; k < pieces.length; k++) if ((pieces[k].length > 0 && pieces[k][0] >= 0x80) || (pieces[k - 1].length > 0 && pieces[k - 1][pieces[k - 1].length - 1] >= 0x80)) return null;
    const properties = xmpProperties(pieces.length === 1 ? pieces[0] : joinBytes(pieces));
    if (properties === null) return null;
    const byPrefix = new Map<string, string[]>();
    for (const p of properties) {
      const block = p.prefix in XMP_PREFIX_BLOCK ? XMP_PREFIX_BLOCK[p.prefix] : p.prefix;
      if (block === null) continue;
      const list = byPrefix.get(block) ?? [];
      list.push(p.name);
      byPrefix.set(block, list);
    }
    for (const [block, names] of byPrefix) addLabels(details, block, names);
  }
  if (iptc !== null && iptc.length > 0) {
    const keys = exifr.tagKeys.get('iptc');
    addLabels(details, 'iptc', iptc.map((n) => keys?.get(n) ?? String(n)));
  }
  return details;
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function startsWith(bytes: Uint8Array, at: number, end: number, sig: Uint8Array): boolean {
  if (at + sig.length > end) return false;
  for (let k = 0; k < sig.length; k++) if (bytes[at + k] !== sig[k]) return false;
  return true;
}
