/**
 * HEIF / HEIC / AVIF: ISO/IEC 14496-12 (ISO base media file format) boxes, with the item model of
 * ISO/IEC 23008-12 (HEIF) in the `meta` box and the AV1 Image File Format (AVIF) brands.
 *
 * Scan only: a lossless strip would have to rewrite iinf/iloc/iref/ipma and every offset into
 * mdat, so the CLI re-encodes these files instead (AVIF through sharp) or refuses them (HEIC);
 * `strip` is deliberately absent.
 *
 * The walk is an allowlist: picture items (the primary item, the tiles it is derived from and
 * their alpha planes) and structural boxes are clean; Exif and XMP items, ICC profiles,
 * thumbnails, auxiliary images other than alpha, additional images, unknown items, properties
 * and boxes, image-sequence user data, C2PA `uuid` boxes and bytes after the last box are
 * findings. Every read is bounds-checked, nesting is fixed (moov trees stop at MAX_DEPTH) and
 * every box is visited once, so the walk is linear in the file size.
 */
import { fourcc, u16be as u16, u32be as u32 } from '../bytes';
import { DeidError, isDeidError } from '../errors';
import { scanExif } from './tiff-ifd';
import type { ContainerFormat, Finding, FindingKind, ImageFormat, Part } from './types';

/** ISO/IEC 23008-12 Annex B/C and Apple's brands: HEVC (or generic) image files. */
const HEIF_BRANDS: ReadonlySet<string> = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);
/** Brands that say the major brand alone is HEVC-specific (not the generic mif1/msf1). */
const GENERIC_HEIF_BRANDS: ReadonlySet<string> = new Set(['mif1', 'msf1', 'mif2']);
/** AVIF 1.1 section 9: still image and image sequence brands. */
const AVIF_BRANDS: ReadonlySet<string> = new Set(['avif', 'avis']);

const BOX_HEADER = 8;
const LARGE_BOX_HEADER = 16;
const UUID_SIZE = 16;
/** A FullBox (14496-12 4.2) starts its body with version(1) and flags(3). */
const FULL_BOX_HEADER = 4;
/** ftyp: major brand(4), minor version(4), then compatible brands. */
const FTYP_BRANDS_START = 16;
/** Image sequences nest moov/trak/mdia/minf/...: deeper than this is not a real file. */
const MAX_DEPTH = 8;
/** Strings (item names, content types, aux types) are labels; longer ones are cut for reports. */
const MAX_LABEL = 128;
/** ISO/IEC 23008-12 A.2.1: an Exif item starts with a 4-byte offset to the TIFF header. */
const EXIF_OFFSET_PREFIX = 4;
/** iloc construction_method (14496-12 8.11.3): 0 file offset, 1 offset into idat, 2 item offset. */
const METHOD_FILE = 0;
const METHOD_IDAT = 1;
/** ipma flags bit 0: property indices are 15 bits (else 7), the top bit marks "essential". */
const IPMA_LARGE_INDICES = 1;

/** Item types that are picture data or derive a picture from other items (23008-12 6, AVIF, MIAF). */
const IMAGE_ITEM_TYPES: ReadonlySet<string> = new Set([
  'hvc1', 'hvt1', 'lhv1', 'av01', 'avc1', 'vvc1', 'jpeg', 'j2k1', 'unci', 'grid', 'iden', 'iovl',
]);
/** `meta` children that describe structure only (14496-12 8.11, 23008-12 9). */
const META_STRUCTURE: ReadonlySet<string> = new Set(['hdlr', 'pitm', 'iinf', 'iloc', 'iref', 'iprp', 'idat', 'dinf', 'grpl']);
/** Top-level boxes that carry structure or picture data; free/skip are checked to be empty. */
const TOP_LEVEL_ALLOWED: ReadonlySet<string> = new Set(['ftyp', 'meta', 'moov', 'mdat', 'wide']);
const FREE_SPACE: ReadonlySet<string> = new Set(['free', 'skip']);
/** Containers inside an image sequence's moov that are walked for user data and metadata. */
const MOOV_CONTAINERS: ReadonlySet<string> = new Set(['trak', 'mdia', 'minf', 'edts', 'mvex']);
/** Boxes holding user-level metadata in a movie (14496-12 8.10.1, 8.11.1). */
const MOOV_METADATA: ReadonlySet<string> = new Set(['udta', 'meta']);
/**
 * Item properties that describe how pixels are coded or shown (23008-12 6.5, AVIF, MIAF,
 * 23001-17): numbers only. Anything else (e.g. `udes` user description, `crtt`/`mdft` times)
 * is a finding.
 */
