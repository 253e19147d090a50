import { readFileSync } from 'node:fs';
import { suppress } from '../../core/detect/boxes';
import { freeSpatialDims } from '../../core/detect/onnx-dims';
import { decodeStride, retinaInput, STRIDES, type FaceBox } from '../../core/detect/retinaface';
import { QUARTER_TURNS, unturnBox, type Rgb } from '../../core/detect/rotate';
import type { Detection } from '../../core/detect/types';
import { packageFile } from './optional';
import { onnxRuntime, type Ort, type OrtSession } from './ort';

export interface FaceOptions {
  /** Lowest score kept. */
  minScore: number;
  /** Long side the picture is scanned at (rounded to a multiple of 32). */
  side: number;
}

/**
 * Tuned on eval/ (bench/detect.js). The side sets the smallest face found: RetinaFace's smallest
 * anchor is 16 px, and at 1440 a 40-56 px face in a 4000 px photograph (14-20 px scanned) is
 * still found about four times in five at the quarter turns. 1600 found one more eval face (a
 * partly covered one, leaning 30 degrees) but cost a quarter more time: the 12 MP
 * budget is 2 s for everything.
 */
export const FACE_DEFAULTS: FaceOptions = { minScore: 0.5, side: 1440 };

/** `--thorough`: 1.8x the scale, for faces of 25-40 px in a 12 MP photograph (about 4x the face time, 2.5x in all: bench/detect.js). */
export const FACE_THOROUGH: FaceOptions = { ...FACE_DEFAULTS, side: 2560 };

const MODEL = 'mnet.25_v2.onnx';

/** Both dimensions a multiple of 32 (the coarsest stride), the long side at most `side`. */
export function retinaSize(width: number, height: number, side: number): { width: number; height: number } {
  const s = Math.min(1, side / Math.max(width, height));
  const round = (v: number) => Math.max(32, Math.round((v * s) / 32) * 32);
  return { width: round(width), height: round(height) };
}

/**
 * Faces with RetinaFace on a MobileNet-0.25 backbone (the ONNX file ships in the `retinaface`
 * package; trained on WIDER FACE, whose hard set is small faces in crowds), run on
 * onnxruntime-web's WebAssembly build: no native build, no download. The model is fully
 * convolutional but its export declares 640 x 640, so that declaration is freed on load and the
 * whole picture is scanned in one pass per quarter turn (the detector knows upright faces;
 * patients lie down).
 */
export class FaceDetector {
  private constructor(private readonly ort: Ort, private readonly session: OrtSession) {}

  static async load(): Promise<FaceDetector> {
    const ort = onnxRuntime();
    const model = freeSpatialDims(readFileSync(packageFile('retinaface', MODEL)), 'data', [2, 3]);
    const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
    return new FaceDetector(ort, session);
  }

  /** Faces in an RGB raster already scaled to retinaSize(); boxes in its coordinates. */
  async detect(rgb: Rgb, options: FaceOptions = FACE_DEFAULTS): Promise<Detection[]> {
    const found: Detection[] = [];
    for (const turn of QUARTER_TURNS) {
      const input = retinaInput(rgb, turn);
      for (const f of await this.run(input, options.minScore)) {
        found.push({ kind: 'face', score: f.score, turn, box: unturnBox(f.box, turn, rgb.width, rgb.height) });
      }
    }
    return suppress(found, 0.3);
  }

  private async run(input: { data: Float32Array; width: number; height: number }, minScore: number): Promise<FaceBox[]> {
    const out = await this.session.run({ data: new this.ort.Tensor('float32', input.data, [1, 3, input.height, input.width]) });
    const faces: FaceBox[] = [];
    for (const stride of STRIDES) {
      const scores = out[`face_rpn_cls_prob_reshape_stride${stride}`];
      const deltas = out[`face_rpn_bbox_pred_stride${stride}`];
      if (!scores || !deltas) throw new Error(`RetinaFace gave no outputs for stride ${stride}`);
      faces.push(...decodeStride(stride, { scores: scores.data, deltas: deltas.data, height: scores.dims[2]!, width: scores.dims[3]! }, minScore));
    }
    return faces;
  }
}
