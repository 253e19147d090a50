import { DeidError } from '../errors';
import { scanExif } from './tiff-ifd';
import type { ContainerFormat, Finding, ImageFormat, Part } from './types';

/**
 * HEIF / HEIC / AVIF: ISO/IEC 14496-12 boxes with the ISO/IEC 23008-12 `meta` item model.
 * Scan only: a lossless strip would have to rewrite iinf/iloc/iref/ipma and every offset into
 * mdat, so the CLI re-encodes these files instead (or refuses when it cannot decode them).
 */
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'mif2', 'MiHE', 'MiHB']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
/** Item types that are picture data (or derive pictures from it), never text. */
const IMAGE_ITEM_TYPES = new Set(['hvc1', 'hvt1', 'lhv1', 'av01', 'avc1', 'jpeg', 'j2k1', 'unci', 'grid', 'iden', 'iovl', 'mski', 'vvc1']);
/** Boxes inside `meta` that describe structure only. */
const META_STRUCTURE = new Set(['hdlr', 'pitm', 'iinf', 'iloc', 'iref', 'iprp', 'idat', 'dinf', 'grpl', 'iref', 'free', 'skip']);
/** Top-level boxes that carry structure or picture data. */
const TOP_LEVEL_ALLOWED = new Set(['ftyp', 'meta', 'mdat', 'free', 'skip', 'moov', 'wide']);
/** Alpha planes are part of the picture; other auxiliary images (depth, gain maps) are not. */
const ALPHA_AUX_TYPES = new Set(['urn:mpeg:hevc:2015:auxid:1', 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha', 'urn:mpeg:avc:2015:auxid:1']);
/** C2PA manifests in BMFF: a `uuid` box with this user type (C2PA 2.1, 11.3.3). */
const C2PA_UUID = 'd8fec3d61b0e483c92975828877c4c4d';
const MAX_DEPTH = 8;

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}
function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}
function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}
function hex(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

interface Box {
  type: string;
  offset: number;
  /** First byte after the header (and after the uuid user type). */
  body: number;
  end: number;
}

/** A bounds-checked cursor: any read past `end` is a truncated file. */
class Reader {
  constructor(private readonly b: Uint8Array, public pos: number, private readonly end: number) {}
  need(n: number): void {
    if (this.pos + n > this.end) throw new DeidError('truncated', `HEIF: a box ends inside its own fields at ${this.pos}`);
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
  uint(size: number): number {
    if (size === 0) return 0;
    if (size === 2) return this.u16();
    if (size === 4) return this.u32();
    if (size === 8) {
      const hi = this.u32();
      const lo = this.u32();
      return hi * 0x100000000 + lo;
    }
    throw new DeidError('malformed', `HEIF: field size ${size} is not 0, 2, 4 or 8`);
  }
  fourcc(): string {
    this.need(4);
    const v = fourcc(this.b, this.pos);
    this.pos += 4;
    return v;
  }
  cstring(): string {
    const nul = this.b.indexOf(0, this.pos);
    const stop = nul < 0 || nul >= this.end ? this.end : nul;
    let s = '';
    for (let i = this.pos; i < stop && s.length < 256; i++) s += String.fromCharCode(this.b[i]);
    this.pos = Math.min(this.end, stop + 1);
    return s;
  }
}

/** The boxes between `start` and `end`. */
function children(b: Uint8Array, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  let pos = start;
  while (pos < end) {
    if (pos + 8 > end) throw new DeidError('truncated', `HEIF: box header at ${pos} cut off`);
    let size = u32(b, pos);
    const type = fourcc(b, pos + 4);
    let body = pos + 8;
    if (size === 1) {
      if (pos + 16 > end) throw new DeidError('truncated', `HEIF: large box header at ${pos} cut off`);
      size = u32(b, pos + 8) * 0x100000000 + u32(b, pos + 12);
      body = pos + 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < body - pos) throw new DeidError('malformed', `HEIF: box ${JSON.stringify(type)} at ${pos} declares size ${size}`);
    const boxEnd = pos + size;
    if (boxEnd > end) throw new DeidError('truncated', `HEIF: box ${JSON.stringify(type)} at ${pos} runs past its parent`);
    if (type === 'uuid') body += 16;
    if (body > boxEnd) throw new DeidError('malformed', `HEIF: uuid box at ${pos} too short`);
    boxes.push({ type, offset: pos, body, end: boxEnd });
    pos = boxEnd;
  }
  return boxes;
}

function brandOf(b: Uint8Array): ImageFormat | null {
  if (b.length < 16 || fourcc(b, 4) !== 'ftyp') return null;
  const size = u32(b, 0);
  if (size < 16 || size > b.length) return null;
  const brands = [fourcc(b, 8)];
  for (let p = 16; p + 4 <= size; p += 4) brands.push(fourcc(b, p));
  if (brands.some((x) => AVIF_BRANDS.has(x))) return 'avif';
  if (brands.some((x) => HEIF_BRANDS.has(x))) return 'heif';
  return null;
}

interface Item {
  id: number;
  type: string;
  contentType?: string;
}

interface Location {
  method: number;
  extents: Array<{ offset: number; length: number }>;
}

function readInfe(b: Uint8Array, box: Box): Item | null {
  const r = new Reader(b, box.body, box.end);
  const version = r.u8();
  r.pos += 3;
  if (version < 2) return null; // v0/v1 carry no item type (ISO/IEC 14496-12 8.11.6); nothing to classify
  const id = version === 2 ? r.u16() : r.u32();
  r.u16();
  const type = r.fourcc();
  r.cstring();
  const item: Item = { id, type };
  if (type === 'mime') item.contentType = r.cstring();
  return item;
}

function readIinf(b: Uint8Array, box: Box): Item[] {
  const r = new Reader(b, box.body, box.end);
  const version = r.u8();
  r.pos += 3;
  if (version === 0) r.u16();
  else r.u32();
  return children(b, r.pos, box.end).flatMap((c) => (c.type === 'infe' ? [readInfe(b, c)].filter((i): i is Item => i !== null) : []));
}

function readIloc(b: Uint8Array, box: Box): Map<number, Location> {
  const r = new Reader(b, box.body, box.end);
  const version = r.u8();
  r.pos += 3;
  const sizes = r.u16();
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseOffsetSize = (sizes >> 4) & 0xf;
  const indexSize = version === 1 || version === 2 ? sizes & 0xf : 0;
  const count = version < 2 ? r.u16() : r.u32();
  const out = new Map<number, Location>();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? r.u16() : r.u32();
    const method = version === 1 || version === 2 ? r.u16() & 0xf : 0;
    r.u16();
    const base = r.uint(baseOffsetSize);
    const extentCount = r.u16();
    const extents: Location['extents'] = [];
    for (let e = 0; e < extentCount; e++) {
      if (indexSize > 0) r.uint(indexSize);
      const offset = base + r.uint(offsetSize);
      const length = r.uint(lengthSize);
      extents.push({ offset, length });
    }
    out.set(id, { method, extents });
  }
  return out;
}

function readIref(b: Uint8Array, box: Box): Array<{ type: string; from: number; to: number[] }> {
  const r = new Reader(b, box.body, box.end);
  const version = r.u8();
  r.pos += 3;
  return children(b, r.pos, box.end).map((c) => {
    const cr = new Reader(b, c.body, c.end);
    const from = version === 0 ? cr.u16() : cr.u32();
    const n = cr.u16();
    const to: number[] = [];
    for (let i = 0; i < n; i++) to.push(version === 0 ? cr.u16() : cr.u32());
    return { type: c.type, from, to };
  });
}

/** Properties (ipco) and which item uses which (ipma). */
function readIprp(b: Uint8Array, box: Box): { props: Box[]; assoc: Map<number, number[]> } {
  const kids = children(b, box.body, box.end);
  const ipco = kids.find((k) => k.type === 'ipco');
  const props = ipco ? children(b, ipco.body, ipco.end) : [];
  const assoc = new Map<number, number[]>();
  for (const ipma of kids.filter((k) => k.type === 'ipma')) {
    const r = new Reader(b, ipma.body, ipma.end);
    const version = r.u8();
    r.pos += 2;
    const flags = r.u8();
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const id = version < 1 ? r.u16() : r.u32();
      const n = r.u8();
      const list = assoc.get(id) ?? [];
      for (let j = 0; j < n; j++) list.push((flags & 1 ? r.u16() & 0x7fff : r.u8() & 0x7f) - 1);
      assoc.set(id, list);
    }
  }
  return { props, assoc };
}

