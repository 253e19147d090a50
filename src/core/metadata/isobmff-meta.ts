/**
 * The HEIF item model (ISO/IEC 23008-12 section 9 on top of ISO/IEC 14496-12 8.11): the `meta`
 * box read into items, locations, references, properties and their associations, each box
 * parsed to its defined end. Everything a writer could put there beyond what the structure
 * needs (item names, handler names, data-reference URLs, bytes after a box's last field,
 * unused idat bytes, repeated boxes) is recorded as a finding on the part where it sits.
 */
import { DeidError } from '../errors';
import { children, FULL_BOX_HEADER, isAllZero, Reader, safePath, typeLabel, type Box } from './isobmff-box';
import { propertyVerdict, type PropertyVerdict } from './isobmff-props';
import type { FindingKind, Part } from './types';

/** iloc construction_method (14496-12 8.11.3): 0 file offset, 1 offset into idat, 2 item offset. */
export const METHOD_FILE = 0;
export const METHOD_IDAT = 1;
/** ipma flags bit 0: property indices are 15 bits (else 7), the top bit marks "essential". */
const IPMA_LARGE_INDICES = 1;
/** infe flags bit 0 (14496-12 8.11.6.1): a hidden item, not meant to be displayed itself. */
export const INFE_HIDDEN = 1;
/** dref `url ` flags bit 0 (14496-12 8.7.2): the data is in this file; no location follows. */
const SELF_CONTAINED = 1;
/** hdlr: version/flags(4) pre_defined(4) handler_type(4) reserved(12), then the name. */
const HDLR_FIXED = 24;

export interface Item {
  id: number;
  type: string;
  /** MIME content type (mime items), free text: only compared, never reported. */
  contentType: string | null;
  hidden: boolean;
  protection: number;
  infeVersion: number;
  box: Box;
}

export interface Extent {
  offset: number;
  length: number;
}

export interface Location {
  method: number;
  dataRef: number;
  /** Offsets with base_offset added: file offsets (method 0) or idat offsets (method 1). */
  extents: Extent[];
}

export interface Reference {
  type: string;
  from: number;
  to: number[];
}

export interface Association {
  /** 1-based ipco index (0 = "no property"). */
  index: number;
  essential: boolean;
}

export interface IlocLayout {
  version: number;
  offsetSize: number;
  lengthSize: number;
  baseSize: number;
}

export interface MetaModel {
  box: Box;
  /** Types of the structural children, in order of first appearance (kept by the rewrite). */
  order: string[];
  hasDinf: boolean;
  handler: string | null;
  primary: number | null;
  pitmVersion: number;
  items: Item[];
  iinfVersion: number;
  locations: Map<number, Location>;
  iloc: IlocLayout;
  refs: Reference[];
  irefVersion: number;
  props: Box[];
  verdicts: PropertyVerdict[];
  assoc: Map<number, Association[]>;
  ipmaVersion: number;
  ipmaFlags: number;
  idat: Box | null;
  /** Which data references are self-contained (index 1-based; 0 always means this file). */
  selfContained: Set<number>;
  parts: Part[];
}

/** Children the rewrite writes again (in the input's order); the rest are findings. */
const STRUCTURE: ReadonlySet<string> = new Set(['hdlr', 'dinf', 'pitm', 'iloc', 'iinf', 'iref', 'iprp', 'idat']);

export function boxPart(name: string, box: Box, kind: FindingKind | null, detail = ''): Part {
  const n = safePath(name);
  return { name: n, offset: box.offset, length: box.end - box.offset, finding: kind ? { kind, where: `${n} @ ${box.offset}`, detail } : null };
}

class MetaReader {
  readonly m: MetaModel;

  constructor(private readonly b: Uint8Array, meta: Box) {
    this.m = {
      box: meta, order: [], hasDinf: false, handler: null, primary: null, pitmVersion: 0, items: [], iinfVersion: 0,
      locations: new Map(), iloc: { version: 0, offsetSize: 4, lengthSize: 4, baseSize: 0 }, refs: [], irefVersion: 0,
      props: [], verdicts: [], assoc: new Map(), ipmaVersion: 0, ipmaFlags: 0, idat: null, selfContained: new Set(), parts: [],
    };
  }

  flag(name: string, box: Box, kind: FindingKind, detail: string): void {
    this.m.parts.push(boxPart(name, box, kind, detail));
  }

  /** Bytes left in a box after its last defined field: a place to hide a value. */
  rest(r: Reader, name: string, box: Box): void {
    if (r.left() > 0) this.flag(name, box, 'unknown-segment', `${r.left()} bytes after the ${name.split('/').pop()} fields`);
  }

