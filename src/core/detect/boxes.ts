import { clampRect, type Rect } from '../geometry';
import type { Detection } from './types';

export function area(r: Rect): number {
  return Math.max(0, r.w) * Math.max(0, r.h);
}

export function intersection(a: Rect, b: Rect): Rect | null {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w);
  const y1 = Math.min(a.y + a.h, b.y + b.h);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

/** Intersection over union (PASCAL VOC's overlap measure). */
export function iou(a: Rect, b: Rect): number {
  const i = intersection(a, b);
  if (!i) return 0;
  const inter = area(i);
  return inter / (area(a) + area(b) - inter);
}

/** The share of `inner` that lies inside `outer` (1 when fully inside). */
export function containedShare(inner: Rect, outer: Rect): number {
  const i = intersection(inner, outer);
  return i && area(inner) > 0 ? area(i) / area(inner) : 0;
}

/**
 * Greedy non-maximum suppression per kind: the best-scoring box wins, and a lower one is dropped
 * when it overlaps it by `maxIou` or lies mostly inside it (the same face found at two turns, or
 * a text line split into words by one pass and whole by another).
 */
export function suppress(detections: readonly Detection[], maxIou = 0.4): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    const clash = kept.some((k) => k.kind === d.kind && (iou(k.box, d.box) > maxIou || containedShare(d.box, k.box) > 0.8));
    if (!clash) kept.push(d);
  }
  return kept;
}

/**
 * A box grown by `margin` of its size on every side (detector boxes hug the face or the glyphs;
 * hair, ears and the tails of letters lie just outside), rounded outwards to whole pixels and
 * kept inside the picture.
 */
export function padBox(box: Rect, margin: number, width: number, height: number): Rect {
  const dx = box.w * margin;
  const dy = box.h * margin;
  const grown = { x: Math.floor(box.x - dx), y: Math.floor(box.y - dy), w: 0, h: 0 };
  grown.w = Math.ceil(box.x + box.w + dx) - grown.x;
  grown.h = Math.ceil(box.y + box.h + dy) - grown.y;
  return clampRect(grown, width, height) ?? { x: 0, y: 0, w: Math.min(1, width), h: Math.min(1, height) };
}

/**
 * Drops text detections that are really a face: PP-OCR's DB segmenter marks a whole head as one
 * text blob in some pictures that hold little other text (seen on eval/ scenes: a turned head on
 * a plain wall). A text box that holds most of a detected face and is not much larger than it
 * adds nothing the face detection does not already say, and would double every finding there.
 */
export function dropTextOnFaces(detections: readonly Detection[]): Detection[] {
  const faces = detections.filter((d) => d.kind === 'face');
  return detections.filter(
    (d) => d.kind !== 'text' || !faces.some((f) => containedShare(f.box, d.box) >= 0.6 && area(d.box) <= 6 * area(f.box)),
  );
}