const PROPERTY_ALLOWED: ReadonlySet<string> = new Set([
  'ispe', 'pixi', 'hvcC', 'lhvC', 'av1C', 'avcC', 'vvcC', 'jpgC', 'j2kH', 'uncC', 'cmpd', 'irot', 'imir',
  'clap', 'colr', 'auxC', 'pasp', 'rloc', 'lsel', 'a1op', 'a1lx', 'clli', 'mdcv', 'cclv', 'amve', 'oinf',
  'tols', 'iscl', 'free', 'skip',
]);
/** colr colour types (14496-12 12.1.5): nclx/nclc are numbers; prof/rICC embed an ICC profile. */
const COLOUR_NUMERIC: ReadonlySet<string> = new Set(['nclx', 'nclc']);
const COLOUR_ICC: ReadonlySet<string> = new Set(['prof', 'rICC']);
/** Alpha planes are part of the picture (23008-12 6.5.8, MIAF 7.3.5.1); depth and gain maps are not. */
const ALPHA_AUX_TYPES: ReadonlySet<string> = new Set([
  'urn:mpeg:hevc:2015:auxid:1', 'urn:mpeg:avc:2015:auxid:1', 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha',
]);
/** The XMP MIME type (XMP Specification part 3, 1.1.4). */
const XMP_CONTENT_TYPE = 'application/rdf+xml';
/** C2PA 2.1, 11.3.3: the manifest store in BMFF is a `uuid` box with this user type. */
const C2PA_UUID = 'd8fec3d61b0e483c92975828877c4c4d';