  read(): MetaModel {
    const { b, m } = this;
    const r = new Reader(b, m.box.body, m.box.end, 'meta');
    const { version, flags } = r.versionFlags();
    if (version !== 0 || flags !== 0) this.flag('meta', m.box, 'unknown-segment', 'meta version or flags not 0');
    else m.parts.push(boxPart('meta', m.box, null));
    const seen = new Set<string>();
    for (const k of children(b, r.pos, m.box.end)) {
      const name = `meta/${k.type}`;
      if (!STRUCTURE.has(k.type)) {
        if (k.type === 'grpl') this.flag(name, k, 'unknown-segment', 'entity groups (grpl) not on the allowlist');
        else if (k.type === 'uuid') this.flag(name, k, 'unknown-segment', 'vendor uuid box in meta');
        else this.flag(name, k, 'unknown-segment', `box ${typeLabel(k.type)} in meta not on the allowlist`);
        continue;
      }
      if (seen.has(k.type)) {
        this.flag(name, k, 'unknown-segment', `a second ${typeLabel(k.type)} box (the first is used)`);
        continue;
      }
      seen.add(k.type);
      m.order.push(k.type);
      m.parts.push(boxPart(name, k, null));
      if (k.type === 'hdlr') this.hdlr(k);
      else if (k.type === 'dinf') this.dinf(k);
      else if (k.type === 'pitm') this.pitm(k);
      else if (k.type === 'iloc') this.iloc(k);
      else if (k.type === 'iinf') this.iinf(k);
      else if (k.type === 'iref') this.iref(k);
      else if (k.type === 'iprp') this.iprp(k);
      else m.idat = k;
    }
    return m;
  }

  /** 14496-12 8.4.3: the handler name is free text; the rewrite writes an empty one. */
  hdlr(box: Box): void {
    const r = new Reader(this.b, box.body, box.end, 'hdlr');
    const { version, flags } = r.versionFlags();
    r.need(HDLR_FIXED - FULL_BOX_HEADER);
    const preDefined = r.u32();
    this.m.handler = r.fourcc();
    const reservedZero = isAllZero(this.b, r.pos, r.pos + 12);
    r.skip(12);
    if (version !== 0 || flags !== 0 || preDefined !== 0 || !reservedZero) this.flag('meta/hdlr', box, 'unknown-segment', 'hdlr reserved fields hold values');
    const name = r.cstring();
    if (name.length > 0) this.flag('meta/hdlr', box, 'comment', `handler name text (${name.length} bytes)`);
    else if (!name.terminated) this.flag('meta/hdlr', box, 'unknown-segment', 'handler name without its terminating NUL');
    // 14496-12 8.4.3.2: `name` is a null-terminated UTF-8 string and the box ends where its size
    // says, so bytes may follow the NUL. Apple's HEIC writer puts 00 00 there: QuickTime's
    // counted string of length zero (QTFF "hdlr" Component name: "may contain a zero-length
    // (empty) string") and a NUL, or ISO's empty name and one more NUL. Every reading gives an
    // empty name: readers stop at the first NUL (exiftool QuickTime.pm HandlerDescription, a
    // 'string' cut at its NUL, then a Pascal count when the first byte is below 0x20;
    // metadata-extractor HandlerBox, getNullTerminatedString). So zero bytes after the NUL show
    // nothing and hold nothing but their count, which the rewrite drops (it writes one NUL; a
    // file otherwise clean is still told apart from the rewrite by walk's backstop): not a
    // finding here. A non-zero byte after it is one no reader shows but the file still carries.
    const trailing = r.left();
    if (trailing > 0 && !isAllZero(this.b, r.pos, box.end)) this.flag('meta/hdlr', box, 'unknown-segment', `${trailing} bytes after the handler name's terminating NUL, not all zero (no reader shows them)`);
  }

