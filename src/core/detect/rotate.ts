import type { Rect } from '../geometry';
import type { QuarterTurn } from './types';

export const QUARTER_TURNS: readonly QuarterTurn[] = [0, 90, 180, 270];

/** Size of a width x height picture turned clockwise by `turn`. */
export function turnedSize(width: number, height: number, turn: QuarterTurn): { width: number; height: number } {
  return turn === 90 || turn === 270 ? { width: height, height: width } : { width, height };
}

/**
 * Maps a box found in the picture turned clockwise by `turn` back into the original picture
 * (`width` x `height` are the ORIGINAL's). Turning clockwise by 90 sends original (x, y) to
 * (H - y, x) in continuous coordinates, so a turned point (u, v) came from (v, H - u); the other
 * turns compose that rule.
 */
export function unturnBox(box: Rect, turn: QuarterTurn, width: number, height: number): Rect {
  const { x, y, w, h } = box;
  switch (turn) {
    case 0:
      return { x, y, w, h };
    case 90:
      return { x: y, y: height - (x + w), w: h, h: w };
    case 180:
      return { x: width - (x + w), y: height - (y + h), w, h };
    case 270:
      // 270 clockwise sends (x, y) to (y, W - x), so (u, v) came from (W - v, u).
      return { x: width - (y + h), y: x, w: h, h: w };
    default: {
      const never: never = turn;
      throw new Error(`not a quarter turn: ${String(never)}`);
    }
  }
}

/** An 8-bit RGB raster, row-major. */
export interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The raster turned clockwise by `turn` (the pixel-exact counterpart of unturnBox). */
export function turnRgb(src: Rgb, turn: QuarterTurn): Rgb {
  if (turn === 0) return src;
  const { width: W, height: H, data } = src;
  const size = turnedSize(W, H, turn);
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Discrete form of the rule in unturnBox: pixel (x, y) lands at (u, v).
      let u: number, v: number;
      if (turn === 90) { u = H - 1 - y; v = x; }
      else if (turn === 180) { u = W - 1 - x; v = H - 1 - y; }
      else { u = y; v = W - 1 - x; }
      const s = (y * W + x) * 3;
      const d = (v * size.width + u) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { data: out, width: size.width, height: size.height };
}
