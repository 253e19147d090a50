/**
 * Writes the kept pages of a TIFF as a new file in the input's byte order and variant (classic
 * TIFF, or BigTIFF when the input was BigTIFF). Layout per page: the IFD (entries sorted by tag,
 * TIFF 6.0 section 2), its out-of-line values, then its strips or tiles copied byte for byte; every
 * structure starts on a word boundary (section 2) with zero padding, pages chained in input order.
 * Nothing else is written, so the output walks clean and strips to itself.
 */
import { DeidError } from '../errors';
import { BIG, BIGTIFF_MAGIC, ByteWriter, CLASSIC, CLASSIC_MAGIC, TYPE, TYPE_SIZES, type Geometry } from './tiff-layout';
import type { KeptEntry, KeptPage, TiffAnalysis } from './tiff-pages';

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;

function align(n: number): number {
  return n + (n & 1);
}

interface PageLayout {
  ifd: number;
  entries: KeptEntry[];
  /** Where each out-of-line value goes (same order as entries; -1 for inline). */
  valueAt: number[];
  chunkAt: number[];
  end: number;
}

/** The offset type that holds every offset, starting from the input's (SHORT may grow to LONG, LONG to LONG8). */
function widen(type: number, max: number, g: Geometry): number {
  if (type === TYPE.SHORT && max <= UINT16_MAX) return type;
  if ((type === TYPE.SHORT || type === TYPE.LONG) && max <= UINT32_MAX) return TYPE.LONG;
  if (g.big) return TYPE.LONG8;
  throw new DeidError('unsupported', 'TIFF: the rewritten file would pass 4 GiB; classic TIFF cannot address it');
}

function integerBytes(type: number, values: readonly number[], little: boolean): Uint8Array {
  const size = TYPE_SIZES[type];
  const out = new Uint8Array(values.length * size);
  const w = new ByteWriter(out, little);
  values.forEach((v, i) => {
    if (type === TYPE.SHORT) w.u16(i * 2, v);
    else if (type === TYPE.LONG) w.u32(i * 4, v);
    else w.u64(i * 8, v);
  });
  return out;
}

function layoutPage(page: KeptPage, at: number, g: Geometry, little: boolean, offsetsType: number): PageLayout {
  const counts = page.chunks.map((c) => c.bytes?.length ?? c.length);
  const countsType = widen(page.countsType, Math.max(0, ...counts), g);
  const placeholder = new Array<number>(page.chunks.length).fill(0);
  const entries = [
    ...page.entries,
    { tag: page.offsetsTag, type: offsetsType, count: page.chunks.length, value: integerBytes(offsetsType, placeholder, little) },
    { tag: page.countsTag, type: countsType, count: page.chunks.length, value: integerBytes(countsType, counts, little) },
  ].sort((x, y) => x.tag - y.tag);
  const ifd = align(at);
  let cursor = ifd + g.countField + entries.length * g.entry + g.nextField;
  const valueAt = entries.map((e) => {
    if (e.value.length <= g.slot) return -1;
    const where = align(cursor);
    cursor = where + e.value.length;
    return where;
  });
  const chunkAt = page.chunks.map((c) => {
    const where = align(cursor);
    cursor = where + (c.bytes?.length ?? c.length);
    return where;
  });
  return { ifd, entries, valueAt, chunkAt, end: cursor };
}

export function writeTiffPages(source: Uint8Array, analysis: Pick<TiffAnalysis, 'pages' | 'little' | 'big'>): Uint8Array {
  const { little, big } = analysis;
  const g = big ? BIG : CLASSIC;
  // The offset type may have to widen once the positions are known; two passes settle it.
  const layouts: PageLayout[] = [];
  let at = g.header;
  for (const page of analysis.pages) {
    let type = page.offsetsType;
    let layout = layoutPage(page, at, g, little, type);
    for (let pass = 0; pass < 3; pass++) {
      const wider = widen(type, Math.max(0, ...layout.chunkAt), g);
      if (wider === type) break;
      type = wider;
      layout = layoutPage(page, at, g, little, type);
    }
    const offsets = layout.entries.find((e) => e.tag === page.offsetsTag) as KeptEntry;
    offsets.value = integerBytes(offsets.type, layout.chunkAt, little);
    layouts.push(layout);
    at = layout.end;
  }
  if (!big && at > UINT32_MAX) throw new DeidError('unsupported', 'TIFF: the rewritten file would pass 4 GiB; classic TIFF cannot address it');
  const out = new Uint8Array(at);
  const w = new ByteWriter(out, little);
  out.set(little ? [0x49, 0x49] : [0x4d, 0x4d], 0);
  w.u16(2, big ? BIGTIFF_MAGIC : CLASSIC_MAGIC);
  if (big) {
    w.u16(4, 8);
    w.u64(8, layouts[0].ifd);
  } else {
    w.u32(4, layouts[0].ifd);
  }
  layouts.forEach((layout, index) => {
    const page = analysis.pages[index];
    if (big) w.u64(layout.ifd, layout.entries.length);
    else w.u16(layout.ifd, layout.entries.length);
    layout.entries.forEach((e, i) => {
      const entry = layout.ifd + g.countField + i * g.entry;
      w.u16(entry, e.tag);
      w.u16(entry + 2, e.type);
      if (big) w.u64(entry + 4, e.count);
      else w.u32(entry + 4, e.count);
      const slot = entry + 4 + g.slot;
      if (layout.valueAt[i] < 0) {
        out.set(e.value, slot);
      } else {
        if (big) w.u64(slot, layout.valueAt[i]);
        else w.u32(slot, layout.valueAt[i]);
        out.set(e.value, layout.valueAt[i]);
      }
    });
    const nextField = layout.ifd + g.countField + layout.entries.length * g.entry;
    const next = index + 1 < layouts.length ? layouts[index + 1].ifd : 0;
    if (big) w.u64(nextField, next);
    else w.u32(nextField, next);
    page.chunks.forEach((c, i) => out.set(c.bytes ?? source.subarray(c.start, c.start + c.length), layout.chunkAt[i]));
  });
  return out;
}
