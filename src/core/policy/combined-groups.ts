/**
 * The geometry behind the combined mosaic rule (combined.ts): grid hashing instead of comparing
 * every pair, so the work grows as n log n (the sorts) for the layouts recipes hold (tiles,
 * scattered regions, nested repaints) and a sidecar of tens of thousands of steps is checked in
 * well under a second (issue 13.5; bench/colour.js measures it). Many rectangles that each
 * cover a large part of the picture fall back to pairwise checks among themselves.
 */
import type { Rect } from '../geometry';

/**
 * Union-find over indices, with path halving and union by size.
 */
class Sets {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]];
      i = this.parent[i];
    }
    return i;
  }
  union(a: number, b: number): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return false;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    return true;
  }
}

/** Grid cells one rectangle may occupy before it is compared with every box instead. */
const MAX_CELLS_PER_RECT = 256;
/** Offset that keeps grid coordinates non-negative inside one numeric key. */
const KEY_OFFSET = 1 << 20;
const KEY_STRIDE = 1 << 22;

function cellKey(gx: number, gy: number): number {
  return (gx + KEY_OFFSET) * KEY_STRIDE + (gy + KEY_OFFSET);
}

/**
 * Groups of rectangles whose bounding boxes lie closer than `gap`, merged until no two groups'
 * boxes are near (the least fixed point, which does not depend on the order of merges: a merged
 * box only grows, so boxes that were near stay near). Each pass hashes the current boxes, each
 * stretched by `gap` to the right and down, into a grid of about the median box size: two boxes
 * are near exactly when their stretched extents overlap, so they share a grid cell, and only
 * boxes in a shared cell are compared. Passes repeat only while merged boxes reach new
 * neighbours (each pass merges at least two groups, or it is the last).
 */
export function nearGroups(rects: readonly Rect[], gap: number): Array<{ members: number[]; area: Rect }> {
  const n = rects.length;
  const sets = new Sets(n);
  let boxes: Array<{ root: number; area: Rect }> = rects.map((r, i) => ({ root: i, area: { ...r } }));
  for (;;) {
    let merged = false;
    const near = (a: Rect, b: Rect) => a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
    const sides = boxes.map((b) => Math.max(b.area.w, b.area.h)).sort((a, b) => a - b);
    const cell = Math.max(1, (sides[sides.length >> 1] ?? 1) + gap);
    const grid = new Map<number, number[]>();
    const big: number[] = [];
    boxes.forEach((box, k) => {
      const a = box.area;
      const x0 = Math.floor(a.x / cell);
      const y0 = Math.floor(a.y / cell);
      const x1 = Math.floor((a.x + a.w + gap - 1) / cell);
      const y1 = Math.floor((a.y + a.h + gap - 1) / cell);
      const link = (j: number) => {
        if (near(a, boxes[j].area) && sets.union(boxes[j].root, box.root)) merged = true;
      };
      for (const j of big) link(j);
      if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS_PER_RECT) {
        // Too big for the grid: compared with every box (rare: few boxes are many cells large).
        for (let j = 0; j < k; j++) link(j);
        big.push(k);
        return;
      }
      for (let gy = y0; gy <= y1; gy++) {
        for (let gx = x0; gx <= x1; gx++) {
          const key = cellKey(gx, gy);
          const list = grid.get(key);
          if (list) {
            for (const j of list) link(j);
            list.push(k);
          } else {
            grid.set(key, [k]);
          }
        }
      }
    });
    // One box per group: the union of its members' boxes.
    const byRoot = new Map<number, Rect>();
    for (const b of boxes) {
      const root = sets.find(b.root);
      const cur = byRoot.get(root);
      byRoot.set(root, cur ? unionRect(cur, b.area) : { ...b.area });
    }
    boxes = [...byRoot].map(([root, area]) => ({ root, area }));
    if (!merged) break;
  }
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = sets.find(i);
    const list = members.get(root);
    if (list) list.push(i);
    else members.set(root, [i]);
  }
  return boxes.map((b) => ({ members: members.get(sets.find(b.root)) ?? [], area: b.area }));
}

export function unionRect(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

/**
 * For each rectangle, whether a LATER one in `covers` (by index) contains it completely.
 * `covers[i]` null: step i covers nothing (masked, or not a painting step). Later steps are
 * indexed first, in a grid keyed by cell: a containing rectangle must cover the query's top-left
 * corner, so only the rectangles registered in that corner's cell are candidates. Rectangles too
 * big for the grid go to a short list checked for every query.
 */
export function coveredLater(rects: ReadonlyArray<Rect | null>, covers: ReadonlyArray<Rect | null>): boolean[] {
  const n = rects.length;
  const out = new Array<boolean>(n).fill(false);
  const sizes: number[] = [];
  for (const r of covers) if (r) sizes.push(Math.max(r.w, r.h));
  if (sizes.length === 0) return out;
  sizes.sort((a, b) => a - b);
  const cell = Math.max(1, sizes[sizes.length >> 1]);
  const grid = new Map<number, Rect[]>();
  const big: Rect[] = [];
  const contains = (o: Rect, r: Rect) => o.x <= r.x && o.y <= r.y && o.x + o.w >= r.x + r.w && o.y + o.h >= r.y + r.h;
  for (let i = n - 1; i >= 0; i--) {
    const r = rects[i];
    if (r) {
      const key = cellKey(Math.floor(r.x / cell), Math.floor(r.y / cell));
      out[i] = (grid.get(key) ?? []).some((o) => contains(o, r)) || big.some((o) => contains(o, r));
    }
    const c = covers[i];
    if (!c) continue;
    const x0 = Math.floor(c.x / cell);
    const y0 = Math.floor(c.y / cell);
    const x1 = Math.floor((c.x + c.w - 1) / cell);
    const y1 = Math.floor((c.y + c.h - 1) / cell);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS_PER_RECT) {
      big.push(c);
      continue;
    }
    for (let gy = y0; gy <= y1; gy++) {
      for (let gx = x0; gx <= x1; gx++) {
        const key = cellKey(gx, gy);
        const list = grid.get(key);
        if (list) list.push(c);
        else grid.set(key, [c]);
      }
    }
  }
  return out;
}
