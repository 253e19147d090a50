/**
 * A bounds-checked walker over TIFF Image File Directories (TIFF 6.0 section 2, "Image File
 * Directory"), shared by every container that embeds a TIFF structure:
 * JPEG APP1 "Exif\0\0" payloads, WebP `EXIF` chunks, HEIF `Exif` items, and the Exif/GPS trees
 * a whole TIFF file points to (the file itself is walked by tiff-pages.ts).
 *
 * It never returns values, only which kinds of metadata are present, and it is linear in the size
 * of the block: every IFD offset is visited once (a revisit is a cycle and throws) and the total
 * number of entries read is capped by what could fit in the block without overlap.
 */
import { DeidError, isDeidError } from '../errors';
import { BYTE_ORDER_BIG, CLASSIC, CLASSIC_MAGIC, CLASSIC_TYPE_SIZES, TiffReader, TYPE, type RawEntry, type RawIfd } from './tiff-layout';
import type { Finding, FindingKind } from './types';

export const TIFF_HEADER_SIZE = CLASSIC.header;
const IFD_COUNT_SIZE = CLASSIC.countField;
const IFD_ENTRY_SIZE = CLASSIC.entry;
const IFD_NEXT_SIZE = CLASSIC.nextField;

/** Tag numbers the walker acts on (TIFF 6.0 appendix A, EXIF 2.32 section 4.6, Adobe notes). */
export const TAG = {
  newSubfileType: 0x00fe,
  documentName: 0x010d,
  imageDescription: 0x010e,
  make: 0x010f,
  model: 0x0110,
  orientation: 0x0112,
  pageName: 0x011d,
  software: 0x0131,
  dateTime: 0x0132,
  artist: 0x013b,
  hostComputer: 0x013c,
  subIfds: 0x014a,
  jpegInterchangeFormat: 0x0201,
  xmp: 0x02bc,
  copyright: 0x8298,
  iptc: 0x83bb,
  photoshopIrb: 0x8649,
  exifIfd: 0x8769,
  icc: 0x8773,
  gpsIfd: 0x8825,
  makerNote: 0x927c,
  imageSourceData: 0x935c,
  interopIfd: 0xa005,
  printIm: 0xc4a5,
} as const;

/** Offset/byte-count tag pairs locating image data: strips, tiles, old-style JPEG (TIFF 6.0). */
const DATA_POINTER_TAGS: ReadonlyArray<readonly [number, number]> = [[0x0111, 0x0117], [0x0144, 0x0145], [0x0201, 0x0202]];
const DATA_POINTER_TAG_SET: ReadonlySet<number> = new Set(DATA_POINTER_TAGS.flat());

/** Tags at or above this number are private (TIFF 6.0 section 2, "Private Tags"). */
const FIRST_PRIVATE_TAG = 32768;
/** Orientation values of TIFF 6.0 / EXIF: 1 is "as stored", 2..8 flip and rotate. */
const ORIENTATION_MIN = 1;
const ORIENTATION_MAX = 8;

/** What an EXIF block reveals, as the caller reports it. */
export interface ExifScan {
  findings: Finding[];
  /** IFD0 Orientation (1..8) when present and well formed, else null. */
  orientation: number | null;
  /** The block is exactly a minimal orientation block (see minimalOrientationExif): clean. */
  onlyOrientation: boolean;
}

/**
 * An EXIF-style TIFF structure, read with tiff-layout's classic reader (one IFD reader for the
 * whole core), plus the byte ranges its directories account for: IFDs, out-of-line values, image
 * data. Every read is bounds-checked and throws DeidError, never RangeError.
 */
class IfdReader {
  /** Byte ranges [start, end) some directory accounts for: IFDs, out-of-line values, image data. */
  readonly referenced: Array<[number, number]> = [];

  constructor(readonly tiff: TiffReader) {}

  get where(): string {
    return this.tiff.where;
  }

  /** Reads the IFD at `offset`; a second visit of one offset is a cycle. */
  readIfd(offset: number, name: string): RawIfd {
    const ifd = this.tiff.readIfd(offset, name);
    this.referenced.push([offset, offset + ifd.byteLength]);
    for (const e of ifd.entries) if (e.byteLength !== null && !e.inline) this.referenced.push([e.valueOffset, e.valueOffset + e.byteLength]);
    this.referenceImageData(ifd.entries);
    return ifd;
  }

