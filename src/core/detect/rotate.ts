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
