import { DeidError } from '../../core/errors';
import { clampRect } from '../../core/geometry';
import { dropTextOnFaces } from '../../core/detect/boxes';
import type { Detection } from '../../core/detect/types';
import type { PixelBuffer } from '../../core/pixels/types';
import { FACE_DEFAULTS, FACE_THOROUGH, FaceDetector, retinaSize, type FaceOptions } from './faces';
import { rgbAt } from './raster';
import { TEXT_DEFAULTS, TextDetector, type TextOptions } from './text';

export interface DetectOptions {
  faces: FaceOptions;
  text: TextOptions;
}

export const DETECT_DEFAULTS: DetectOptions = { faces: FACE_DEFAULTS, text: TEXT_DEFAULTS };

/** `deid detect --thorough`: smaller faces too, at about 2.5x the face time (bench/detect.js). */
export const DETECT_THOROUGH: DetectOptions = { faces: FACE_THOROUGH, text: TEXT_DEFAULTS };

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
    const faceSize = retinaSize(W, H, options.faces.side);
    const faceRgb = await rgbAt(pixels, faceSize.width, faceSize.height);
    const faces = await this.faces.detect(faceRgb, options.faces);
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
