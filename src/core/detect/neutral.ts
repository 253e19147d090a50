import { clampRect } from '../geometry';
import { stepMask } from '../pixels/apply';
import { clonePixels } from '../pixels/buffer';
import { formatHexColor } from '../pixels/color';
import { overlayRegion } from '../pixels/overlay';
import type { PixelBuffer } from '../pixels/types';
import type { Step } from '../sidecar/types';

/** Width of the ring around a region whose mean colour fills it. */
const RING = 3;

/**
 * The picture as the residual check shows it to the detectors: every obscured region filled with
 * the mean colour of a thin ring just outside it. A black overlay is not an identifier, but to a
 * text segmenter a stack of black bars looks like bold lines, and a large dark patch shifts the
 * PP-OCR model's global (squeeze-and-excitation) channel statistics enough to light up unrelated
 * areas (seen on eval scenes). Filling with the surroundings leaves only what is NOT covered for
 * the detectors to find, including any part of a face or a label sticking out of a region.
 */
export function neutralizeObscured(pixels: PixelBuffer, obscuring: readonly Step[]): PixelBuffer {
  const out = clonePixels(pixels);
  const { width, height, components } = pixels;
  const colour = Math.min(3, components - (pixels.hasAlpha ? 1 : 0));
  for (const step of obscuring) {
    if ((step.op !== 'overlay' && step.op !== 'pixelate') || !step.region) continue;
    const r = clampRect(step.region, width, height);
    if (!r) continue;
    const sum = [0, 0, 0];
    let n = 0;
    const x0 = Math.max(0, r.x - RING);
    const y0 = Math.max(0, r.y - RING);
    const x1 = Math.min(width, r.x + r.w + RING);
    const y1 = Math.min(height, r.y + r.h + RING);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) continue;
        const i = (y * width + x) * components;
        for (let c = 0; c < 3; c++) sum[c] += pixels.data[i + Math.min(c, colour - 1)]!;
        n++;
      }
    }
    const scale = 255 / pixels.maxValue;
    const mean = n === 0 ? [128, 128, 128] : sum.map((v) => Math.min(255, Math.round((v / n) * scale)));
    overlayRegion(out, step.region, formatHexColor({ r: mean[0]!, g: mean[1]!, b: mean[2]! }), stepMask(step));
  }
  return out;
}
