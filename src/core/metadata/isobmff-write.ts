/**
 * The lossless ISO-BMFF rewrite: a new file holding ftyp, one meta and one mdat, built from the
 * parsed item model (isobmff-meta.ts) and the kept items (isobmff-items.ts). Coded image data
 * (HEVC/AV1 items, grid tiles, the alpha plane) is copied byte for byte; every structural box is
 * written from parsed values (ISO/IEC 14496-12 8.11, ISO/IEC 23008-12 9), so nothing but the
 * fields the spec defines survives. Field widths and versions follow the input where they can
 * express the result, so a file that is already clean comes back byte-identical.
 */
import { joinBytes } from '../bytes';
import { DeidError } from '../errors';
import { ascii, equalBytes, makeBox, makeFullBox, uintBytes } from './isobmff-box';
import type { Brands } from './isobmff-brands';
import { derivedItem } from './isobmff-derived';
import { itemBytes, keptUnits } from './isobmff-items';
import { INFE_HIDDEN, METHOD_FILE, METHOD_IDAT, type Association, type MetaModel } from './isobmff-meta';

/** Item types the rewrite keeps as picture (23008-12 6.6 derived images, HEVC, AV1). */
const WRITABLE_TYPES: ReadonlySet<string> = new Set(['hvc1', 'av01', 'grid', 'iden', 'iovl']);
/** Reference types between kept items (23008-12 6.4.6 auxl, 6.6.1 dimg, MIAF 7.3.5.1 prem). */
const KEPT_REFS: ReadonlySet<string> = new Set(['dimg', 'auxl', 'prem']);
const U16_MAX = 0xffff;
const U32_LIMIT = 0x100000000;
const MDAT_HEADER = 8;
const LARGE_MDAT_HEADER = 16;

/**
 * The rewritten file as a plan: `head` (ftyp, meta, the mdat header) followed by `pieces`, the
 * coded data of each item, most of them views into the input. `materialize` copies it into one
 * buffer; the walk compares a plan with its input without copying the coded data.
 */
export interface Rewrite {
  head: Uint8Array;
  pieces: Uint8Array[];
  notes: string[];
}

