/**
 * The largest magnitude a recorded region's x, y, w or h may have: 2^24 px, 50 times Photoshop's
 * largest document side (300,000 px). Above 2^53 a double cannot add 1 to a cell index, so the
 * cell loops over a region 2^60 px wide never ended (verify, apply); within 2^24 every sum and
 * product the pixel code forms (x + w, cell * size, w * h <= 2^48) is exact.
 */
export const MAX_COORDINATE = 2 ** 24;

/** Whether x, y, w and h are whole, w and h at least 1, and none beyond MAX_COORDINATE. */
export function isBoundedRect(r: { x: unknown; y: unknown; w: unknown; h: unknown }): r is Rect {
  const within = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_COORDINATE;
  return within(r.x, -MAX_COORDINATE) && within(r.y, -MAX_COORDINATE) && within(r.w, 1) && within(r.h, 1);
}

/** Rectangles in image pixels; right/bottom exclusive as in the Photoshop Imaging API. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function rectRight(r: Rect): number {
  return r.x + r.w;
}

export function rectBottom(r: Rect): number {
  return r.y + r.h;
}

/** The part of `r` inside a width x height canvas, or null when nothing is left. */
export function clampRect(r: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(width, Math.ceil(r.x + r.w));
  const y1 = Math.min(height, Math.ceil(r.y + r.h));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}
