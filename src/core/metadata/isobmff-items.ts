/**
 * Which HEIF items make up the picture (kept) and what every other item is (a finding):
 * ISO/IEC 23008-12 section 6 (image items, derived images `dimg`, auxiliary images `auxl`,
 * thumbnails `thmb`, metadata items `cdsc`) and A.2 (Exif items).
 *
 * Kept: the primary item, the items it is derived from (grid tiles, overlay and identity inputs)
 * and its alpha plane. Dropped: Exif and XMP items, thumbnails (an unredacted preview), every
 * other auxiliary image (depth maps can carry the subject's silhouette; HDR gain maps are a
 * second picture of the scene that obscuring the primary image does not cover), tone-map items,
 * additional images and items of unknown types.
 */
import { joinBytes, u32be } from '../bytes';
import { DeidError, isDeidError } from '../errors';
import { typeLabel } from './isobmff-box';
import { derivedItem } from './isobmff-derived';
import { av1Units, hevcLengthSize, hevcUnits, type CodedUnits } from './isobmff-coded';
import { METHOD_FILE, METHOD_IDAT, type Location, type MetaModel } from './isobmff-meta';
import { ALPHA_AUX_TYPES } from './isobmff-props';
import { scanExif } from './tiff-ifd';
import type { Finding, FindingKind } from './types';

/** Item types that are picture data or derive a picture from other items (23008-12 6, AVIF, MIAF). */
const IMAGE_ITEM_TYPES: ReadonlySet<string> = new Set([
  'hvc1', 'hvt1', 'lhv1', 'av01', 'avc1', 'vvc1', 'jpeg', 'j2k1', 'unci', 'grid', 'iden', 'iovl',
]);
/** The XMP MIME type (XMP Specification part 3, 1.1.4). */
const XMP_CONTENT_TYPE = 'application/rdf+xml';
/** MIME content types a finding may name (registered types, no author text). */
const KNOWN_CONTENT_TYPES: ReadonlySet<string> = new Set([
  'application/rdf+xml', 'image/jpeg', 'image/png', 'image/heic', 'image/avif', 'application/octet-stream',
  'application/xml', 'text/xml', 'application/json', 'text/plain', 'application/c2pa', 'application/x-c2pa-manifest-store',
]);
/** ISO/IEC 23008-12 A.2.1: an Exif item starts with a 4-byte offset to the TIFF header. */
const EXIF_OFFSET_PREFIX = 4;

export interface ItemClass {
  keep: boolean;
  findings: Finding[];
}

/** Where an item's extents lie, as [start, end) pairs in the file; null when they cannot be resolved. */
function itemSpans(b: Uint8Array, loc: Location | undefined, m: MetaModel): Array<[number, number]> | null {
  if (!loc || loc.extents.length === 0) return null;
  let base: number;
  let limit: number;
  if (loc.method === METHOD_FILE) {
    base = 0;
    limit = b.length;
  } else if (loc.method === METHOD_IDAT && m.idat) {
    base = m.idat.body;
    limit = m.idat.end;
  } else {
    return null;
  }
  const spans: Array<[number, number]> = [];
  for (const { offset, length } of loc.extents) {
    const start = base + offset;
    // 14496-12 8.11.3.3: length 0 means "the whole of the referenced data".
    const end = length === 0 ? limit : start + length;
    if (start > limit || end > limit || end < start) return null;
    spans.push([start, end]);
  }
  // Extents of one item that add up to more than the data they point into repeat or overlap:
  // joined, 2000 extents of one 1 MB run made 2 GB of a 1 MB file. No writer does that.
  const total = spans.reduce((n, [s, e]) => n + e - s, 0);
  if (total > limit - base) throw new DeidError('malformed', `HEIF: the ${spans.length} extents of one item add up to ${total} bytes, more than the ${limit - base} bytes of the ${loc.method === METHOD_FILE ? 'file' : 'idat box'} they point into (they repeat or overlap)`);
  return spans;
}

/** The bytes of an item stored in the file or in idat; null when they cannot be resolved. */
export function itemBytes(b: Uint8Array, loc: Location | undefined, m: MetaModel): Uint8Array | null {
  const spans = itemSpans(b, loc, m);
  if (!spans) return null;
  return spans.length === 1 ? b.subarray(spans[0][0], spans[0][1]) : joinBytes(spans.map(([s, e]) => b.subarray(s, e)));
}

/** Item types whose coded data is split into units (codedUnits). */
const CODED_TYPES: ReadonlySet<string> = new Set(['hvc1', 'av01']);

/** Per file model: the readings of kept coded items by the bytes they read, and how many bytes were read. */
const readings = new WeakMap<MetaModel, { byBytes: Map<string, { data: Uint8Array | null; units: CodedUnits | null }>; bytes: number }>();

