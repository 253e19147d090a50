import type { Rect } from '../geometry';
import { turnedSize, type Rgb } from './rotate';
import type { QuarterTurn } from './types';

/**
 * Decoding of RetinaFace's outputs (Deng et al. 2019, arXiv:1905.00641) as the MobileNet-0.25
 * model of insightface's RetinaFace (the ONNX export in the `retinaface` package) gives them: for
 * each feature stride s in 32, 16, 8, a map `face_rpn_cls_prob_reshape_stride<s>` of shape
 * [1, 2A, h, w] (A background probabilities, then A face probabilities) and
 * `face_rpn_bbox_pred_stride<s>` of shape [1, 4A, h, w] (dx, dy, dw, dh per anchor).
 *
 * The anchors follow insightface's generate_anchors (rcnn/processing/generate_anchor.py): a base
 * box of 16 x 16 centred at (7.5, 7.5), one ratio, scaled by the stride's SCALES from the
 * RetinaFace config (32 and 16 at stride 32, 8 and 4 at 16, 2 and 1 at 8), shifted by the stride
 * over the map. Deltas are decoded by its nonlinear_pred (rcnn/processing/bbox_transform.py),
 * which counts widths as x2 - x1 + 1.
 */
export const STRIDES = [32, 16, 8] as const;
export type Stride = (typeof STRIDES)[number];

const SCALES: Record<Stride, readonly number[]> = { 32: [32, 16], 16: [8, 4], 8: [2, 1] };
const BASE = 16;

export interface StrideMaps {
  /** Face/background probabilities, [1, 2A, h, w] flattened. */
  scores: Float32Array;
  /** Box deltas, [1, 4A, h, w] flattened. */
  deltas: Float32Array;
  height: number;
  width: number;
}

export interface FaceBox {
  box: Rect;
  score: number;
}

/** Faces scoring at least `minScore` at one stride, in the input tensor's pixel coordinates. */
export function decodeStride(stride: Stride, maps: StrideMaps, minScore: number): FaceBox[] {
  const scales = SCALES[stride];
  const A = scales.length;
  const { height: h, width: w, scores, deltas } = maps;
  const plane = h * w;
  if (scores.length !== 2 * A * plane || deltas.length !== 4 * A * plane) {
    throw new Error(`RetinaFace stride ${stride}: expected ${2 * A}x${h}x${w} scores and ${4 * A}x${h}x${w} deltas, got ${scores.length} and ${deltas.length} values`);
  }
  const out: FaceBox[] = [];
  for (let a = 0; a < A; a++) {
    const size = BASE * scales[a]!;
    // Base box [0, 0, 15, 15] scaled about its centre: width `size` counted as x2 - x1 + 1.
    const x1 = 7.5 - 0.5 * (size - 1);
    const x2 = 7.5 + 0.5 * (size - 1);
    const anchorW = x2 - x1 + 1;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const at = i * w + j;
        const score = scores[(A + a) * plane + at]!;
        if (!(score >= minScore)) continue;
        const cx = x1 + j * stride + 0.5 * (anchorW - 1);
        const cy = x1 + i * stride + 0.5 * (anchorW - 1);
        const dx = deltas[(4 * a) * plane + at]!;
        const dy = deltas[(4 * a + 1) * plane + at]!;
        const dw = deltas[(4 * a + 2) * plane + at]!;
        const dh = deltas[(4 * a + 3) * plane + at]!;
        const pcx = dx * anchorW + cx;
        const pcy = dy * anchorW + cy;
        const pw = Math.exp(dw) * anchorW;
        const ph = Math.exp(dh) * anchorW;
        const bx1 = pcx - 0.5 * (pw - 1);
        const by1 = pcy - 0.5 * (ph - 1);
        out.push({ score, box: { x: bx1, y: by1, w: pw, h: ph } });
      }
    }
  }
  return out;
}

const BLOCK = 64;

/**
 * The NCHW float input RetinaFace takes (RGB planes of 0..255 values, unscaled: insightface's
 * RetinaFace uses pixel_means 0 and pixel_stds 1), of the raster turned clockwise by `turn` on
 * the way: the four orientations cost one pass over the pixels each and no turned copy. Source
 * pixel (x, y) lands at base + x * dx + y * dy, the discrete form of rotate.ts's unturnBox rule.
 */
export function retinaInput(rgb: Rgb, turn: QuarterTurn = 0): { data: Float32Array; width: number; height: number } {
  const { width: W, height: H, data } = rgb;
  const size = turnedSize(W, H, turn);
  const plane = W * H;
  const [base, dx, dy] =
    turn === 0 ? [0, 1, W] : turn === 90 ? [H - 1, H, -1] : turn === 180 ? [plane - 1, -1, -W] : [(W - 1) * H, -H, 1];
  const out = new Float32Array(3 * plane);
  // In blocks: a turned row is a column of the source, and walking whole rows would write each
  // output plane with a stride of a row, missing the cache on every pixel.
  for (let y0 = 0; y0 < H; y0 += BLOCK) {
    const y1 = Math.min(H, y0 + BLOCK);
    for (let x0 = 0; x0 < W; x0 += BLOCK) {
      const x1 = Math.min(W, x0 + BLOCK);
      for (let y = y0; y < y1; y++) {
        let s = (y * W + x0) * 3;
        let d = base + y * dy + x0 * dx;
        for (let x = x0; x < x1; x++, s += 3, d += dx) {
          out[d] = data[s]!;
          out[plane + d] = data[s + 1]!;
          out[2 * plane + d] = data[s + 2]!;
        }
      }
    }
  }
  return { data: out, width: size.width, height: size.height };
}