  /** 14496-12 8.7.1-8.7.2: data references. Only "this file" (url with flag 1) is kept. */
  dinf(box: Box): void {
    this.m.hasDinf = true;
    const kids = children(this.b, box.body, box.end);
    let index = 0;
    kids.forEach((k, i) => {
      if (k.type !== 'dref' || i > 0) {
        this.flag(`meta/dinf/${k.type}`, k, 'unknown-segment', `box ${typeLabel(k.type)} in dinf not on the allowlist`);
        return;
      }
      const r = new Reader(this.b, k.body, k.end, 'dref');
      const { version, flags } = r.versionFlags();
      const count = r.u32();
      if (version !== 0 || flags !== 0) this.flag('meta/dinf/dref', k, 'unknown-segment', 'dref version or flags not 0');
      const entries = children(this.b, r.pos, k.end);
      if (entries.length !== count) this.flag('meta/dinf/dref', k, 'unknown-segment', 'dref entry count differs from its entries');
      for (const e of entries) {
        index++;
        const name = `meta/dinf/dref/${e.type}`;
        const er = new Reader(this.b, e.body, e.end, e.type);
        const ef = er.versionFlags();
        if (e.type === 'url ' && ef.flags === SELF_CONTAINED && ef.version === 0 && er.left() === 0) {
          this.m.selfContained.add(index);
        } else if (e.type === 'url ' || e.type === 'urn ') {
          this.flag(name, e, 'comment', er.left() > 0 ? 'data reference location text (URL/URN)' : 'data reference to another file');
        } else {
          this.flag(name, e, 'unknown-segment', `data reference ${typeLabel(e.type)} not on the allowlist`);
        }
      }
    });
    if (kids.length === 0 || this.m.selfContained.size === 0) this.flag('meta/dinf', box, 'unknown-segment', 'dinf without a self-contained data reference');
  }

  pitm(box: Box): void {
    const r = new Reader(this.b, box.body, box.end, 'pitm');
    const { version } = r.versionFlags();
    if (version > 1) throw new DeidError('malformed', `HEIF: pitm version ${version}`);
    this.m.pitmVersion = version;
    this.m.primary = version === 0 ? r.u16() : r.u32();
    this.rest(r, 'meta/pitm', box);
  }

  /** 14496-12 8.11.3: versions 0-2, field sizes of 0/4/8 bytes, extents per item. */
  iloc(box: Box): void {
    const r = new Reader(this.b, box.body, box.end, 'iloc');
    const { version } = r.versionFlags();
    if (version > 2) throw new DeidError('malformed', `HEIF: iloc version ${version}`);
    const sizes = r.u16();
    const offsetSize = sizes >> 12;
    const lengthSize = (sizes >> 8) & 0xf;
    const baseSize = (sizes >> 4) & 0xf;
    const indexSize = version === 0 ? 0 : sizes & 0xf;
    this.m.iloc = { version, offsetSize, lengthSize, baseSize };
    if (version === 0 && (sizes & 0xf) !== 0) this.flag('meta/iloc', box, 'unknown-segment', 'iloc reserved bits set');
    const extentSize = indexSize + offsetSize + lengthSize;
    const count = version < 2 ? r.u16() : r.u32();
    for (let i = 0; i < count; i++) {
      const id = version < 2 ? r.u16() : r.u32();
      let method = METHOD_FILE;
      if (version > 0) {
        const word = r.u16();
        method = word & 0xf;
        if (word >> 4) this.flag('meta/iloc', box, 'unknown-segment', 'iloc reserved bits set');
      }
      const dataRef = r.u16();
      const base = r.uint(baseSize);
      const extentCount = r.u16();
      // Extents of zero-size fields read no bytes: one stands for all, so a count cannot loop idle.
      const readable = extentSize === 0 ? Math.min(extentCount, 1) : extentCount;
      const extents: Extent[] = [];
      for (let e = 0; e < readable; e++) {
        if (r.uint(indexSize) !== 0) method = -1; // extent_index: method 2 data, never kept
        extents.push({ offset: base + r.uint(offsetSize), length: r.uint(lengthSize) });
      }
      if (this.m.locations.has(id)) this.flag('meta/iloc', box, 'unknown-segment', 'two iloc entries for one item (the first is used)');
      else this.m.locations.set(id, { method, dataRef, extents });
    }
    this.rest(r, 'meta/iloc', box);
  }

  /** 14496-12 8.11.6: iinf and its infe entries; item names are free text. */
  iinf(box: Box): void {
    const r = new Reader(this.b, box.body, box.end, 'iinf');
    const { version } = r.versionFlags();
    this.m.iinfVersion = version;
    const count = version === 0 ? r.u16() : r.u32();
    const kids = children(this.b, r.pos, box.end);
    if (kids.length !== count) this.flag('meta/iinf', box, 'unknown-segment', 'iinf entry count differs from its entries');
    const ids = new Set<number>();
    for (const k of kids) {
      if (k.type !== 'infe') {
        this.flag(`meta/iinf/${k.type}`, k, 'unknown-segment', `box ${typeLabel(k.type)} in iinf not on the allowlist`);
        continue;
      }
      const item = this.infe(k);
      if (ids.has(item.id)) throw new DeidError('malformed', `HEIF: item ${item.id} declared twice`);
      ids.add(item.id);
      this.m.items.push(item);
    }
  }