function auxType(b: Uint8Array, box: Box): string {
  const r = new Reader(b, box.body + 4, box.end);
  return r.cstring();
}

function scanMeta(b: Uint8Array, meta: Box, depth: number): Part[] {
  const parts: Part[] = [];
  // `meta` is a FullBox: version and flags before its children.
  const kids = children(b, meta.body + 4, meta.end);
  let items: Item[] = [];
  let locations = new Map<number, Location>();
  let refs: ReturnType<typeof readIref> = [];
  let iprp: ReturnType<typeof readIprp> = { props: [], assoc: new Map() };
  let idat: Box | undefined;
  for (const k of kids) {
    if (k.type === 'iinf') items = readIinf(b, k);
    else if (k.type === 'iloc') locations = readIloc(b, k);
    else if (k.type === 'iref') refs = readIref(b, k);
    else if (k.type === 'iprp') iprp = readIprp(b, k);
    else if (k.type === 'idat') idat = k;
    if (!META_STRUCTURE.has(k.type)) {
      parts.push(part(`meta/${k.type}`, k, { kind: 'unknown-segment', where: `meta/${k.type} @ ${k.offset}`, detail: `box ${JSON.stringify(k.type)} not on the allowlist` }));
    } else parts.push(part(`meta/${k.type}`, k, null));
  }
  for (const [i, p] of iprp.props.entries()) {
    if (p.type === 'colr' && p.body + 4 <= p.end) {
      const colourType = fourcc(b, p.body);
      if (colourType === 'prof' || colourType === 'rICC') {
        parts.push(part('colr', p, { kind: 'icc', where: `ipco property ${i + 1} (colr) @ ${p.offset}`, detail: 'embedded ICC profile' }));
      }
    }
  }
  const thumbnails = new Set(refs.filter((r) => r.type === 'thmb').map((r) => r.from));
  const auxiliary = new Set(refs.filter((r) => r.type === 'auxl').map((r) => r.from));
  for (const item of items) {
    const where = `item ${item.id} (${item.type.trim() || '?'})`;
    const loc = locations.get(item.id);
    const span = loc?.extents[0];
    const at = { name: `item ${item.id}`, offset: span?.offset ?? meta.offset, length: span?.length ?? 0 };
    if (item.type === 'Exif') {
      for (const f of exifFindings(b, loc, idat, where)) parts.push({ ...at, finding: f });
    } else if (item.type === 'mime') {
      const isXmp = item.contentType === 'application/rdf+xml';
      parts.push({ ...at, finding: { kind: isXmp ? 'xmp' : 'unknown-segment', where, detail: isXmp ? 'XMP packet' : `MIME item of type ${JSON.stringify(item.contentType ?? '')}` } });
    } else if (thumbnails.has(item.id)) {
      parts.push({ ...at, finding: { kind: 'thumbnail', where, detail: 'thumbnail image (an unredacted preview)' } });
    } else if (auxiliary.has(item.id)) {
      const aux = (iprp.assoc.get(item.id) ?? []).map((i) => iprp.props[i]).find((p) => p?.type === 'auxC');
      const type = aux ? auxType(b, aux) : '';
      if (!ALPHA_AUX_TYPES.has(type)) {
        parts.push({ ...at, finding: { kind: 'unknown-segment', where, detail: 'auxiliary image (depth map, gain map or other)' } });
      }
    } else if (!IMAGE_ITEM_TYPES.has(item.type)) {
      parts.push({ ...at, finding: { kind: 'unknown-segment', where, detail: `item of type ${JSON.stringify(item.type)} not on the allowlist` } });
    }
  }
  if (depth > MAX_DEPTH) throw new DeidError('malformed', 'HEIF: boxes nested too deep');
  return parts;
}