/**
 * A kept HEVC or AV1 item's data and units (codedUnits), read once per file for the bytes it
 * points at: reading costs the data's length, and iloc may point any number of items, or any
 * number of extents of one item, at the same bytes (2000 grid tiles on one 600 kB run of NAL
 * units took 7.3 s; 65535 extents of one item would be joined into 65535 copies). Items that
 * point at the same extents get the first one's reading. The distinct ones add up to at most
 * the file unless their bytes overlap from different starts: past that, the item is refused
 * with the reason before its bytes are joined or read. Null for other item types.
 */
export function keptUnits(b: Uint8Array, m: MetaModel, id: number, type: string): { data: Uint8Array | null; units: CodedUnits | null } | null {
  if (!CODED_TYPES.has(type)) return null;
  const loc = m.locations.get(id);
  const spans = itemSpans(b, loc, m);
  if (!spans) return { data: null, units: null };
  let r = readings.get(m);
  if (!r) {
    r = { byBytes: new Map(), bytes: 0 };
    readings.set(m, r);
  }
  const lengthSize = type === 'hvc1' ? hvcCLengthSize(b, m, id) : null;
  const key = `${type}:${lengthSize}:${spans.map(([s, e]) => `${s}-${e}`).join(',')}`;
  const known = r.byBytes.get(key);
  if (known) return known;
  r.bytes += spans.reduce((n, [s, e]) => n + e - s, 0);
  let reading: { data: Uint8Array | null; units: CodedUnits | null };
  if (r.bytes > b.length) {
    const why = `picture items whose coded data overlap: the distinct ones add up to more than the file's ${b.length} bytes, so bytes are read as more than one item (23008-12 9.3); not read`;
    reading = { data: new Uint8Array(0), units: { data: new Uint8Array(0), problems: [why], refuse: why } };
  } else {
    const data = itemBytes(b, loc, m);
    reading = { data, units: data ? codedUnits(b, m, id, type, data) : null };
  }
  r.byBytes.set(key, reading);
  return reading;
}

/** The NAL unit length size an hvc1 item's hvcC gives, or null (as codedUnits reads it). */
function hvcCLengthSize(b: Uint8Array, m: MetaModel, id: number): number | null {
  for (const a of m.assoc.get(id) ?? []) {
    const p = m.props[a.index - 1];
    if (p?.type === 'hvcC') return hevcLengthSize(b, p);
  }
  return null;
}

function exifFindings(data: Uint8Array | null, where: string): Finding[] {
  if (!data) return [{ kind: 'exif', where, detail: 'EXIF block (stored where the walk does not follow)' }];
  if (data.length < EXIF_OFFSET_PREFIX) return [{ kind: 'exif', where, detail: 'EXIF block (too short to read)' }];
  const tiffStart = EXIF_OFFSET_PREFIX + u32be(data, 0);
  if (tiffStart >= data.length) return [{ kind: 'exif', where, detail: 'EXIF block (TIFF header offset out of range)' }];
  try {
    const found = scanExif(data.subarray(tiffStart), where).findings;
    // Even an orientation-only block is reported: HEIF orientation lives in irot/imir (23008-12
    // 6.5.10), readers ignore Exif orientation, so the strip drops the whole item.
    return found.length > 0 ? found : [{ kind: 'exif', where, detail: 'EXIF block (orientation only)' }];
  } catch (e) {
    if (!isDeidError(e)) throw e;
    return [{ kind: 'exif', where, detail: `EXIF block (unreadable: ${e.code})` }];
  }
}

/** The units of a kept HEVC or AV1 item (isobmff-coded.ts); null for other types or without hvcC. */
export function codedUnits(b: Uint8Array, m: MetaModel, id: number, type: string, data: Uint8Array): CodedUnits | null {
  if (type === 'av01') return av1Units(data);
  if (type !== 'hvc1') return null;
  for (const a of m.assoc.get(id) ?? []) {
    const p = m.props[a.index - 1];
    if (p?.type !== 'hvcC') continue;
    const size = hevcLengthSize(b, p);
    return size === null ? null : hevcUnits(data, size);
  }
  return null;
}

/** The auxiliary type of an item (its auxC property), '' when it has none. */
export function auxTypeOf(m: MetaModel, id: number): string {
  for (const a of m.assoc.get(id) ?? []) {
    const v = m.verdicts[a.index - 1];
    if (v?.type === 'auxC' && v.auxType !== undefined) return v.auxType;
  }
  return '';
}

/** The items `from` is derived from, transitively (dimg, 23008-12 6.6.1). */
function withInputs(start: number[], m: MetaModel, into: Set<number>): void {
  const inputs = new Map<number, number[]>();
  for (const ref of m.refs) if (ref.type === 'dimg') inputs.set(ref.from, [...(inputs.get(ref.from) ?? []), ...ref.to]);
  const queue = [...start];
  while (queue.length > 0) {
    const id = queue.pop() as number;
    if (into.has(id)) continue;
    into.add(id);
    queue.push(...(inputs.get(id) ?? []));
  }
}