  /** Records the strips, tiles and old-style JPEG stream an IFD points to (TIFF 6.0 sections 3, 15, 22). */
  private referenceImageData(entries: readonly RawEntry[]): void {
    // One pass over the directory (the first entry of a tag counts, as a find would give).
    let pointerEntries: Map<number, RawEntry> | null = null;
    for (const e of entries) {
      if (!DATA_POINTER_TAG_SET.has(e.tag)) continue;
      pointerEntries ??= new Map();
      if (!pointerEntries.has(e.tag)) pointerEntries.set(e.tag, e);
    }
    if (pointerEntries === null) return;
    for (const [offsetsTag, countsTag] of DATA_POINTER_TAGS) {
      const offsets = pointerEntries.get(offsetsTag);
      const counts = pointerEntries.get(countsTag);
      if (!offsets || !counts) continue;
      const starts = this.integers(offsets);
      const lengths = this.integers(counts);
      for (let i = 0; i < Math.min(starts.length, lengths.length); i++) this.referenced.push([starts[i], starts[i] + lengths[i]]);
    }
  }

  /** The SHORT or LONG values of an entry; [] when it has another type or points outside the bytes. */
  private integers(entry: RawEntry): number[] {
    if ((entry.type !== TYPE.SHORT && entry.type !== TYPE.LONG) || entry.byteLength === null) return [];
    if (entry.valueOffset + entry.byteLength > this.tiff.bytes.length) return [];
    return this.tiff.integers(entry);
  }

  /** The IFD offsets a pointer tag holds (LONG or IFD type); [] for a pointer of the wrong type. */
  pointers(entry: RawEntry): number[] {
    if ((entry.type !== TYPE.LONG && entry.type !== TYPE.IFD) || entry.byteLength === null) return [];
    return this.tiff.integers(entry);
  }

  /** A single SHORT value, or null when the entry is not one. */
  short(entry: RawEntry): number | null {
    if (entry.type !== TYPE.SHORT || entry.count !== 1) return null;
    return this.tiff.u16(entry.valueOffset);
  }
}

/** Opens an EXIF block: classic TIFF only (BigTIFF is refused as unsupported). */
function openTiff(bytes: Uint8Array, where: string): { reader: IfdReader; ifd0: number } {
  const tiff = new TiffReader(bytes, { where, typeSizes: CLASSIC_TYPE_SIZES, classicOnly: true });
  return { reader: new IfdReader(tiff), ifd0: tiff.first };
}

/**
 * How the `exif` finding of a block this walker read tag by tag begins: scan.ts leaves the TIFF
 * blocks to the walk alone where it finds one (exifr would only repeat these labels).
 */
export const EXIF_TAGS_NAMED = 'EXIF tags: ';

/** What a metadata tag reveals, for details ("camera make/model, dates"). Never values. */
const TAG_LABELS: Readonly<Record<number, string>> = {
  [TAG.make]: 'camera make/model',
  [TAG.model]: 'camera make/model',
  0xa433: 'lens make/model',
  0xa434: 'lens make/model',
  [TAG.dateTime]: 'dates',
  0x9003: 'dates',
  0x9004: 'dates',
  0x9010: 'dates',
  0x9011: 'dates',
  0x9012: 'dates',
  0x9290: 'dates',
  0x9291: 'dates',
  0x9292: 'dates',
  [TAG.software]: 'software',
  [TAG.hostComputer]: 'host computer name',
  [TAG.artist]: 'artist name',
  [TAG.copyright]: 'copyright holder',
  0xa430: 'camera owner name',
  0xa431: 'camera serial number',
  0xa435: 'lens serial number',
  0xa420: 'image unique id',
  [TAG.imageDescription]: 'image description',
  0x9286: 'user comment',
  0x9c9b: 'Windows title/comment/author/keywords',
  0x9c9c: 'Windows title/comment/author/keywords',
  0x9c9d: 'Windows title/comment/author/keywords',
  0x9c9e: 'Windows title/comment/author/keywords',
  0x9c9f: 'Windows title/comment/author/keywords',
  [TAG.documentName]: 'document name',
  [TAG.pageName]: 'page name',
  [TAG.printIm]: 'PrintIM printing data',
};

