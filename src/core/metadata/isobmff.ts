/**
 * HEIF / HEIC / AVIF: ISO/IEC 14496-12 (ISO base media file format) boxes, with the item model of
 * ISO/IEC 23008-12 (HEIF) in the `meta` box and the AV1 Image File Format (AVIF) brands.
 *
 * The walk is an allowlist: the primary picture (its coded items, grid tiles and alpha plane),
 * the structure that describes it and the properties a decoder or renderer needs are clean;
 * everything else is a finding (Exif/XMP items, ICC profiles, thumbnails, depth and gain maps,
 * names, URLs, free space, unknown boxes, bytes after a box's last field or that no item uses).
 * The strip rewrites the file from the parsed model (isobmff-write.ts), copying coded image
 * data byte for byte. A file the walk calls clean is one the strip returns unchanged: when no
 * specific rule fires, the walk compares the file with its rewrite and reports any difference.
 *
 * Image sequences (a `moov` box: AVIF `avis`, HEIF `msf1`) are scanned but not rewritten: their
 * track headers carry creation and modification times and their sample tables would all need
 * rewriting; the strip refuses them and the CLI falls back to re-encoding the still image.
 */
import { DeidError, isDeidError } from '../errors';
import { children, isAllZero, readBox, typeLabel, UUID_SIZE, type Box } from './isobmff-box';
import { canonicalBrands, formatOfBrands, readBrands, type Brands } from './isobmff-brands';
import { classifyItems, itemRanges, keptItems, uncovered } from './isobmff-items';
import { boxPart, METHOD_FILE, METHOD_IDAT, readMeta, type MetaModel } from './isobmff-meta';
import { materialize, planEquals, rewriteFile, type Rewrite } from './isobmff-write';
import type { ContainerFormat, Finding, FindingKind, ImageFormat, Part, StripResult } from './types';

const BOX_HEADER = 8;
/** Image sequences nest moov/trak/mdia/minf/...: deeper than this is not a real file. */
const MAX_DEPTH = 8;
/** C2PA 2.1, 11.3.3: the manifest store in BMFF is a `uuid` box with this user type. */
const C2PA_UUID = 'd8fec3d61b0e483c92975828877c4c4d';
/** Containers inside an image sequence's moov (14496-12 8.3-8.8). */
const MOOV_CONTAINERS: ReadonlySet<string> = new Set(['trak', 'mdia', 'minf', 'stbl', 'edts', 'mvex', 'dinf']);
/** Leaf boxes of a track a sequence decoder uses (14496-12 8.2-8.8). */
const MOOV_LEAVES: ReadonlySet<string> = new Set([
  'mvhd', 'tkhd', 'mdhd', 'hdlr', 'vmhd', 'nmhd', 'dref', 'stsd', 'stts', 'ctts', 'stss', 'stsc', 'stsz', 'stz2', 'stco', 'co64',
  'elst', 'tref', 'sdtp', 'sbgp', 'sgpd', 'mehd', 'trex', 'ccst', 'auxi', 'colr',
]);

interface FileModel {
  brands: Brands;
  format: ImageFormat;
  meta: MetaModel | null;
  mdats: Box[];
  hasMoov: boolean;
  parts: Part[];
}

