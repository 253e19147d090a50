import { DeidError } from '../../core/errors';
import { clampRect } from '../../core/geometry';
import { dropTextOnFaces } from '../../core/detect/boxes';
import type { Rgb } from '../../core/detect/rotate';
import type { Detection } from '../../core/detect/types';
import type { PixelBuffer } from '../../core/pixels/types';
import { FACE_DEFAULTS, FACE_THOROUGH, FaceDetector, type FaceOptions } from './faces';
import { fitLongSide, rgbAt } from './raster';
import { TEXT_DEFAULTS, TextDetector, type TextOptions } from './text';

export interface DetectOptions {
  faces: FaceOptions;
  text: TextOptions;
}

export const DETECT_DEFAULTS: DetectOptions = { faces: FACE_DEFAULTS, text: TEXT_DEFAULTS };

/** `deid detect --thorough`: small faces too, at several times the cost (bench/detect.js). */
export const DETECT_THOROUGH: DetectOptions = { faces: FACE_THOROUGH, text: TEXT_DEFAULTS };

/** Scales an RGB raster through sharp (the detectors' inputs are small; the source may be 50 MP). */
async function scaleRgb(rgb: Rgb, side: number): Promise<Rgb> {
  const size = fitLongSide(rgb.width, rgb.height, side);
  if (size.width === rgb.width && size.height === rgb.height) return rgb;
  return rgbAt({ data: rgb.data, width: rgb.width, height: rgb.height, components: 3, hasAlpha: false, maxValue: 255 }, size.width, size.height);
}

/**
 * Both detectors, loaded once (a second or two of WebAssembly compile and weights) and then run
 * on picture after picture. Boxes come back in the picture's own pixel coordinates, whole pixels,
 * clamped inside it.
 */
export class Detectors {
  private constructor(private readonly faces: FaceDetector, private readonly text: TextDetector) {}

  static async load(): Promise<Detectors> {
    const [faces, text] = [await FaceDetector.load(), await TextDetector.load()];
    return new Detectors(faces, text);
  }

  async detect(pixels: PixelBuffer, options: DetectOptions = DETECT_DEFAULTS): Promise<Detection[]> {
    if (pixels.width < 1 || pixels.height < 1) throw new DeidError('usage', 'the picture is empty');
    const { width: W, height: H } = pixels;
    // One downscale from the full picture serves the face passes (never larger than they need).
    const faceBase = fitLongSide(W, H, Math.max(options.faces.globalSide, options.faces.tiledSide));
    const faceRgb = await rgbAt(pixels, faceBase.width, faceBase.height);
    const faces = await this.faces.detect(faceRgb, options.faces, scaleRgb);
    const textSize = TextDetector.inputSize(W, H, options.text.side);
    const textRgb = await rgbAt(pixels, textSize.width, textSize.height);
    const text = await this.text.detect(textRgb, options.text);
    const toPicture = (d: Detection, sx: number, sy: number): Detection | null => {
      const box = clampRect({ x: d.box.x * sx, y: d.box.y * sy, w: d.box.w * sx, h: d.box.h * sy }, W, H);
      return box ? { ...d, box } : null;
    };
    return dropTextOnFaces(
      [
        ...faces.map((d) => toPicture(d, W / faceRgb.width, H / faceRgb.height)),
        ...text.map((d) => toPicture(d, W / textRgb.width, H / textRgb.height)),
      ].filter((d): d is Detection => d !== null),
    );
  }
}