function exifFindings(b: Uint8Array, loc: Location | undefined, idat: Box | undefined, where: string): Finding[] {
  const fallback: Finding[] = [{ kind: 'exif', where, detail: 'EXIF block' }];
  const extent = loc?.extents.length === 1 ? loc.extents[0] : undefined;
  if (!extent || !loc) return fallback;
  const base = loc.method === 1 && idat ? idat.body : loc.method === 0 ? 0 : -1;
  if (base < 0) return fallback;
  const start = base + extent.offset;
  const end = start + (extent.length || b.length - start);
  if (start + 4 > b.length || end > b.length || end <= start) return fallback;
  // The Exif item starts with the offset to the TIFF header (ISO/IEC 23008-12 A.2.1).
  const tiffStart = start + 4 + u32(b, start);
  if (tiffStart >= end) return fallback;
  try {
    const found = scanExif(b.subarray(tiffStart, end), where).findings;
    return found.length ? found : fallback;
  } catch {
    return [{ kind: 'exif', where, detail: 'EXIF block (unreadable)' }];
  }
}

function part(name: string, box: Box, finding: Finding | null): Part {
  return { name, offset: box.offset, length: box.end - box.offset, finding };
}

function scanMoov(b: Uint8Array, moov: Box, depth: number): Part[] {
  if (depth > MAX_DEPTH) throw new DeidError('malformed', 'HEIF: boxes nested too deep');
  const parts: Part[] = [];
  for (const k of children(b, moov.body, moov.end)) {
    if (k.type === 'udta' || k.type === 'meta') {
      parts.push(part(`moov/${k.type}`, k, { kind: 'unknown-segment', where: `${k.type} @ ${k.offset}`, detail: 'image-sequence user data or metadata' }));
    } else if (k.type === 'trak') {
      parts.push(...scanMoov(b, k, depth + 1));
    } else parts.push(part(`moov/${k.type}`, k, null));
  }
  return parts;
}

