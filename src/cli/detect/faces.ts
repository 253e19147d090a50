import { suppress } from '../../core/detect/boxes';
import { QUARTER_TURNS, turnRgb, unturnBox, type Rgb } from '../../core/detect/rotate';
import { cropRgb, tileGrid } from '../../core/detect/tiles';
import type { Detection } from '../../core/detect/types';
import type { Rect } from '../../core/geometry';
import { packageFile, requireOptional } from './optional';

/** The slice of tfjs and face-api this file uses (the packages are optional, so not imported for types). */
interface Tensor { dispose(): void }
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tensor3d(data: Uint8Array | Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
}
interface WasmBackend { setWasmPaths(prefix: string, usePlatformFetch?: boolean): void }
interface FaceApi {
  nets: { ssdMobilenetv1: { loadFromDisk(dir: string): Promise<void> } };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => unknown;
  detectAllFaces(input: Tensor, options: unknown): Promise<{ score: number; box: { x: number; y: number; width: number; height: number } }[]>;
}

export interface FaceOptions {
  /** Lowest score kept. */
  minScore: number;
  /** Long side the whole picture is scanned at (SSD's input is 512: more gains nothing). */
  globalSide: number;
  /** Long side for the tiled pass that finds small faces; 0 turns it off. */
  tiledSide: number;
}

/**
 * minScore tuned on eval/ (bench/detect.js): 0.3 finds 43 of 50 faces at 93% precision, where
 * face-api's own default 0.5 found 38; missing a face costs more than a reviewer's glance.
 */
export const FACE_DEFAULTS: FaceOptions = { minScore: 0.3, globalSide: 512, tiledSide: 0 };

/** `--thorough`: adds the tiled pass at 1024 px (about six more SSD runs per turn on a photo). */
export const FACE_THOROUGH: FaceOptions = { ...FACE_DEFAULTS, tiledSide: 1024 };

const SSD_INPUT = 512;

/** tfjs says on load that tfjs-node would be faster; that is a choice made here (README), not news for the user. */
function quietly<T>(fn: () => T): T {
  const warn = console.warn;
  const log = console.log;
  console.warn = () => undefined;
  console.log = () => undefined;
  try {
    return fn();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

/**
 * Faces with face-api's SSD MobileNet v1 (weights in @vladmandic/face-api, trained on WIDER FACE)
 * on tfjs's WebAssembly backend, whose .wasm ships in @tensorflow/tfjs-backend-wasm: no native
 * build, no download. Each pass runs at the four quarter turns (the detector only knows upright
 * faces; patients lie down), and a tiled pass at twice the scale finds faces too small for the
 * whole-picture pass.
 */
export class FaceDetector {
  private constructor(private readonly tf: Tf, private readonly api: FaceApi) {}

  static async load(): Promise<FaceDetector> {
    const { tf, wasm, api } = quietly(() => ({
      tf: requireOptional<Tf>('@tensorflow/tfjs'),
      wasm: requireOptional<WasmBackend>('@tensorflow/tfjs-backend-wasm'),
      api: requireOptional<FaceApi>('@vladmandic/face-api/dist/face-api.node-wasm.js'),
    }));
    const wasmFile = packageFile('@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm-simd.wasm');
    // Emscripten's own loader reads the file from disk in Node (false = not the platform fetch).
    wasm.setWasmPaths(wasmFile.slice(0, wasmFile.lastIndexOf('/') + 1), false);
    await tf.setBackend('wasm');
    await tf.ready();
    const model = packageFile('@vladmandic/face-api', 'model/ssd_mobilenetv1_model-weights_manifest.json');
    await api.nets.ssdMobilenetv1.loadFromDisk(model.slice(0, model.lastIndexOf('/')));
    return new FaceDetector(tf, api);
  }

  /** Faces in an RGB raster, in its own coordinates. */
  async detect(rgb: Rgb, options: FaceOptions = FACE_DEFAULTS, scaleTo: (r: Rgb, side: number) => Promise<Rgb>): Promise<Detection[]> {
    const found: Detection[] = [];
    const passes: { side: number; tiled: boolean }[] = [{ side: options.globalSide, tiled: false }];
    if (options.tiledSide > 0 && Math.max(rgb.width, rgb.height) > options.globalSide * 1.25) {
      passes.push({ side: options.tiledSide, tiled: true });
    }
    for (const pass of passes) {
      const scaled = await scaleTo(rgb, pass.side);
      const sx = rgb.width / scaled.width;
      const sy = rgb.height / scaled.height;
      const tiles: Rect[] = pass.tiled ? tileGrid(scaled.width, scaled.height, SSD_INPUT, SSD_INPUT / 4) : [{ x: 0, y: 0, w: scaled.width, h: scaled.height }];
      for (const tile of tiles) {
        const part = cropRgb(scaled, tile);
        for (const turn of QUARTER_TURNS) {
          const turned = turnRgb(part, turn);
          for (const f of await this.run(turned, options.minScore)) {
            const b = unturnBox(f.box, turn, part.width, part.height);
            found.push({
              kind: 'face',
              score: f.score,
              turn,
              box: { x: (b.x + tile.x) * sx, y: (b.y + tile.y) * sy, w: b.w * sx, h: b.h * sy },
            });
          }
        }
      }
    }
    return suppress(found, 0.3);
  }

  private async run(rgb: Rgb, minScore: number): Promise<{ box: Rect; score: number }[]> {
    const tensor = this.tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32');
    try {
      const results = await this.api.detectAllFaces(tensor, new this.api.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: 100 }));
      return results.map((r) => ({ score: r.score, box: { x: r.box.x, y: r.box.y, w: r.box.width, h: r.box.height } }));
    } finally {
      tensor.dispose();
    }
  }
}
