import type { Rect } from '../geometry';
import { containedShare, iou } from './boxes';
import type { Detection, DetectionKind } from './types';

/** One labelled region of the evaluation set (eval/labels.json). */
export interface LabelBox {
  kind: DetectionKind;
  box: Rect;
  /** A text line's own corners (it may be turned): its bounding box can be mostly background. */
  quad?: readonly (readonly [number, number])[];
}

/** Points spread evenly over a quadrilateral (bilinear in its corners), to measure coverage. */
function quadSamples(q: readonly (readonly [number, number])[], n = 24): [number, number][] {
  const [a, b, c, d] = q as [[number, number], [number, number], [number, number], [number, number]];
  const pts: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 6; j++) {
      const u = (i + 0.5) / n;
      const v = (j + 0.5) / 6;
      pts.push([
        (1 - v) * ((1 - u) * a[0] + u * b[0]) + v * ((1 - u) * d[0] + u * c[0]),
        (1 - v) * ((1 - u) * a[1] + u * b[1]) + v * ((1 - u) * d[1] + u * c[1]),
      ]);
    }
  }
  return pts;
}

/** The share of a text line (its quad, else its box) that lies inside some detection box. */
function lineCovered(l: LabelBox, ds: readonly Detection[]): number {
  const quad = l.quad ?? [[l.box.x, l.box.y], [l.box.x + l.box.w, l.box.y], [l.box.x + l.box.w, l.box.y + l.box.h], [l.box.x, l.box.y + l.box.h]];
  const pts = quadSamples(quad);
  const inside = pts.filter(([x, y]) => ds.some((d) => x >= d.box.x && x <= d.box.x + d.box.w && y >= d.box.y && y <= d.box.y + d.box.h));
  return inside.length / pts.length;
}

export interface KindScore {
  labels: number;
  found: number;
  detections: number;
  correct: number;
}

/**
 * Whether a detection answers a label. Faces: IoU >= 0.3 (looser than PASCAL's 0.5 because a
 * detector's box and a hand label disagree on where hair and chin end) or the detection lies
 * mostly inside the label. Text: a detector may return a line as one box or several words, so a
 * line counts as found when 60% of it (its own turned quad, not its bounding box) lies inside
 * detection boxes; a detection is correct when it lies mostly inside some text label.
 */
function answers(d: Detection, l: LabelBox): boolean {
  if (d.kind !== l.kind) return false;
  if (l.kind === 'face') return iou(d.box, l.box) >= 0.3 || (containedShare(d.box, l.box) >= 0.7 && containedShare(l.box, d.box) >= 0.3);
  return containedShare(d.box, l.box) >= 0.5 || iou(d.box, l.box) >= 0.3;
}

export function scoreImage(detections: readonly Detection[], labels: readonly LabelBox[], kind: DetectionKind): KindScore {
  const ds = detections.filter((d) => d.kind === kind);
  const ls = labels.filter((l) => l.kind === kind);
  const found = ls.filter((l) => (kind === 'face' ? ds.some((d) => answers(d, l)) : lineCovered(l, ds) >= 0.6)).length;
  const correct = ds.filter((d) => ls.some((l) => answers(d, l))).length;
  return { labels: ls.length, found, detections: ds.length, correct };
}

export function addScores(a: KindScore, b: KindScore): KindScore {
  return { labels: a.labels + b.labels, found: a.found + b.found, detections: a.detections + b.detections, correct: a.correct + b.correct };
}
