import type { Rgb } from '../../core/detect/rotate';
import type { PixelBuffer } from '../../core/pixels/types';

/**
 * The picture as 8-bit RGB of exactly `width` x `height` (sharp's resampling, as the detectors'
 * training photographs were scaled). Alpha is flattened onto white and grey expanded, so every
 * detector sees three channels.
 */
export async function rgbAt(pixels: PixelBuffer, width: number, height: number): Promise<Rgb> {
  if (pixels.maxValue !== 255) throw new Error('detection expects 8-bit pixels');
  const sharp = (await import('sharp')).default;
  let image = sharp(Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength), {
    raw: { width: pixels.width, height: pixels.height, channels: pixels.components },
  });
  if (pixels.hasAlpha) image = image.flatten({ background: '#ffffff' });
  if (width !== pixels.width || height !== pixels.height) image = image.resize(width, height, { fit: 'fill' });
  const { data, info } = await image.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected RGB from sharp, got ${info.channels} channels`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Size with the long side at most `longSide`, aspect kept. */
export function fitLongSide(width: number, height: number, longSide: number): { width: number; height: number } {
  const s = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}