function hex(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

function uuidPart(b: Uint8Array, box: Box, name: string): Part {
  return hex(b, box.body - UUID_SIZE, box.body) === C2PA_UUID
    ? boxPart(name, box, 'c2pa', 'C2PA manifest store (may hold ingredient thumbnails)')
    : boxPart(name, box, 'unknown-segment', 'vendor uuid box not on the allowlist');
}

/** free/skip/wide (14496-12 8.1.2, QuickTime `wide`): never needed; content may be stale data. */
function paddingPart(b: Uint8Array, box: Box, name: string): Part {
  return isAllZero(b, box.body, box.end)
    ? boxPart(name, box, 'unknown-segment', 'empty padding box (not needed; dropped)')
    : boxPart(name, box, 'unknown-segment', 'padding box holding non-zero bytes (possibly stale data)');
}

/** A sequence's moov tree: udta/meta and unknown boxes anywhere in it are findings. */
function moovParts(b: Uint8Array, box: Box, name: string, depth: number, parts: Part[]): void {
  if (depth > MAX_DEPTH) throw new DeidError('malformed', `HEIF: boxes nested deeper than ${MAX_DEPTH} at ${box.offset}`);
  for (const k of children(b, box.body, box.end)) {
    const kidName = `${name}/${k.type}`;
    if (k.type === 'udta' || k.type === 'meta') parts.push(boxPart(kidName, k, 'unknown-segment', 'image-sequence user data or metadata'));
    else if (k.type === 'uuid') parts.push(uuidPart(b, k, kidName));
    else if (k.type === 'free' || k.type === 'skip') parts.push(paddingPart(b, k, kidName));
    else if (MOOV_CONTAINERS.has(k.type)) {
      parts.push(boxPart(kidName, k, null));
      moovParts(b, k, kidName, depth + 1, parts);
    } else if (MOOV_LEAVES.has(k.type)) parts.push(boxPart(kidName, k, null));
    else parts.push(boxPart(kidName, k, 'unknown-segment', `box ${typeLabel(k.type)} in moov not on the allowlist`));
  }
}

/** True when a box could start at `pos`: 8 bytes left and a printable type. */
function looksLikeBox(b: Uint8Array, pos: number): boolean {
  if (pos + BOX_HEADER > b.length) return false;
  for (let i = pos + 4; i < pos + BOX_HEADER; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

function ftypParts(brands: Brands, format: ImageFormat, box: Box): Part[] {
  const { problems } = canonicalBrands(brands, format);
  const parts: Part[] = [];
  const flag = (detail: string) => parts.push(boxPart('ftyp', box, 'unknown-segment', detail));
  // Brands are four free bytes each: an unregistered one is described, never repeated.
  if (problems.unregistered > 0) flag(`${problems.unregistered} brand(s) not on the list of registered HEIF/AVIF/MIAF brands`);
  if (problems.duplicates > 0) flag(`${problems.duplicates} repeated brand(s)`);
  if (problems.minorVersion) flag('ftyp minor version holds a value (informative only)');
  if (problems.trailing) flag('bytes after the last whole brand');
  if (parts.length === 0) parts.push(boxPart('ftyp', box, null));
  return parts;
}

/** The whole file read into parts and, for the strip, the item model. */
function readFile(b: Uint8Array): FileModel {
  const brands = readBrands(b);
  const format = formatOfBrands(brands);
  if (!brands || !format) throw new DeidError('malformed', 'HEIF: no leading ftyp box with a HEIF or AVIF brand');
  const model: FileModel = { brands, format, meta: null, mdats: [], hasMoov: false, parts: [] };
  let pos = 0;
  let first = true;
  while (pos < b.length) {
    if (!looksLikeBox(b, pos)) {
      const count = b.length - pos;
      model.parts.push({ name: 'after last box', offset: pos, length: count, finding: { kind: 'trailer', where: `@ ${pos}`, detail: `${count} bytes after the last box` } });
      break;
    }
    const box = readBox(b, pos, b.length);
    pos = box.end;
    if (first) {
      model.parts.push(...ftypParts(brands, format, box));
      first = false;
    } else if (box.type === 'meta' && !model.meta) {
      model.meta = readMeta(b, box);
      model.parts.push(...model.meta.parts);
    } else if (box.type === 'mdat') {
      model.mdats.push(box);
      model.parts.push(boxPart('mdat', box, null));
    } else if (box.type === 'moov') {
      model.hasMoov = true;
      model.parts.push(boxPart('moov', box, 'unknown-segment', 'image sequence (moov): track headers carry creation times; sequences are not rewritten'));
      moovParts(b, box, 'moov', 1, model.parts);
    } else if (box.type === 'uuid') model.parts.push(uuidPart(b, box, 'uuid'));
    else if (box.type === 'free' || box.type === 'skip' || box.type === 'wide') model.parts.push(paddingPart(b, box, box.type));
    else if (box.type === 'meta' || box.type === 'ftyp') model.parts.push(boxPart(box.type, box, 'unknown-segment', `a second ${typeLabel(box.type)} box`));
    else model.parts.push(boxPart(box.type, box, 'unknown-segment', `top-level box ${typeLabel(box.type)} not on the allowlist`));
  }
  if (model.meta) model.parts.push(...itemParts(b, model));
  return model;
}

/** Items, properties and data coverage: what the meta model holds beyond the picture. */
function itemParts(b: Uint8Array, model: FileModel): Part[] {
  const m = model.meta as MetaModel;
  const parts: Part[] = [];
  const kept = keptItems(m);
  const classes = classifyItems(b, m, kept);
  for (const item of m.items) {
    const loc = m.locations.get(item.id);
    const first = loc?.extents[0];
    const offset = first === undefined ? m.box.offset : loc?.method === METHOD_IDAT && m.idat ? m.idat.body + first.offset : first.offset;
    const at = { name: `item ${item.id}`, offset, length: first?.length ?? 0 };
    const found = classes.get(item.id)?.findings ?? [];
    if (found.length === 0) parts.push({ ...at, finding: null });
    for (const finding of found) parts.push({ ...at, finding });
  }
  // Properties: what a kept item uses is judged on its bytes; what no item uses is dropped.
  const usedByKept = new Set<number>();
  const usedAtAll = new Set<number>();
  for (const [id, list] of m.assoc) for (const a of list) (kept.has(id) ? usedByKept : usedAtAll).add(a.index);
  const firstWith = new Map<string, number>();
  m.props.forEach((p, i) => {
    const name = `ipco/${p.type} #${i + 1}`;
    const v = m.verdicts[i];
    if (usedByKept.has(i + 1)) {
      // The same property twice (23008-12 9.3: one ipco entry serves every item that uses it).
      const key = v.canonical ? v.canonical.join(',') : null;
      const first = key === null ? undefined : firstWith.get(key);
      if (key !== null && first === undefined) firstWith.set(key, i + 1);
      if (first !== undefined) parts.push(boxPart(name, p, 'unknown-segment', `repeats item property #${first}`));
      else if (v.problems.length === 0) parts.push(boxPart(name, p, null));
      for (const problem of v.problems) parts.push(boxPart(name, p, problem.kind, problem.detail));
    } else if (!usedAtAll.has(i + 1)) {
      const kind: FindingKind = v.problems.some((x) => x.kind === 'icc') ? 'icc' : 'unknown-segment';
      parts.push(boxPart(name, p, kind, `item property ${typeLabel(p.type)} not associated with any item`));
    }
  });
  // Bytes no item points to (23008-12 9.3 / 14496-12 8.11.3): in mdat, and in idat.
  if (!model.hasMoov) {
    const ranges = itemRanges(m, METHOD_FILE, 0, b.length);
    for (const mdat of model.mdats) {
      const n = uncovered(mdat.body, mdat.end, ranges);
      if (n > 0) parts.push(boxPart('mdat', mdat, 'unknown-segment', `${n} bytes in mdat that no item points to`));
    }
  }
  if (m.idat) {
    const n = uncovered(m.idat.body, m.idat.end, itemRanges(m, METHOD_IDAT, m.idat.body, m.idat.end));
    if (n > 0) parts.push(boxPart('meta/idat', m.idat, 'unknown-segment', `${n} bytes in idat that no item uses`));
  }
  return parts;
}

function rewrite(b: Uint8Array, model: FileModel): Rewrite {
  if (model.hasMoov) throw new DeidError('unsupported', 'HEIF: image sequences (moov) are not rewritten; their track headers carry times');
  if (!model.meta) throw new DeidError('unsupported', 'HEIF: no meta box, so no image items to keep');
  return rewriteFile(b, canonicalBrands(model.brands, model.format).brands, model.meta, keptItems(model.meta));
}

function detect(b: Uint8Array): ImageFormat | null {
  return formatOfBrands(readBrands(b));
}

function walk(bytes: Uint8Array): Part[] {
  const model = readFile(bytes);
  if (model.parts.some((p) => p.finding)) return model.parts;
  // No rule fired: the file must be exactly what the strip would write (verify clean <=> strip
  // is the identity), else the difference itself is the finding.
  let detail: string | null = null;
  try {
    if (!planEquals(rewrite(bytes, model), bytes)) detail = 'layout differs from the canonical rewrite (box order, field sizes, extents or padding)';
  } catch (e) {
    if (!isDeidError(e)) throw e;
    detail = `cannot be rewritten losslessly (${e.code})`;
  }
  if (detail !== null) model.parts.push({ name: 'file', offset: 0, length: bytes.length, finding: { kind: 'unknown-segment', where: 'file', detail } });
  return model.parts;
}

function strip(bytes: Uint8Array): StripResult {
  const model = readFile(bytes);
  const out = rewrite(bytes, model);
  const findings: Finding[] = model.parts.flatMap((p) => (p.finding ? [p.finding] : []));
  const removed = [...new Set(findings.map((f) => f.kind))].sort();
  return { bytes: materialize(out), removed, notes: out.notes };
}

export const isobmffFormat: ContainerFormat = {
  formats: ['heif', 'avif'],
  detect,
  walk,
  strip,
};
