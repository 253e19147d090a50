import { turnedSize, type Rgb } from '../../src/core/detect/rotate';
import type { QuarterTurn } from '../../src/core/detect/types';

/**
 * A turned copy of a raster, pixel by pixel (checked against sharp.rotate in
 * test/core/detect.test.ts): the oracle the box and input rules are tested with.
 */
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
