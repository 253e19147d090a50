/**
 * Derived image items (ISO/IEC 23008-12 6.6.2): the `grid` and `iovl` descriptors read to their
 * defined end, and the bodiless `iden`. A derived item places whole coded pictures on a canvas, so
 * besides bytes after the descriptor's fields it can hide a picture outright: a tile or overlay
 * input the canvas never shows keeps its coded data through every rewrite while no viewer, and no
 * check of the shown pixels, ever sees it. Such an item is a finding and the rewrite refuses it.
 */
import { u16be, u32be } from '../bytes';
import type { MetaModel } from './isobmff-meta';
import { ALPHA_AUX_TYPES } from './isobmff-props';

export interface DerivedVerdict {
  /** The descriptor the rewrite writes (null: no item body, as for `iden`). */
  data: Uint8Array | null;
  problems: string[];
  /** Why no rewrite can keep the item as it is (a hidden input picture), or null. */
  refuse: string | null;
}

/** grid (23008-12 6.6.2.3.2): version 0, flags (bit 0: 32-bit sizes), rows-1, columns-1, output size. */
const GRID_FIXED = 4;
/** iovl (23008-12 6.6.2.4.2): version 0, flags (bit 0: 32-bit fields), canvas_fill_value[4] of 16 bits. */
const IOVL_FIXED = 2 + 4 * 2;
const LARGE_FIELDS = 1;
/**
 * Overlay inputs judged for covering (each against every later one, so the work grows with the
 * square): 2^12 is 8 million comparisons. One iref entry may list 65535 inputs (14496-12 8.11.12,
 * 16-bit reference_count), the same item again and again, in a 180 kB file that took 56 s to
 * judge; an encoder's overlay composes a handful of pictures.
 */
const MAX_OVERLAY_INPUTS = 1 << 12;
/** ispe (23008-12 6.5.3): FullBox header, then width(4) and height(4). */
const ISPE_WIDTH = 4;
const ISPE_SIZE = 12;

interface Size {
  width: number;
  height: number;
}

/** The items `id` is derived from, in reference order (23008-12 6.6.1: the order is meaningful). */
export function inputsOf(m: MetaModel, id: number): number[] {
  return m.refs.filter((r) => r.type === 'dimg' && r.from === id).flatMap((r) => r.to);
}

/** An item's ispe, or null when it has none. */
function extentOf(b: Uint8Array, m: MetaModel, id: number): Size | null {
  for (const a of m.assoc.get(id) ?? []) {
    const p = m.props[a.index - 1];
    if (p?.type !== 'ispe' || p.end - p.body < ISPE_SIZE) continue;
    return { width: u32be(b, p.body + ISPE_WIDTH), height: u32be(b, p.body + ISPE_WIDTH + 4) };
  }
  return null;
}

function hasAlphaPlane(m: MetaModel, id: number): boolean {
  return m.refs.some((r) => r.type === 'auxl' && r.to.includes(id) && (m.assoc.get(r.from) ?? []).some((a) => {
    const v = m.verdicts[a.index - 1];
    return v?.type === 'auxC' && v.auxType !== undefined && ALPHA_AUX_TYPES.has(v.auxType);
  }));
}

function field(data: Uint8Array, at: number, size: number): number {
  return size === 4 ? u32be(data, at) : u16be(data, at);
}

function signedField(data: Uint8Array, at: number, size: number): number {
  const v = field(data, at, size);
  return size === 4 ? v | 0 : (v << 16) >> 16;
}

/** Fixed fields canonical: reserved flag bits cleared, nothing after the last field. */
function trimmed(data: Uint8Array, size: number, what: string): { data: Uint8Array; problems: string[] } {
  const problems: string[] = [];
  const out = data.slice(0, size);
  out[1] &= LARGE_FIELDS;
  if (out[1] !== data[1]) problems.push(`${what} flags other than the field size`);
  if (data.length > size) problems.push(`${data.length - size} bytes after the ${what} descriptor`);
  return { data: out, problems };
}

/**
 * 23008-12 6.6.2.3: the tiles fill the grid row by row, all of one size, and the picture is the
 * top-left output_width x output_height of it. Tiles past rows x columns, a tile of another size
 * or a grid cropped by a whole tile leave coded pictures no viewer shows (MIAF 7.3.11.4.2: the
 * output covers part of every tile row and column).
 */
