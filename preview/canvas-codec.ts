import type { ExportFormat } from '../src/actions';
import type { PixelBuffer } from '../src/core/pixels/types';
import type { Codec } from './memory-host';

/** JPEG quality for canvas.toBlob (0..1); the panel strips and verifies whatever comes out. */
const JPEG_QUALITY = 0.92;

function toCanvas(pixels: PixelBuffer): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = pixels.width;
  canvas.height = pixels.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.putImageData(new ImageData(toRgba(pixels), pixels.width, pixels.height), 0, 0);
  return canvas;
}

/** 8-bit RGB to the canvas's RGBA. */
export function toRgba(pixels: PixelBuffer): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(pixels.width * pixels.height * 4);
  const scale = 255 / pixels.maxValue;
  for (let p = 0, q = 0; q < rgba.length; p += 3, q += 4) {
    rgba[q] = pixels.data[p] * scale;
    rgba[q + 1] = pixels.data[p + 1] * scale;
    rgba[q + 2] = pixels.data[p + 2] * scale;
    rgba[q + 3] = 255;
  }
  return rgba;
}

export function fromRgba(rgba: Uint8ClampedArray, width: number, height: number): PixelBuffer {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < rgba.length; p += 3, q += 4) {
    data[p] = rgba[q];
    data[p + 1] = rgba[q + 1];
    data[p + 2] = rgba[q + 2];
  }
  return { data, width, height, components: 3, hasAlpha: false, maxValue: 255 };
}

/** The browser's own encoders and decoders stand in for Photoshop's saveAs and app.open. */
export const canvasCodec: Codec = {
  async encode(pixels: PixelBuffer, format: ExportFormat): Promise<Uint8Array> {
    const canvas = toCanvas(pixels);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, format === 'png' ? 'image/png' : 'image/jpeg', JPEG_QUALITY));
    if (!blob) throw new Error(`the browser could not encode ${format}`);
    return new Uint8Array(await blob.arrayBuffer());
  },
  async decode(bytes: Uint8Array): Promise<PixelBuffer> {
    const bitmap = await createImageBitmap(new Blob([bytes.slice()]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.drawImage(bitmap, 0, 0);
    return fromRgba(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data, bitmap.width, bitmap.height);
  },
};