  infe(box: Box): Item {
    const r = new Reader(this.b, box.body, box.end, 'infe');
    const { version, flags } = r.versionFlags();
    const name = `meta/iinf/infe`;
    if (flags & ~INFE_HIDDEN) this.flag(name, box, 'unknown-segment', 'infe flags other than "hidden"');
    let id: number;
    let type = 'mime';
    if (version < 2) {
      id = r.u16();
    } else if (version <= 3) {
      id = version === 2 ? r.u16() : r.u32();
    } else {
      throw new DeidError('malformed', `HEIF: infe version ${version}`);
    }
    const protection = r.u16();
    if (version >= 2) type = r.fourcc();
    const itemName = r.cstring();
    if (itemName.length > 0) this.flag(name, box, 'comment', `item ${id} has a name (${itemName.length} bytes of text)`);
    let contentType: string | null = null;
    if (type === 'mime') {
      contentType = r.cstring().text;
      if (r.left() > 0) r.cstring(); // content_encoding (optional)
      if (version === 1 && r.left() > 0) r.skip(r.left()); // v1 extension: the item is dropped anyway
    } else if (type === 'uri ') {
      r.cstring();
    }
    this.rest(r, name, box);
    return { id, type, contentType, hidden: (flags & INFE_HIDDEN) !== 0, protection, infeVersion: version, box };
  }

  /** 14496-12 8.11.12: typed references, 16- (v0) or 32-bit (v1) item ids. */
  iref(box: Box): void {
    const r = new Reader(this.b, box.body, box.end, 'iref');
    const { version } = r.versionFlags();
    if (version > 1) throw new DeidError('malformed', `HEIF: iref version ${version}`);
    this.m.irefVersion = version;
    for (const c of children(this.b, r.pos, box.end)) {
      const cr = new Reader(this.b, c.body, c.end, `iref/${c.type}`);
      const id = () => (version === 0 ? cr.u16() : cr.u32());
      const from = id();
      const n = cr.u16();
      const to: number[] = [];
      for (let i = 0; i < n; i++) to.push(id());
      this.rest(cr, `meta/iref/${c.type}`, c);
      this.m.refs.push({ type: c.type, from, to });
    }
  }

  /** 23008-12 9.3: ipco (the properties, 1-based) and ipma (which item uses which). */
  iprp(box: Box): void {
    let ipco = false;
    for (const k of children(this.b, box.body, box.end)) {
      const name = `meta/iprp/${k.type}`;
      if (k.type === 'ipco' && !ipco) {
        ipco = true;
        this.m.props = children(this.b, k.body, k.end);
        this.m.verdicts = this.m.props.map((p) => propertyVerdict(this.b, p));
      } else if (k.type === 'ipma') {
        this.ipma(k);
      } else {
        this.flag(name, k, 'unknown-segment', k.type === 'ipco' ? 'a second ipco box (the first is used)' : `box ${typeLabel(k.type)} in iprp not on the allowlist`);
      }
    }
  }

  ipma(box: Box): void {
    const r = new Reader(this.b, box.body, box.end, 'ipma');
    const { version, flags } = r.versionFlags();
    if (version > 1) throw new DeidError('malformed', `HEIF: ipma version ${version}`);
    this.m.ipmaVersion = version;
    this.m.ipmaFlags = flags;
    if (flags & ~IPMA_LARGE_INDICES) this.flag('meta/iprp/ipma', box, 'unknown-segment', 'ipma flags other than the index size');
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const id = version < 1 ? r.u16() : r.u32();
      const n = r.u8();
      if (this.m.assoc.has(id)) throw new DeidError('malformed', `HEIF: item ${id} has two property associations`);
      const list: Association[] = [];
      for (let j = 0; j < n; j++) {
        const v = flags & IPMA_LARGE_INDICES ? r.u16() : r.u8();
        const top = flags & IPMA_LARGE_INDICES ? 0x8000 : 0x80;
        list.push({ index: v & (top - 1), essential: (v & top) !== 0 });
      }
      this.m.assoc.set(id, list);
    }
    this.rest(r, 'meta/iprp/ipma', box);
  }
}

export function readMeta(b: Uint8Array, meta: Box): MetaModel {
  return new MetaReader(b, meta).read();
}