/** The kept set: the primary picture, its derivation inputs, and the alpha planes of those. */
export function keptItems(m: MetaModel): Set<number> {
  const kept = new Set<number>();
  if (m.primary === null) return kept;
  withInputs([m.primary], m, kept);
  const picture = new Set(kept);
  const alpha = m.refs
    .filter((r) => r.type === 'auxl' && r.to.some((t) => picture.has(t)) && ALPHA_AUX_TYPES.has(auxTypeOf(m, r.from)))
    .map((r) => r.from);
  withInputs(alpha, m, kept);
  const declared = new Set(m.items.map((i) => i.id));
  for (const id of kept) if (!declared.has(id)) kept.delete(id);
  return kept;
}

/** Every item's verdict: kept (no finding) or what it is. */
export function classifyItems(b: Uint8Array, m: MetaModel, kept: Set<number>): Map<number, ItemClass> {
  const thumbnails = new Set(m.refs.filter((r) => r.type === 'thmb').map((r) => r.from));
  const auxiliary = new Set(m.refs.filter((r) => r.type === 'auxl').map((r) => r.from));
  const out = new Map<number, ItemClass>();
  for (const item of m.items) {
    const where = `item ${item.id} (${typeLabel(item.type)})`;
    const one = (kind: FindingKind, detail: string): ItemClass => ({ keep: false, findings: [{ kind, where, detail }] });
    if (kept.has(item.id)) {
      const coded = keptUnits(b, m, item.id, item.type);
      const derived = coded ? null : derivedItem(b, m, item.id, item.type, itemBytes(b, m.locations.get(item.id), m));
      const problems = derived ? derived.problems : coded?.units?.problems ?? [];
      out.set(item.id, { keep: true, findings: problems.map((detail) => ({ kind: 'unknown-segment' as const, where, detail })) });
    } else if (item.type === 'Exif') {
      out.set(item.id, { keep: false, findings: exifFindings(itemBytes(b, m.locations.get(item.id), m), where) });
    } else if (item.type === 'mime') {
      const contentType = (item.contentType ?? '').split(';')[0].trim().toLowerCase();
      if (contentType === XMP_CONTENT_TYPE) out.set(item.id, one('xmp', 'XMP packet (mime item)'));
      // The content type is written by whoever made the file: only registered types are named.
      else out.set(item.id, one('unknown-segment', KNOWN_CONTENT_TYPES.has(contentType) ? `MIME item of type "${contentType}"` : 'a MIME item of another type'));
    } else if (thumbnails.has(item.id)) {
      out.set(item.id, one('thumbnail', 'thumbnail image (an unredacted preview)'));
    } else if (auxiliary.has(item.id)) {
      // The auxC URN is free text: not repeated.
      const alpha = ALPHA_AUX_TYPES.has(auxTypeOf(m, item.id));
      out.set(item.id, one('unknown-segment', alpha ? 'alpha plane of an image that is not kept' : 'auxiliary image (depth/gain map or other non-alpha plane)'));
    } else if (!IMAGE_ITEM_TYPES.has(item.type)) {
      out.set(item.id, one('unknown-segment', `item of type ${typeLabel(item.type)} not on the allowlist`));
    } else {
      out.set(item.id, one('unknown-segment', 'additional image item (not part of the primary picture)'));
    }
  }
  return out;
}

/**
 * Bytes of [start, end) that no extent covers. Extents are clipped to the range; the count is
 * linear in the number of extents (sorted once).
 */
export function uncovered(start: number, end: number, extents: Array<{ from: number; to: number }>): number {
  const inside = extents
    .map((e) => ({ from: Math.max(start, e.from), to: Math.min(end, e.to) }))
    .filter((e) => e.to > e.from)
    .sort((x, y) => x.from - y.from);
  let covered = 0;
  let reach = start;
  for (const e of inside) {
    if (e.to <= reach) continue;
    covered += e.to - Math.max(reach, e.from);
    reach = e.to;
  }
  return end - start - covered;
}

/** Every item's extents as absolute ranges (method 0 in the file, method 1 in idat). */
export function itemRanges(m: MetaModel, method: number, base: number, limit: number): Array<{ from: number; to: number }> {
  const out: Array<{ from: number; to: number }> = [];
  for (const loc of m.locations.values()) {
    if (loc.method !== method) continue;
    for (const e of loc.extents) {
      const from = base + e.offset;
      out.push({ from, to: e.length === 0 ? limit : from + e.length });
    }
  }
  return out;
}
