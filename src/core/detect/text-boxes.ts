import type { Rect } from '../geometry';

/**
 * Post-processing of a DB text detector's probability map (Liao et al., "Real-time Scene Text
 * Detection with Differentiable Binarization", AAAI 2020; PaddleOCR's DBPostProcess defaults):
 * binarise at `threshold`, take 8-connected components, keep those whose mean probability reaches
 * `boxThreshold`, and grow each by the "unclip" offset D = A * r / L (area A, perimeter L,
 * r = 1.5) that undoes the shrinking the model was trained with. Boxes are axis-aligned: the tool
 * paints rectangles, and a rotated wristband's bounding box covers it.
 */
export interface TextMapOptions {
  threshold: number;
  boxThreshold: number;
  unclipRatio: number;
  /** Components thinner than this (map pixels) are noise. */
  minSide: number;
}

export const DB_DEFAULTS: TextMapOptions = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSide: 3 };

export interface MapBox {
  box: Rect;
  score: number;
}

export function textBoxesFromMap(prob: Float32Array, width: number, height: number, options: TextMapOptions = DB_DEFAULTS): MapBox[] {
  const label = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const out: MapBox[] = [];
  let next = 0;
  for (let start = 0; start < width * height; start++) {
    if (label[start] !== 0 || prob[start]! <= options.threshold) continue;
    next++;
    label[start] = next;
    let top = 0;
    stack[top++] = start;
    let x0 = width, y0 = height, x1 = -1, y1 = -1, n = 0, sum = 0;
    while (top > 0) {
      const p = stack[--top]!;
      const px = p % width;
      const py = (p - px) / width;
      n++;
      sum += prob[p]!;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
      for (let dy = -1; dy <= 1; dy++) {
        const qy = py + dy;
        if (qy < 0 || qy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const qx = px + dx;
          if (qx < 0 || qx >= width) continue;
          const q = qy * width + qx;
          if (label[q] === 0 && prob[q]! > options.threshold) {
            label[q] = next;
            stack[top++] = q;
          }
        }
      }
    }
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    if (Math.min(w, h) < options.minSide) continue;
    const score = sum / n;
    if (score < options.boxThreshold) continue;
    // Unclip on the component's own area and its bounding box's perimeter.
    const d = (n * options.unclipRatio) / (2 * (w + h));
    const gx0 = Math.max(0, x0 - d);
    const gy0 = Math.max(0, y0 - d);
    const gx1 = Math.min(width, x1 + 1 + d);
    const gy1 = Math.min(height, y1 + 1 + d);
    out.push({ box: { x: gx0, y: gy0, w: gx1 - gx0, h: gy1 - gy0 }, score });
  }
  return out;
}
