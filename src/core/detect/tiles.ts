import type { Rect } from '../geometry';

/**
 * Overlapping tiles of at most `tile` x `tile` covering a width x height picture, so a detector
 * with a fixed input size sees small faces at a usable scale. Neighbours overlap by `overlap`
 * pixels (more than the largest face a tile is meant for) so no face is only ever cut in half.
 */
export function tileGrid(width: number, height: number, tile: number, overlap: number): Rect[] {
  const starts = (length: number): number[] => {
    if (length <= tile) return [0];
    const n = Math.ceil((length - overlap) / (tile - overlap));
    const step = (length - tile) / (n - 1);
    return Array.from({ length: n }, (_, i) => Math.round(i * step));
  };
  const out: Rect[] = [];
  for (const y of starts(height)) {
    for (const x of starts(width)) out.push({ x, y, w: Math.min(tile, width - x), h: Math.min(tile, height - y) });
  }
  return out;
}

/** The part of an RGB raster inside `r`. */
export function cropRgb(src: { data: Uint8Array; width: number; height: number }, r: Rect): { data: Uint8Array; width: number; height: number } {
  if (r.x === 0 && r.y === 0 && r.w === src.width && r.h === src.height) return src;
  const out = new Uint8Array(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++) {
    const from = ((r.y + y) * src.width + r.x) * 3;
    out.set(src.data.subarray(from, from + r.w * 3), y * r.w * 3);
  }
  return { data: out, width: r.w, height: r.h };
}