/** Tags holding a whole foreign metadata block: they get a finding of their own kind. */
const EMBEDDED_BLOCKS: Readonly<Record<number, { kind: FindingKind; detail: string }>> = {
  [TAG.makerNote]: { kind: 'makernote', detail: 'camera MakerNote (vendor data: serial numbers, settings, sometimes previews)' },
  [TAG.xmp]: { kind: 'xmp', detail: 'XMP packet (tag 700)' },
  [TAG.iptc]: { kind: 'iptc', detail: 'IPTC record (tag 33723)' },
  [TAG.photoshopIrb]: { kind: 'photoshop-irb', detail: 'Photoshop image resources (tag 34377)' },
  [TAG.icc]: { kind: 'icc', detail: 'ICC colour profile (tag 34675; description, dates)' },
  [TAG.imageSourceData]: { kind: 'layers', detail: 'Photoshop layer data (ImageSourceData, tag 37724): the unflattened original' },
  [TAG.jpegInterchangeFormat]: { kind: 'thumbnail', detail: 'embedded JPEG thumbnail (JPEGInterchangeFormat)' },
};

function hex(tag: number): string {
  return `0x${tag.toString(16).padStart(4, '0')}`;
}

/** Collects what an EXIF-style IFD tree reveals: labels for the `exif` detail, other findings. */
class ExifCollector {
  readonly labels = new Set<string>();
  readonly findings: Finding[] = [];
  orientation: number | null = null;

  constructor(private readonly reader: IfdReader) {}

  /** Walks one directory (and the sub-IFDs it points to). `mainImage` is IFD0 of the block. */
  directory(ifd: RawIfd, name: string, mainImage: boolean): void {
    const where = this.reader.where;
    // Built only for an entry that gets a finding: most entries only add a label.
    const at = (entry: RawEntry) => `${where} ${name} tag ${hex(entry.tag)}`;
    for (const entry of ifd.entries) {
      const block = EMBEDDED_BLOCKS[entry.tag];
      if (block) {
        this.findings.push({ kind: block.kind, where: at(entry), detail: block.detail });
        continue;
      }
      switch (entry.tag) {
        case TAG.orientation: {
          const value = this.reader.short(entry);
          if (mainImage && value !== null && value >= ORIENTATION_MIN && value <= ORIENTATION_MAX) {
            this.orientation = value;
          }
          break;
        }
        case TAG.exifIfd:
          for (const p of this.reader.pointers(entry)) this.directory(this.reader.readIfd(p, 'ExifIFD'), 'ExifIFD', false);
          break;
        case TAG.interopIfd:
          for (const p of this.reader.pointers(entry)) this.directory(this.reader.readIfd(p, 'InteropIFD'), 'InteropIFD', false);
          this.labels.add('interoperability tags');
          break;
        case TAG.gpsIfd: {
          const pointers = this.reader.pointers(entry);
          // The GPS IFD is read for validity only; its tags are all location or time.
          let tags = 0;
          for (const p of pointers) tags += this.reader.readIfd(p, 'GPS IFD').entries.length;
          this.findings.push({ kind: 'gps', where: at(entry), detail: `GPS IFD (${tags} GPS tags: coordinates, time, direction)` });
          break;
        }
        case TAG.subIfds: {
          const pointers = this.reader.pointers(entry);
          for (const p of pointers) this.directory(this.reader.readIfd(p, 'SubIFD'), 'SubIFD', false);
          this.findings.push({ kind: 'thumbnail', where: at(entry), detail: `${pointers.length} SubIFD image(s) (previews or alternate resolutions)` });
          break;
        }
        default:
          this.labels.add(TAG_LABELS[entry.tag] ?? (name === 'IFD0' ? 'image tags' : 'camera settings'));
      }
    }
  }
}

