import type { Rect } from '../geometry';
import { containedShare, iou } from './boxes';
import type { Detection, DetectionKind } from './types';

/** One labelled region of the evaluation set (eval/labels.json). */
export interface LabelBox {
  kind: DetectionKind;
  box: Rect;
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
 * label counts as found when its detections together cover most of it; a detection is correct
 * when it lies mostly inside some text label.
 */
function answers(d: Detection, l: LabelBox): boolean {
  if (d.kind !== l.kind) return false;
  if (l.kind === 'face') return iou(d.box, l.box) >= 0.3 || (containedShare(d.box, l.box) >= 0.7 && containedShare(l.box, d.box) >= 0.3);
  return containedShare(d.box, l.box) >= 0.5 || iou(d.box, l.box) >= 0.3;
}

export function scoreImage(detections: readonly Detection[], labels: readonly LabelBox[], kind: DetectionKind): KindScore {
  const ds = detections.filter((d) => d.kind === kind);
  const ls = labels.filter((l) => l.kind === kind);
  const found = ls.filter((l) => {
    const hits = ds.filter((d) => answers(d, l));
    if (kind === 'face') return hits.length > 0;
    const covered = hits.reduce((s, d) => s + containedShare(l.box, d.box), 0);
    return covered >= 0.6;
  }).length;
  const correct = ds.filter((d) => ls.some((l) => answers(d, l))).length;
  return { labels: ls.length, found, detections: ds.length, correct };
}

export function addScores(a: KindScore, b: KindScore): KindScore {
  return { labels: a.labels + b.labels, found: a.found + b.found, detections: a.detections + b.detections, correct: a.correct + b.correct };
}