function grid(b: Uint8Array, m: MetaModel, id: number, data: Uint8Array): DerivedVerdict {
  if (data.length < GRID_FIXED || data[0] !== 0) return { data: null, problems: ['grid descriptor that does not parse'], refuse: null };
  const size = data[1] & LARGE_FIELDS ? 4 : 2;
  if (data.length < GRID_FIXED + 2 * size) return { data: null, problems: ['grid descriptor that does not parse'], refuse: null };
  const { data: canonical, problems } = trimmed(data, GRID_FIXED + 2 * size, 'grid');
  const rows = data[2] + 1;
  const columns = data[3] + 1;
  const width = field(data, GRID_FIXED, size);
  const height = field(data, GRID_FIXED + size, size);
  const tiles = inputsOf(m, id);
  let hidden: string | null = null;
  if (tiles.length !== rows * columns) hidden = `a grid of ${rows} x ${columns} tiles with ${tiles.length} inputs`;
  else {
    const sizes = tiles.map((t) => extentOf(b, m, t));
    const tile = sizes[0];
    if (sizes.some((s) => !s || s.width !== tile?.width || s.height !== tile?.height)) hidden = 'grid tiles without one common size (ispe)';
    else if (tile && (width <= (columns - 1) * tile.width || height <= (rows - 1) * tile.height)) hidden = 'a grid cropped by whole tiles';
  }
  if (hidden !== null) problems.push(`${hidden}: coded pictures no viewer shows`);
  return { data: canonical, problems, refuse: hidden };
}

/**
 * 23008-12 6.6.2.4: the inputs are drawn in reference order on a canvas of the fill colour, at
 * signed offsets, clipped to the canvas. An input wholly outside the canvas, or wholly under a
 * later input without an alpha plane, is never shown.
 */
function overlay(b: Uint8Array, m: MetaModel, id: number, data: Uint8Array): DerivedVerdict {
  const inputs = inputsOf(m, id);
  if (data.length < 2 || data[0] !== 0) return { data: null, problems: ['overlay descriptor that does not parse'], refuse: null };
  const size = data[1] & LARGE_FIELDS ? 4 : 2;
  const length = IOVL_FIXED + 2 * size + inputs.length * 2 * size;
  if (data.length < length) return { data: null, problems: ['overlay descriptor that does not parse'], refuse: null };
  const { data: canonical, problems } = trimmed(data, length, 'overlay');
  const canvas = { x: 0, y: 0, width: field(data, IOVL_FIXED, size), height: field(data, IOVL_FIXED + size, size) };
  const rects = inputs.map((input, i) => {
    const at = IOVL_FIXED + 2 * size + i * 2 * size;
    const extent = extentOf(b, m, input);
    return extent ? { x: signedField(data, at, size), y: signedField(data, at + size, size), ...extent } : null;
  });
  let hidden: string | null = null;
  // Each input is compared with every later one: beyond MAX_OVERLAY_INPUTS that is too much work
  // to do, so the overlay is not judged and is refused as one that may hide a picture.
  if (inputs.length > MAX_OVERLAY_INPUTS) hidden = `an overlay of ${inputs.length} inputs, more than the ${MAX_OVERLAY_INPUTS} whose covering is judged`;
  const alpha = new Map<number, boolean>();
  const opaque = (input: number): boolean => {
    if (!alpha.has(input)) alpha.set(input, hasAlphaPlane(m, input));
    return !alpha.get(input);
  };
  rects.forEach((r, i) => {
    if (hidden !== null) return;
    if (!r) hidden = 'an overlay input without a size (ispe)';
    else {
      const shown = intersect(r, canvas);
      if (!shown) hidden = 'an overlay input wholly outside the canvas';
      else if (rects.slice(i + 1).some((later, k) => later && contains(later, shown) && opaque(inputs[i + 1 + k]))) hidden = 'an overlay input wholly covered by a later one';
    }
  });
  if (hidden !== null) problems.push(`${hidden}: a coded picture no viewer shows`);
  return { data: canonical, problems, refuse: hidden };
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function intersect(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

function contains(outer: Rect, inner: Rect): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;
}

/**
 * The verdict on a kept derived item (`grid`, `iovl`, `iden`), or null for coded items. `data`
 * is the item body, null when it has none or it cannot be resolved (then there is nothing to
 * judge but for `iden`, which must have none).
 */
export function derivedItem(b: Uint8Array, m: MetaModel, id: number, type: string, data: Uint8Array | null): DerivedVerdict | null {
  if (type === 'iden') {
    // 23008-12 6.6.2.2: an identity derived image has no item body; libheif never reads one.
    const extents = m.locations.get(id)?.extents.length ?? 0;
    return { data: null, problems: extents > 0 ? ['item data on an identity (iden) item, which has none'] : [], refuse: null };
  }
  if (!data) return null;
  if (type === 'grid') return grid(b, m, id, data);
  if (type === 'iovl') return overlay(b, m, id, data);
  return null;
}