/** Exactly 26 bytes, IFD0 right after the header, zero value padding: nothing else can hide in it. */
const MINIMAL_BLOCK_SIZE = TIFF_HEADER_SIZE + IFD_COUNT_SIZE + IFD_ENTRY_SIZE + IFD_NEXT_SIZE;
const MINIMAL_VALUE_PADDING = TIFF_HEADER_SIZE + IFD_COUNT_SIZE + 8 + 2;

function isMinimalLayout(tiff: Uint8Array, ifd0Offset: number): boolean {
  return tiff.length === MINIMAL_BLOCK_SIZE && ifd0Offset === TIFF_HEADER_SIZE
    && tiff[MINIMAL_VALUE_PADDING] === 0 && tiff[MINIMAL_VALUE_PADDING + 1] === 0;
}

/**
 * Scans an EXIF block (a TIFF structure: the APP1 payload after "Exif\0\0", a WebP EXIF chunk,
 * a HEIF Exif item after its offset prefix). One `exif` finding for the block, plus one finding
 * per embedded kind (gps, makernote, thumbnail, xmp, iptc, photoshop-irb, icc, layers).
 * A minimal orientation-only block (see minimalOrientationExif; exactly that layout, in either
 * byte order) gives no finding.
 * Throws DeidError('malformed' | 'truncated' | 'unsupported') only.
 */
export function scanExif(tiff: Uint8Array, where: string): ExifScan {
  const { reader, ifd0: ifd0Offset } = openTiff(tiff, where);
  if (ifd0Offset === 0) {
    return { findings: [{ kind: 'exif', where, detail: 'EXIF header without directories' }], orientation: null, onlyOrientation: false };
  }
  const ifd0 = reader.readIfd(ifd0Offset, 'IFD0');
  const collector = new ExifCollector(reader);
  collector.directory(ifd0, 'IFD0', true);
  const onlyOrientation = isMinimalLayout(tiff, ifd0Offset) && ifd0.next === 0 && ifd0.entries.length === 1
    && ifd0.entries[0].tag === TAG.orientation && collector.orientation !== null;
  if (onlyOrientation) return { findings: [], orientation: collector.orientation, onlyOrientation };

  const chained: Finding[] = [];
  let next = ifd0.next;
  for (let index = 1; next !== 0; index++) {
    const name = `IFD${index}`;
    const ifd = reader.readIfd(next, name);
    collector.directory(ifd, name, false);
    chained.push(index === 1
      ? { kind: 'thumbnail', where: `${where} IFD1`, detail: 'IFD1 thumbnail image (an unredacted preview)' }
      : { kind: 'unknown-segment', where: `${where} ${name}`, detail: `extra image directory ${name} in the EXIF block` });
    next = ifd.next;
  }
  const labels = [...collector.labels];
  const exifFinding: Finding = {
    kind: 'exif',
    where: `${where} IFD0`,
    detail: labels.length > 0 ? `${EXIF_TAGS_NAMED}${labels.join(', ')}` : 'EXIF block',
  };
  return { findings: [exifFinding, ...collector.findings, ...chained], orientation: collector.orientation, onlyOrientation: false };
}

/** scanExif for containers that carry EXIF as one block: a damaged block is a finding, not a failure of the whole file. */
export function tryScanExif(tiff: Uint8Array, where: string): ExifScan | DeidError {
  try {
    return scanExif(tiff, where);
  } catch (e) {
    if (isDeidError(e)) return e;
    throw e;
  }
}

/**
 * What an EXIF block reveals, for the walks of PNG eXIf and WebP EXIF: its findings, [] for the
 * minimal Orientation-only block strip writes back (clean by design), or one `exif` finding
 * when it cannot be read.
 */
export function exifBlockFindings(scan: ExifScan | DeidError, where: string): Finding[] {
  if (isDeidError(scan)) return [{ kind: 'exif', where, detail: `EXIF block (unreadable: ${scan.code})` }];
  if (scan.onlyOrientation) return [];
  return scan.findings.length > 0 ? scan.findings : [{ kind: 'exif', where, detail: 'EXIF block' }];
}

/**
 * A 26-byte big-endian TIFF block whose IFD0 holds only Orientation: what strip writes to keep a
 * photo's rotation without any other EXIF. scanExif reports this block as clean.
 */
