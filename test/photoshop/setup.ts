import * as path from 'node:path';
import sharp from 'sharp';
import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import type { Rect } from '../../src/core/geometry';
import type { PixelBuffer } from '../../src/core/pixels/types';

export const GPS_PHOTO = path.resolve(__dirname, '../../../shared/corpus/exif-samples/jpg/gps/DSCN0010.jpg');

/** A clean fake Photoshop and file system for each test. */
export async function resetFakes(): Promise<void> {
  await fakePhotoshop.reset();
  fakeUxp.reset();
}

/** Decodes an image file to an 8-bit RGB buffer (the test's independent decoder). */
export async function decode(bytes: Uint8Array | string): Promise<PixelBuffer> {
  const input = typeof bytes === 'string' ? bytes : Buffer.from(bytes);
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, components: 3, hasAlpha: false, maxValue: 255 };
}

/** A deterministic busy 8-bit or 16-bit RGB picture. */
export function texture(width: number, height: number, maxValue = 255): PixelBuffer {
  const data = maxValue > 255 ? new Uint16Array(width * height * 3) : new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((((i * 2654435761) >>> 0) % 1000) / 999 * maxValue);
  return { data, width, height, components: 3, hasAlpha: false, maxValue };
}

/** The first RGB value outside `regions` that differs between two pictures, or null. */
export function firstChangeOutside(before: ArrayLike<number>, after: ArrayLike<number>, width: number, height: number, regions: readonly Rect[]): string | null {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (regions.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h)) continue;
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        if (before[i] !== after[i]) return `(${x}, ${y}) channel ${c}: ${before[i]} -> ${after[i]}`;
      }
    }
  }
  return null;
}