function walk(bytes: Uint8Array): Part[] {
  if (!brandOf(bytes)) throw new DeidError('malformed', 'HEIF: no ftyp box with a HEIF or AVIF brand');
  const parts: Part[] = [];
  for (const box of children(bytes, 0, bytes.length)) {
    if (box.type === 'meta') {
      parts.push(part('meta', box, null), ...scanMeta(bytes, box, 1));
    } else if (box.type === 'moov') {
      parts.push(part('moov', box, null), ...scanMoov(bytes, box, 1));
    } else if (box.type === 'uuid') {
      const isC2pa = hex(bytes, box.offset + 8, box.offset + 24) === C2PA_UUID;
      parts.push(part('uuid', box, { kind: isC2pa ? 'c2pa' : 'unknown-segment', where: `uuid @ ${box.offset}`, detail: isC2pa ? 'C2PA manifest' : 'vendor uuid box' }));
    } else if (TOP_LEVEL_ALLOWED.has(box.type)) {
      parts.push(part(box.type, box, null));
    } else {
      parts.push(part(box.type, box, { kind: 'unknown-segment', where: `${JSON.stringify(box.type)} @ ${box.offset}`, detail: 'top-level box not on the allowlist' }));
    }
  }
  return parts;
}

export const isobmffFormat: ContainerFormat = {
  formats: ['heif', 'avif'],
  detect: brandOf,
  walk,
};