export function minimalOrientationExif(orientation: number): Uint8Array {
  if (!Number.isInteger(orientation) || orientation < ORIENTATION_MIN || orientation > ORIENTATION_MAX) {
    throw new DeidError('usage', `orientation must be an integer 1..8, not ${orientation}`);
  }
  const out = new Uint8Array(MINIMAL_BLOCK_SIZE);
  const view = new DataView(out.buffer);
  view.setUint16(0, BYTE_ORDER_BIG);
  view.setUint16(2, CLASSIC_MAGIC);
  view.setUint32(4, TIFF_HEADER_SIZE);
  view.setUint16(8, 1);
  view.setUint16(10, TAG.orientation);
  view.setUint16(12, TYPE.SHORT);
  view.setUint32(14, 1);
  view.setUint16(18, orientation);
  // Bytes 20..25 are the value padding and the zero next-IFD offset.
  return out;
}

/** Where the findings of a whole-file walk name a tag: "IFD0 tag 0x010d". */
export function hexTag(tag: number): string {
  return hex(tag);
}

/**
 * What a tag outside the image-structure allowlist of a TIFF FILE reveals, as a finding kind and
 * a detail naming the kind of content (never its value).
 */
export function describeFileTag(tag: number): { kind: FindingKind; detail: string } {
  const block = EMBEDDED_BLOCKS[tag];
  if (block) return block;
  if (TAG_LABELS[tag] !== undefined) return { kind: 'exif', detail: `${TAG_LABELS[tag]} (tag ${tag})` };
  if (tag >= FIRST_PRIVATE_TAG) return { kind: 'unknown-segment', detail: `private tag ${tag} (not on the image-structure allowlist)` };
  return { kind: 'unknown-segment', detail: `tag ${tag} (not on the image-structure allowlist)` };
}

/** One pointer entry (ExifIFD, GPS, Interop, SubIFDs) of a classic TIFF file's directory. */
export interface PointerEntry {
  tag: number;
  type: number;
  count: number;
  valueOffset: number;
}

/**
 * A scanner for the directory trees IFD0-style pointer tags (ExifIFD, GPS, SubIFDs) of one
 * classic TIFF file lead to, read with the EXIF walker. One reader serves the whole file, so a
 * tree is read once however many pages point to it (a second visit is a cycle), keeping the walk
 * linear. Each call gives the findings and the byte ranges of one pointer's tree; a tree that
 * cannot be read is one finding of the pointer's own kind (strip drops it either way).
 */
export function pointerTreeScanner(bytes: Uint8Array): (pointer: PointerEntry, where: string) => { findings: Finding[]; ranges: Array<[number, number]> } {
  const reader = openTiff(bytes, 'TIFF').reader;
  return (pointer, where) => {
    const size = CLASSIC_TYPE_SIZES[pointer.type];
    const byteLength = size === undefined ? null : size * pointer.count;
    const entry: RawEntry = {
      tag: pointer.tag, type: pointer.type, count: pointer.count, entryOffset: 0, valueOffset: pointer.valueOffset,
      byteLength, inline: byteLength !== null && byteLength <= CLASSIC.slot,
    };
    const collector = new ExifCollector(reader);
    const own: FindingKind = pointer.tag === TAG.gpsIfd ? 'gps' : pointer.tag === TAG.subIfds ? 'thumbnail' : 'exif';
    const seen = reader.referenced.length;
    try {
      collector.directory({ offset: 0, byteLength: 0, entries: [entry], next: 0 }, where, false);
    } catch (e) {
      if (!isDeidError(e)) throw e;
      return { findings: [{ kind: own, where: `TIFF ${where} tag ${hex(pointer.tag)}`, detail: `directory tree (unreadable: ${e.code})` }], ranges: reader.referenced.slice(seen) };
    }
    const labels = [...collector.labels];
    const findings: Finding[] = pointer.tag === TAG.exifIfd || pointer.tag === TAG.interopIfd
      ? [{ kind: 'exif', where: `TIFF ${where} tag ${hex(pointer.tag)}`, detail: `Exif IFD${labels.length > 0 ? `: ${labels.join(', ')}` : ''}` }]
      : [];
    return { findings: [...findings, ...collector.findings], ranges: reader.referenced.slice(seen) };
  };
}