function hex(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

/** Types a finding may name although they hold digits or spaces (the registered ones above). */
const KNOWN_TYPES: ReadonlySet<string> = new Set([...IMAGE_ITEM_TYPES, ...PROPERTY_ALLOWED, ...META_STRUCTURE, ...TOP_LEVEL_ALLOWED, 'Exif', 'mime', 'uri ', 'tmap', 'thmb', 'auxl', 'dimg', 'cdsc']);

/**
 * A box or item type as a finding may name it: four letters (or a registered type) are
 * structure; anything else could be four bytes of a value, so it is described, not repeated.
 */
function label(s: string): string {
  return /^[A-Za-z]{4}$/.test(s) || KNOWN_TYPES.has(s) ? JSON.stringify(s) : 'with a non-letter code';
}

/** MIME content types a finding may name (registered types, no author text). */
const KNOWN_CONTENT_TYPES: ReadonlySet<string> = new Set([
  'application/rdf+xml', 'image/jpeg', 'image/png', 'image/heic', 'image/avif', 'application/octet-stream',
  'application/xml', 'text/xml', 'application/json', 'text/plain', 'application/c2pa', 'application/x-c2pa-manifest-store',
]);

interface Box {
  type: string;
  offset: number;
  /** First byte after the header (and after the uuid user type). */
  body: number;
  end: number;
}

/** A bounds-checked cursor over one box body: any read past `end` is a truncated box. */
class Reader {
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.end) throw new DeidError('truncated', `HEIF: ${this.what} ends inside its own fields at ${this.pos}`);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = u16(this.b, this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = u32(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  /** An unsigned field of 0, 4 or 8 bytes (iloc sizes); 8-byte values lose precision past 2^53. */
  uint(size: number): number {
    if (size === 0) return 0;
    if (size === 4) return this.u32();
    if (size === 8) return this.u32() * 0x100000000 + this.u32();
    throw new DeidError('malformed', `HEIF: ${this.what} field size ${size} is not 0, 4 or 8`);
  }

  fourcc(): string {
    this.need(4);
    const v = fourcc(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  /** A NUL-terminated string (or up to the end of the box); only MAX_LABEL characters are kept. */
  cstring(): string {
    let s = '';
    while (this.pos < this.end && this.b[this.pos] !== 0) {
      if (s.length < MAX_LABEL) s += String.fromCharCode(this.b[this.pos]);
      this.pos++;
    }
    if (this.pos < this.end) this.pos++;
    return s;
  }

  /** FullBox version (flags skipped). */
  version(): number {
    const v = this.u8();
    this.skip(FULL_BOX_HEADER - 1);
    return v;
  }
}

/** Reads one box header at `pos`, inside a parent ending at `end`. */
function readBox(b: Uint8Array, pos: number, end: number): Box {
  if (pos + BOX_HEADER > end) throw new DeidError('truncated', `HEIF: box header at ${pos} cut off`);
  let size = u32(b, pos);
  const type = fourcc(b, pos + 4);
  let body = pos + BOX_HEADER;
  if (size === 1) {
    if (pos + LARGE_BOX_HEADER > end) throw new DeidError('truncated', `HEIF: large box header at ${pos} cut off`);
    size = u32(b, pos + 8) * 0x100000000 + u32(b, pos + 12);
    body = pos + LARGE_BOX_HEADER;
  } else if (size === 0) {
    // 14496-12 4.2: size 0 means "extends to the end of the enclosing container (the file)".
    size = end - pos;
  }
  if (size < body - pos) throw new DeidError('malformed', `HEIF: box ${label(type)} at ${pos} declares size ${size}`);
  if (pos + size > end) throw new DeidError('truncated', `HEIF: box ${label(type)} at ${pos} runs past its parent`);
  if (type === 'uuid') body += UUID_SIZE;
  if (body > pos + size) throw new DeidError('malformed', `HEIF: uuid box at ${pos} too short for its user type`);
  return { type, offset: pos, body, end: pos + size };
}

/** The boxes between `start` and `end`, which must tile the range exactly. */
function children(b: Uint8Array, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  for (let pos = start; pos < end; ) {
    const box = readBox(b, pos, end);
    boxes.push(box);
    pos = box.end;
  }
  return boxes;
}

function brands(b: Uint8Array): { major: string; compatible: string[] } | null {
  if (b.length < FTYP_BRANDS_START || fourcc(b, 4) !== 'ftyp') return null;
  const size = u32(b, 0);
  if (size < FTYP_BRANDS_START || size > b.length) return null;
  const compatible: string[] = [];
  for (let p = FTYP_BRANDS_START; p + 4 <= size; p += 4) compatible.push(fourcc(b, p));
  return { major: fourcc(b, 8), compatible };
}

/**
 * heif or avif by brand: an AVIF major brand, or a HEVC-specific HEIF major brand, decides; a
 * generic major brand (mif1/msf1) is AVIF when an AVIF brand is compatible, else HEIF.
 */
function detect(b: Uint8Array): ImageFormat | null {
  const found = brands(b);
  if (!found) return null;
  const { major, compatible } = found;
  if (AVIF_BRANDS.has(major)) return 'avif';
  if (HEIF_BRANDS.has(major) && !GENERIC_HEIF_BRANDS.has(major)) return 'heif';
  if (compatible.some((x) => AVIF_BRANDS.has(x))) return 'avif';
  if (HEIF_BRANDS.has(major) || compatible.some((x) => HEIF_BRANDS.has(x))) return 'heif';
  return null;
}

interface Item {
  id: number;
  type: string;
  contentType: string | null;
}

interface Location {
  method: number;
  extents: Array<{ offset: number; length: number }>;
}

interface Reference {
  type: string;
  from: number;
  to: number[];
}

/** infe (14496-12 8.11.6): v0/v1 describe a MIME-like item, v2/v3 carry an item type. */
function readInfe(b: Uint8Array, box: Box): Item {
  const r = new Reader(b, box.body, box.end, 'infe');
  const version = r.version();
  if (version < 2) {
    const id = r.u16();
    r.skip(2); // protection index
    r.cstring(); // item name
    return { id, type: 'mime', contentType: r.cstring() };
  }
  const id = version === 2 ? r.u16() : r.u32();
  r.skip(2); // protection index
  const type = r.fourcc();
  r.cstring(); // item name
  return { id, type, contentType: type === 'mime' ? r.cstring() : null };
}

function readIinf(b: Uint8Array, box: Box): { items: Item[]; others: Box[] } {
  const r = new Reader(b, box.body, box.end, 'iinf');
  const version = r.version();
  r.skip(version === 0 ? 2 : 4); // entry count: the boxes themselves are authoritative
  const items: Item[] = [];
  const others: Box[] = [];
  for (const c of children(b, r.pos, box.end)) {
    if (c.type === 'infe') items.push(readInfe(b, c));
    else others.push(c);
  }
  return { items, others };
}

/** iloc (14496-12 8.11.3), versions 0-2. */
function readIloc(b: Uint8Array, box: Box): Map<number, Location> {
  const r = new Reader(b, box.body, box.end, 'iloc');
  const version = r.version();
  if (version > 2) throw new DeidError('malformed', `HEIF: iloc version ${version}`);
  const sizes = r.u16();
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseOffsetSize = (sizes >> 4) & 0xf;
  const indexSize = version === 0 ? 0 : sizes & 0xf;
  const extentSize = indexSize + offsetSize + lengthSize;
  const count = version < 2 ? r.u16() : r.u32();
  const out = new Map<number, Location>();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? r.u16() : r.u32();
    const method = version === 0 ? METHOD_FILE : r.u16() & 0xf;
    r.skip(2); // data reference index
    const base = r.uint(baseOffsetSize);
    const extentCount = r.u16();
    const extents: Location['extents'] = [];
    // Zero-size extents read no bytes: one stands for all, so a crafted count cannot loop idle.
    const readable = extentSize === 0 ? Math.min(extentCount, 1) : extentCount;
    for (let e = 0; e < readable; e++) {
      r.uint(indexSize);
      const offset = base + r.uint(offsetSize);
      extents.push({ offset, length: r.uint(lengthSize) });
    }
    out.set(id, { method, extents });
  }
  return out;
}

/** iref (14496-12 8.11.12): v0 16-bit item ids, v1 32-bit. */
function readIref(b: Uint8Array, box: Box): Reference[] {
  const r = new Reader(b, box.body, box.end, 'iref');
  const version = r.version();
  return children(b, r.pos, box.end).map((c) => {
    const cr = new Reader(b, c.body, c.end, `iref/${c.type}`);
    const id = () => (version === 0 ? cr.u16() : cr.u32());
    const from = id();
    const n = cr.u16();
    const to: number[] = [];
    for (let i = 0; i < n; i++) to.push(id());
    return { type: c.type, from, to };
  });
}

/** Properties (ipco, in order: index 1 is the first) and which item uses which (ipma). */
function readIprp(b: Uint8Array, box: Box): { props: Box[]; assoc: Map<number, number[]>; others: Box[] } {
  const kids = children(b, box.body, box.end);
  const props: Box[] = [];
  const others: Box[] = [];
  const assoc = new Map<number, number[]>();
  for (const k of kids) {
    if (k.type === 'ipco' && props.length === 0) {
      props.push(...children(b, k.body, k.end));
    } else if (k.type === 'ipma') {
      const r = new Reader(b, k.body, k.end, 'ipma');
      const version = r.u8();
      r.skip(2);
      const flags = r.u8();
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const id = version < 1 ? r.u16() : r.u32();
        const n = r.u8();
        const list = assoc.get(id) ?? [];
        for (let j = 0; j < n; j++) list.push(flags & IPMA_LARGE_INDICES ? r.u16() & 0x7fff : r.u8() & 0x7f);
        assoc.set(id, list);
      }
    } else {
      others.push(k);
    }
  }
  return { props, assoc, others };
}

function part(name: string, box: Box, finding: Finding | null): Part {
  return { name: name.replace(/[^\x20-\x7e]/g, '?'), offset: box.offset, length: box.end - box.offset, finding };
}

function boxFinding(name: string, box: Box, kind: FindingKind, detail: string): Part {
  return part(name, box, { kind, where: `${name.replace(/[^\x20-\x7e]/g, '?')} @ ${box.offset}`, detail });
}

/** A `uuid` box: C2PA by its user type, anything else vendor data. */
function uuidPart(b: Uint8Array, box: Box, name: string): Part {
  const isC2pa = hex(b, box.body - UUID_SIZE, box.body) === C2PA_UUID;
  return isC2pa
    ? boxFinding(name, box, 'c2pa', 'C2PA manifest store (may hold ingredient thumbnails)')
    : boxFinding(name, box, 'unknown-segment', 'vendor uuid box not on the allowlist');
}

function isAllZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/** free/skip: padding is clean, but left-over bytes in it may be stale metadata. */
function freeSpacePart(b: Uint8Array, box: Box, name: string): Part {
  return isAllZero(b, box.body, box.end)
    ? part(name, box, null)
    : boxFinding(name, box, 'unknown-segment', 'free space holding non-zero bytes (possibly stale data)');
}

/** The bytes of an item, when it is stored in the file or in idat; null when unresolvable. */
function itemBytes(b: Uint8Array, loc: Location | undefined, idat: Box | undefined): Uint8Array | null {
  if (!loc || loc.extents.length === 0) return null;
  let base: number;
  let limit: number;
  if (loc.method === METHOD_FILE) {
    base = 0;
    limit = b.length;
  } else if (loc.method === METHOD_IDAT && idat) {
    base = idat.body;
    limit = idat.end;
  } else {
    return null;
  }
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (const { offset, length } of loc.extents) {
    const start = base + offset;
    // 14496-12 8.11.3.3: length 0 means "the whole of the referenced data".
    const end = length === 0 ? limit : start + length;
    if (start > limit || end > limit || end < start) return null;
    pieces.push(b.subarray(start, end));
    total += end - start;
  }
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of pieces) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Exif item findings: the TIFF structure after the offset prefix, or plain `exif`. */
function exifFindings(data: Uint8Array | null, where: string): Finding[] {
  if (!data) return [{ kind: 'exif', where, detail: 'EXIF block (stored where the walk does not follow)' }];
  if (data.length < EXIF_OFFSET_PREFIX) return [{ kind: 'exif', where, detail: 'EXIF block (too short to read)' }];
  const tiffStart = EXIF_OFFSET_PREFIX + u32(data, 0);
  if (tiffStart >= data.length) return [{ kind: 'exif', where, detail: 'EXIF block (TIFF header offset out of range)' }];
  try {
    const found = scanExif(data.subarray(tiffStart), where).findings;
    // Even an orientation-only block is reported: there is no HEIF strip that would keep it.
    return found.length > 0 ? found : [{ kind: 'exif', where, detail: 'EXIF block (orientation only)' }];
  } catch (e) {
    if (!isDeidError(e)) throw e;
    return [{ kind: 'exif', where, detail: `EXIF block (unreadable: ${e.code})` }];
  }
}

/** Items that make up the displayed picture: the primary item and its derivation inputs. */
function pictureItems(primary: number | null, refs: readonly Reference[]): Set<number> {
  const inputs = new Map<number, number[]>();
  for (const ref of refs) {
    if (ref.type !== 'dimg') continue;
    const list = inputs.get(ref.from) ?? [];
    for (const to of ref.to) list.push(to);
    inputs.set(ref.from, list);
  }
  const picture = new Set<number>();
  const queue = primary === null ? [] : [primary];
  while (queue.length > 0) {
    const id = queue.pop() as number;
    if (picture.has(id)) continue;
    picture.add(id);
    queue.push(...(inputs.get(id) ?? []));
  }
  return picture;
}

/** A property's auxiliary type URN (auxC, 23008-12 6.5.8). */
function auxType(b: Uint8Array, box: Box): string {
  const r = new Reader(b, box.body, box.end, 'auxC');
  r.version();
  return r.cstring();
}

function readPitm(b: Uint8Array, box: Box): number {
  const r = new Reader(b, box.body, box.end, 'pitm');
  return r.version() === 0 ? r.u16() : r.u32();
}

/** Findings of the item properties (ipco): ICC profiles and properties off the allowlist. */
function propertyParts(b: Uint8Array, props: readonly Box[]): Part[] {
  const parts: Part[] = [];
  props.forEach((p, i) => {
    const name = `ipco/${p.type} #${i + 1}`;
    if (p.type === 'uuid') {
      parts.push(uuidPart(b, p, name));
    } else if (!PROPERTY_ALLOWED.has(p.type)) {
      parts.push(boxFinding(name, p, 'unknown-segment', `item property ${label(p.type)} not on the allowlist`));
    } else if (p.type === 'colr') {
      const colourType = new Reader(b, p.body, p.end, 'colr').fourcc();
      if (COLOUR_ICC.has(colourType)) parts.push(boxFinding(name, p, 'icc', 'embedded ICC profile (name, description, dates)'));
      else if (!COLOUR_NUMERIC.has(colourType)) parts.push(boxFinding(name, p, 'unknown-segment', `colour information of type ${label(colourType)}`));
      else parts.push(part(name, p, null));
    } else if (FREE_SPACE.has(p.type)) {
      parts.push(freeSpacePart(b, p, name));
    } else {
      parts.push(part(name, p, null));
    }
  });
  return parts;
}

/** The `meta` box of a HEIF/AVIF file: its boxes, properties and items. */
function metaParts(b: Uint8Array, meta: Box, name: string): Part[] {
  const parts: Part[] = [part(name, meta, null)];
  const kids = children(b, meta.body + FULL_BOX_HEADER, meta.end);
  let items: Item[] = [];
  let locations = new Map<number, Location>();
  let refs: Reference[] = [];
  let props: Box[] = [];
  let assoc = new Map<number, number[]>();
  let idat: Box | undefined;
  let primary: number | null = null;
  for (const k of kids) {
    const kidName = `${name}/${k.type}`;
    if (k.type === 'iinf') {
      const read = readIinf(b, k);
      items = read.items;
      for (const o of read.others) parts.push(boxFinding(`${kidName}/${o.type}`, o, 'unknown-segment', `box ${label(o.type)} in iinf not on the allowlist`));
    } else if (k.type === 'iloc') locations = readIloc(b, k);
    else if (k.type === 'iref') refs = readIref(b, k);
    else if (k.type === 'pitm') primary = readPitm(b, k);
    else if (k.type === 'idat') idat = k;
    else if (k.type === 'iprp') {
      const read = readIprp(b, k);
      props = read.props;
      assoc = read.assoc;
      for (const o of read.others) parts.push(boxFinding(`${kidName}/${o.type}`, o, 'unknown-segment', `box ${label(o.type)} in iprp not on the allowlist`));
    }
    if (k.type === 'uuid') parts.push(uuidPart(b, k, kidName));
    else if (FREE_SPACE.has(k.type)) parts.push(freeSpacePart(b, k, kidName));
    else if (META_STRUCTURE.has(k.type)) parts.push(part(kidName, k, null));
    else parts.push(boxFinding(kidName, k, 'unknown-segment', `box ${label(k.type)} in meta not on the allowlist`));
  }
  parts.push(...propertyParts(b, props));

  const thumbnails = new Set(refs.filter((r) => r.type === 'thmb').map((r) => r.from));
  const auxiliary = new Set(refs.filter((r) => r.type === 'auxl').map((r) => r.from));
  // Without pitm (not valid HEIF) every image item is taken as picture: nothing to compare with.
  const picture = primary === null ? null : pictureItems(primary, refs);
  for (const item of items) {
    const where = `item ${item.id} (${label(item.type)})`;
    const loc = locations.get(item.id);
    const first = loc?.extents[0];
    const offset = first === undefined ? meta.offset : loc?.method === METHOD_IDAT && idat ? idat.body + first.offset : first.offset;
    const at = { name: `item ${item.id}`, offset, length: first?.length ?? 0 };
    const add = (kind: FindingKind, detail: string) => parts.push({ ...at, finding: { kind, where, detail } });
    if (item.type === 'Exif') {
      for (const finding of exifFindings(itemBytes(b, loc, idat), where)) parts.push({ ...at, finding });
    } else if (item.type === 'mime') {
      const contentType = (item.contentType ?? '').split(';')[0].trim().toLowerCase();
      if (contentType === XMP_CONTENT_TYPE) add('xmp', 'XMP packet (mime item)');
      // The content type is written by whoever made the file: only registered types are named.
      else add('unknown-segment', KNOWN_CONTENT_TYPES.has(contentType) ? `MIME item of type "${contentType}"` : 'a MIME item of another type');
    } else if (thumbnails.has(item.id)) {
      add('thumbnail', 'thumbnail image (an unredacted preview)');
    } else if (auxiliary.has(item.id)) {
      const auxC = (assoc.get(item.id) ?? []).map((i) => props[i - 1]).find((p) => p?.type === 'auxC');
      const type = auxC ? auxType(b, auxC) : '';
      // The auxC URN is free text: not repeated.
      if (!ALPHA_AUX_TYPES.has(type)) add('unknown-segment', 'auxiliary image (depth/gain map or other non-alpha plane)');
      else parts.push({ ...at, finding: null });
    } else if (!IMAGE_ITEM_TYPES.has(item.type)) {
      add('unknown-segment', `item of type ${label(item.type)} not on the allowlist`);
    } else if (picture !== null && !picture.has(item.id)) {
      add('unknown-segment', 'additional image item (not part of the primary picture)');
    } else {
      parts.push({ ...at, finding: null });
    }
  }
  return parts;
}

/**
 * An image sequence's moov tree (AVIF `avis`, HEIF `msf1`): the tracks are picture data; udta
 * and meta boxes anywhere in it are sequence metadata and findings.
 */
function moovParts(b: Uint8Array, box: Box, name: string, depth: number): Part[] {
  if (depth > MAX_DEPTH) throw new DeidError('malformed', `HEIF: boxes nested deeper than ${MAX_DEPTH} at ${box.offset}`);
  const parts: Part[] = [part(name, box, null)];
  for (const k of children(b, box.body, box.end)) {
    const kidName = `${name}/${k.type}`;
    if (MOOV_METADATA.has(k.type)) parts.push(boxFinding(kidName, k, 'unknown-segment', 'image-sequence user data or metadata'));
    else if (k.type === 'uuid') parts.push(uuidPart(b, k, kidName));
    else if (MOOV_CONTAINERS.has(k.type)) parts.push(...moovParts(b, k, kidName, depth + 1));
    else parts.push(part(kidName, k, null));
  }
  return parts;
}

/** True when a box could start at `pos`: 8 bytes left and a printable type. */
function looksLikeBox(b: Uint8Array, pos: number): boolean {
  if (pos + BOX_HEADER > b.length) return false;
  for (let i = pos + 4; i < pos + BOX_HEADER; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

function walk(bytes: Uint8Array): Part[] {
  if (!detect(bytes)) throw new DeidError('malformed', 'HEIF: no leading ftyp box with a HEIF or AVIF brand');
  const parts: Part[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (!looksLikeBox(bytes, pos)) {
      const count = bytes.length - pos;
      parts.push({ name: 'after last box', offset: pos, length: count, finding: { kind: 'trailer', where: `@ ${pos}`, detail: `${count} bytes after the last box` } });
      break;
    }
    const box = readBox(bytes, pos, bytes.length);
    pos = box.end;
    if (box.type === 'meta') parts.push(...metaParts(bytes, box, 'meta'));
    else if (box.type === 'moov') parts.push(...moovParts(bytes, box, 'moov', 1));
    else if (box.type === 'uuid') parts.push(uuidPart(bytes, box, 'uuid'));
    else if (FREE_SPACE.has(box.type)) parts.push(freeSpacePart(bytes, box, box.type));
    else if (TOP_LEVEL_ALLOWED.has(box.type)) parts.push(part(box.type, box, null));
    else parts.push(boxFinding(box.type, box, 'unknown-segment', `top-level box ${label(box.type)} not on the allowlist`));
  }
  return parts;
}

export const isobmffFormat: ContainerFormat = {
  formats: ['heif', 'avif'],
  detect,
  walk,
};