export function materialize(plan: Rewrite): Uint8Array {
  let n = plan.head.length;
  for (const p of plan.pieces) n += p.length;
  const out = new Uint8Array(n);
  out.set(plan.head, 0);
  let at = plan.head.length;
  for (const p of plan.pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** True when `input` is exactly what `plan` writes; pieces that are views of `input` at their own place need no byte comparison. */
export function planEquals(plan: Rewrite, input: Uint8Array): boolean {
  let n = plan.head.length;
  for (const p of plan.pieces) n += p.length;
  if (n !== input.length || !equalBytes(plan.head, input.subarray(0, plan.head.length))) return false;
  let at = plan.head.length;
  for (const p of plan.pieces) {
    const inPlace = p.buffer === input.buffer && p.byteOffset === input.byteOffset + at;
    if (!inPlace && !equalBytes(p, input.subarray(at, at + p.length))) return false;
    at += p.length;
  }
  return true;
}

interface KeptItem {
  id: number;
  type: string;
  hidden: boolean;
  infeVersion: number;
  method: number;
  /** null: the item has no data (an `iden`, or an iloc entry without extents). */
  data: Uint8Array | null;
  hasLocation: boolean;
  assoc: Association[];
}

function refuse(reason: string): never {
  throw new DeidError('unsupported', `HEIF: ${reason}; the file cannot be rewritten losslessly`);
}

function ftypBox(brands: Brands): Uint8Array {
  return makeBox('ftyp', [ascii(brands.major), uintBytes(brands.minor, 4), ...brands.compatible.map(ascii)]);
}

/** The kept items with their data, in iinf order; refuses what the rewrite cannot carry. */
function collectItems(b: Uint8Array, m: MetaModel, kept: Set<number>): KeptItem[] {
  // A derived image whose inputs are not all declared items cannot be written whole.
  for (const r of m.refs) {
    if (r.type === 'dimg' && kept.has(r.from) && r.to.some((t) => !kept.has(t))) {
      throw new DeidError('malformed', `HEIF: item ${r.from} is derived from an item that is not declared`);
    }
  }
  const out: KeptItem[] = [];
  for (const item of m.items) {
    if (!kept.has(item.id)) continue;
    if (!WRITABLE_TYPES.has(item.type)) refuse('the picture uses an item type other than HEVC, AV1, grid, overlay or identity');
    if (item.protection !== 0) refuse('the picture is a protected (encrypted) item');
    const loc = m.locations.get(item.id);
    let data: Uint8Array | null = null;
    // 23008-12 6.6.2.2: an identity item has no body; any extents it lists are not written.
    if (loc && loc.extents.length > 0 && item.type !== 'iden') {
      if (loc.method !== METHOD_FILE && loc.method !== METHOD_IDAT) refuse('a picture item is stored by item offset (construction method 2)');
      if (loc.dataRef !== 0 && !m.selfContained.has(loc.dataRef)) refuse('a picture item is stored in another file (data reference)');
      // HEVC and AV1 items are read once per distinct bytes (isobmff-items.ts keptUnits).
      const coded = keptUnits(b, m, item.id, item.type);
      data = coded ? coded.data : itemBytes(b, loc, m);
      if (!data) throw new DeidError('malformed', `HEIF: item ${item.id} points outside its data`);
      // Units that carry no picture (SEI, metadata OBUs, padding) are left out; the rest is copied.
      const units = coded?.units ?? null;
      if (units?.refuse) refuse(units.refuse);
      if (units) data = units.data;
      // An extent of length 0 would mean "to the end" (14496-12 8.11.3.3): empty data cannot be written.
      if (data.length === 0) throw new DeidError('malformed', `HEIF: picture item ${item.id} holds no coded data`);
      // grid/iovl: only the descriptor's own fields are written (bytes after them could hold
      // anything); a descriptor that hides an input picture cannot be kept (isobmff-derived.ts).
      const derived = derivedItem(b, m, item.id, item.type, data);
      if (derived?.refuse) refuse(derived.refuse);
      if (derived) {
        if (!derived.data) throw new DeidError('malformed', `HEIF: ${item.type} item ${item.id} does not hold its descriptor`);
        data = derived.data;
      }
    }
    if (!data && item.type !== 'iden') throw new DeidError('malformed', `HEIF: picture item ${item.id} has no data`);
    out.push({
      id: item.id, type: item.type, hidden: item.hidden, infeVersion: item.infeVersion, method: loc?.method ?? METHOD_FILE, data,
      hasLocation: loc !== undefined, assoc: m.assoc.get(item.id) ?? [],
    });
  }
  return out;
}

/** New ipco: properties kept items use, in input order, each distinct one once. */
function collectProperties(m: MetaModel, items: KeptItem[], notes: Set<string>): { props: Uint8Array[]; assoc: Map<number, Association[]> } {
  const used = new Set<number>();
  for (const item of items) for (const a of item.assoc) if (a.index > 0) used.add(a.index);
  const props: Uint8Array[] = [];
  const newIndex = new Map<number, number>();
  const byBytes = new Map<string, number>();
  for (let i = 1; i <= m.props.length; i++) {
    if (!used.has(i)) continue;
    const verdict = m.verdicts[i - 1];
    // icc.ts: a LUT/CMYK profile keeps its colours only through a pixel conversion.
    if (verdict.convert !== undefined) throw new DeidError('needs-conversion', `HEIF colour profile: ${verdict.convert}`);
    const canonical = verdict.canonical;
    if (!canonical) continue;
    if (verdict.iccReplaced) notes.add('replaced the embedded ICC profile with a clean copy (same colours, no identity)');
    const key = canonical.join(',');
    const existing = byBytes.get(key);
    if (existing !== undefined) {
      newIndex.set(i, existing);
      continue;
    }
    props.push(canonical);
    byBytes.set(key, props.length);
    newIndex.set(i, props.length);
  }
  const assoc = new Map<number, Association[]>();
  for (const item of items) {
    const list: Association[] = [];
    for (const a of item.assoc) {
      if (a.index === 0) continue;
      const to = newIndex.get(a.index);
      if (to === undefined) {
        const v = m.verdicts[a.index - 1];
        if (!v) throw new DeidError('malformed', `HEIF: item ${item.id} uses property ${a.index}, which does not exist`);
        if (v.problems.some((p) => p.kind === 'icc')) notes.add('dropped an ICC profile that cannot be read (colour falls back to nclx or sRGB)');
        else if (a.essential) refuse('the picture needs an item property the rewrite does not know');
        continue;
      }
      if (!list.some((x) => x.index === to)) list.push({ index: to, essential: a.essential });
    }
    assoc.set(item.id, list);
  }
  return { props, assoc };
}

interface Layout {
  items: KeptItem[];
  /** Where each item's data goes: offset in the new mdat body or the new idat. */
  at: Map<number, number>;
  mdatLength: number;
  idatData: Uint8Array[];
}

function layOut(items: KeptItem[], m: MetaModel): Layout {
  const at = new Map<number, number>();
  let mdatLength = 0;
  let idatLength = 0;
  const idatData: Uint8Array[] = [];
  // iloc entry order of the input (a Map keeps insertion order), then items it did not list.
  const order = [...m.locations.keys()];
  const byId = new Map(items.map((i) => [i.id, i]));
  const sorted = [...order.filter((id) => byId.has(id)).map((id) => byId.get(id) as KeptItem), ...items.filter((i) => !m.locations.has(i.id))];
  for (const item of sorted) {
    if (!item.data) continue;
    if (item.method === METHOD_IDAT) {
      at.set(item.id, idatLength);
      idatLength += item.data.length;
      idatData.push(item.data);
    } else {
      at.set(item.id, mdatLength);
      mdatLength += item.data.length;
    }
  }
  return { items: sorted, at, mdatLength, idatData };
}

function ilocBox(m: MetaModel, layout: Layout, mdatBody: number): Uint8Array {
  const { items, at } = layout;
  const bigIds = items.some((i) => i.id > U16_MAX);
  const needsMethod = items.some((i) => i.data && i.method === METHOD_IDAT);
  const version = bigIds ? 2 : needsMethod ? Math.max(1, m.iloc.version) : m.iloc.version;
  const wide = mdatBody + layout.mdatLength >= U32_LIMIT;
  const offsetSize = wide ? 8 : m.iloc.offsetSize === 8 ? 8 : 4;
  const lengthSize = wide ? 8 : m.iloc.lengthSize === 8 ? 8 : 4;
  const baseSize = m.iloc.baseSize === 0 ? 0 : wide ? 8 : m.iloc.baseSize === 8 ? 8 : 4;
  const entries: Uint8Array[] = [];
  let count = 0;
  for (const item of items) {
    if (!item.hasLocation) continue;
    count++;
    const parts: Uint8Array[] = [uintBytes(item.id, version < 2 ? 2 : 4)];
    if (version > 0) parts.push(uintBytes(item.data ? item.method : METHOD_FILE, 2));
    const offset = item.data ? (at.get(item.id) as number) + (item.method === METHOD_IDAT ? 0 : mdatBody) : 0;
    // With a base_offset field the position goes there and the extent offset is 0, as libheif
    // writes it (14496-12 8.11.3.3: the extent offset is relative to base_offset).
    parts.push(uintBytes(0, 2), uintBytes(baseSize > 0 ? offset : 0, baseSize));
    if (!item.data) parts.push(uintBytes(0, 2));
    else parts.push(uintBytes(1, 2), uintBytes(baseSize > 0 ? 0 : offset, offsetSize), uintBytes(item.data.length, lengthSize));
    entries.push(joinBytes(parts));
  }
  const sizes = uintBytes((offsetSize << 12) | (lengthSize << 8) | (baseSize << 4), 2);
  return makeFullBox('iloc', version, 0, [sizes, uintBytes(count, version < 2 ? 2 : 4), ...entries]);
}

function iinfBox(m: MetaModel, items: KeptItem[]): Uint8Array {
  const version = m.iinfVersion === 1 || items.length > U16_MAX ? 1 : 0;
  const entries = items.map((i) => {
    const v = i.id > U16_MAX ? 3 : i.infeVersion === 3 ? 3 : 2;
    // 14496-12 8.11.6.2: item_protection_index 0, item_type, an empty item_name.
    return makeFullBox('infe', v, i.hidden ? INFE_HIDDEN : 0, [uintBytes(i.id, v === 2 ? 2 : 4), uintBytes(0, 2), ascii(i.type), Uint8Array.of(0)]);
  });
  return makeFullBox('iinf', version, 0, [uintBytes(items.length, version === 0 ? 2 : 4), ...entries]);
}

function irefBox(m: MetaModel, kept: Set<number>): Uint8Array | null {
  const refs = m.refs
    .filter((r) => KEPT_REFS.has(r.type) && kept.has(r.from))
    .map((r) => ({ ...r, to: r.to.filter((t) => kept.has(t)) }))
    .filter((r) => r.to.length > 0);
  if (refs.length === 0) return null;
  const big = refs.some((r) => r.from > U16_MAX || r.to.some((t) => t > U16_MAX));
  const version = big ? 1 : m.irefVersion;
  const size = version === 0 ? 2 : 4;
  return makeFullBox('iref', version, 0, refs.map((r) => makeBox(r.type, [uintBytes(r.from, size), uintBytes(r.to.length, 2), ...r.to.map((t) => uintBytes(t, size))])));
}

function iprpBox(m: MetaModel, items: KeptItem[], props: Uint8Array[], assoc: Map<number, Association[]>): Uint8Array {
  const withProps = items.filter((i) => (assoc.get(i.id) ?? []).length > 0);
  const version = withProps.some((i) => i.id > U16_MAX) ? 1 : m.ipmaVersion;
  const large = props.length > 0x7f ? 1 : m.ipmaFlags & 1;
  const entries = withProps.map((i) => {
    const list = assoc.get(i.id) as Association[];
    const indices = list.map((a) => (large ? uintBytes(a.index | (a.essential ? 0x8000 : 0), 2) : Uint8Array.of(a.index | (a.essential ? 0x80 : 0))));
    return joinBytes([uintBytes(i.id, version === 0 ? 2 : 4), Uint8Array.of(list.length), ...indices]);
  });
  const ipma = makeFullBox('ipma', version, large, [uintBytes(withProps.length, 4), ...entries]);
  return makeBox('iprp', [makeBox('ipco', props), ipma]);
}

/** 14496-12 8.4.3 for HEIF (23008-12 9.2): handler `pict`, an empty name. */
const HDLR = makeFullBox('hdlr', 0, 0, [uintBytes(0, 4), ascii('pict'), new Uint8Array(12), Uint8Array.of(0)]);
/** 14496-12 8.7.2: one self-contained `url ` entry (flags 1, no location). */
const DINF = makeBox('dinf', [makeFullBox('dref', 0, 0, [uintBytes(1, 4), makeFullBox('url ', 0, 1, [])])]);

/** The rewritten file: ftyp, meta, mdat (coded data only, in iloc order). */
export function rewriteFile(b: Uint8Array, brands: Brands, m: MetaModel, kept: Set<number>): Rewrite {
  // hdlr for a HEIF image collection (23008-12 9.2).
  if (m.handler !== 'pict') refuse('the meta box is not a HEIF image collection (handler other than pict)');
  if (m.primary === null || !kept.has(m.primary)) refuse('there is no primary item');
  const notes = new Set<string>();
  const items = collectItems(b, m, kept);
  const { props, assoc } = collectProperties(m, items, notes);
  const layout = layOut(items, m);
  const pitmVersion = m.primary > U16_MAX ? 1 : m.pitmVersion;
  const pitm = makeFullBox('pitm', pitmVersion, 0, [uintBytes(m.primary, pitmVersion === 0 ? 2 : 4)]);
  const iref = irefBox(m, kept);
  const idat = layout.idatData.length > 0 ? makeBox('idat', layout.idatData) : null;
  const order = [...m.order];
  for (const t of ['pitm', 'iloc', 'iinf', 'iprp']) if (!order.includes(t)) order.push(t);
  if (iref && !order.includes('iref')) order.push('iref');
  if (idat && !order.includes('idat')) order.push('idat');
  const head = ftypBox(brands);
  const build = (mdatBody: number) => {
    const boxes: Uint8Array[] = [];
    for (const t of order) {
      if (t === 'hdlr') boxes.push(HDLR);
      else if (t === 'dinf') boxes.push(DINF);
      else if (t === 'pitm') boxes.push(pitm);
      else if (t === 'iloc') boxes.push(ilocBox(m, layout, mdatBody));
      else if (t === 'iinf') boxes.push(iinfBox(m, items));
      else if (t === 'iref' && iref) boxes.push(iref);
      else if (t === 'iprp') boxes.push(iprpBox(m, items, props, assoc));
      else if (t === 'idat' && idat) boxes.push(idat);
    }
    return makeFullBox('meta', 0, 0, boxes);
  };
  const mdatHeader = layout.mdatLength + MDAT_HEADER >= U32_LIMIT ? LARGE_MDAT_HEADER : MDAT_HEADER;
  // Field widths do not depend on offset values: measure once, then write with real offsets.
  const metaLength = build(0).length;
  const meta = build(head.length + metaLength + mdatHeader);
  const mdatSize = layout.mdatLength > 0 ? mdatHeader + layout.mdatLength : 0;
  const mdat = mdatSize === 0
    ? new Uint8Array(0)
    : mdatHeader === MDAT_HEADER
      ? joinBytes([uintBytes(mdatSize, 4), ascii('mdat')])
      : joinBytes([uintBytes(1, 4), ascii('mdat'), uintBytes(mdatSize, 8)]);
  const pieces: Uint8Array[] = [];
  for (const item of layout.items) if (item.data && item.method !== METHOD_IDAT) pieces.push(item.data);
  return { head: joinBytes([head, meta, mdat]), pieces, notes: [...notes] };
}
