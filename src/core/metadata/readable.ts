import exifr from 'exifr';
import type { FindingKind, ImageFormat, Part } from './types';

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
  const firstScan = parts.find((p) => p.name === 'SOS')?.offset ?? Infinity;
  if (parts.some((p) => p.offset < firstScan && !EXIFR_FOLLOWS.test(p.name))) return true;
  return flagged.some((p) => p.offset < firstScan && !EXIFR_STEPS_OVER.test(p.name));
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
    // With mergeOutput off, exifr gives XMP as one object per namespace prefix ("dc",
    // "photoshop", "xmpMM"...): every segment that is not a TIFF/IPTC/ICC block is XMP.
    const kind = SEGMENT_KIND[segment] ?? (NON_XMP_SEGMENTS.has(segment) ? undefined : 'xmp');
    if (!kind || !fields || typeof fields !== 'object') continue;
    const labels = new Set<string>(details[kind] ?? []);
    for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
      // Orientation alone is what our strip keeps on purpose; empty values identify nothing.
      if (field === 'Orientation' || value === undefined || value === null || value === '') continue;
      const label = labelFor(field);
      if (label) labels.add(label);
    }
    if (labels.size > 0) details[kind] = [...labels].sort();
  }
  return details;
}
