import { imaging } from 'photoshop';
import type { imaging as ImagingTypes } from 'photoshop/dom/ImagingModule';
import type { Rect } from '../core/geometry';
import type { Mask, PixelBuffer } from '../core/pixels/types';
import { DeidHostError } from '../actions/host';

type ImageData = ImagingTypes.PhotoshopImageData;
type PsBounds = ImagingTypes.Bounds;

/** Photoshop's 16-bit full scale (research/photoshop-uxp.md "Imaging API"). */
export const PHOTOSHOP_16BIT_MAX = 32768;
const EIGHT_BIT_MAX = 255;

/**
 * Adobe's Imaging docs spell the option `isChunky` in places where @types/photoshop says
 * `chunky`. Passing both covers either reading; the wider object is a declared subtype of the
 * typed options, so no cast is needed.
 */
const CHUNKY = { chunky: true, isChunky: true } as const;

export function toBounds(r: Rect): PsBounds {
  return { left: r.x, top: r.y, right: r.x + r.w, bottom: r.y + r.h };
}

export function fromBounds(b: { left: number; top: number; right: number; bottom: number }): Rect {
  return { x: b.left, y: b.top, w: b.right - b.left, h: b.bottom - b.top };
}

/** Reads an image data's values and disposes it (dispose is typed async: awaited in finally). */
async function takeData(imageData: ImageData): Promise<Uint8Array | Uint16Array | Float32Array> {
  try {
    const options: ImagingTypes.GetDataOptions & { isChunky: boolean } = CHUNKY;
    return await imageData.getData(options);
  } finally {
    await imageData.dispose();
  }
}

function maxValueFor(componentSize: number): number {
  if (componentSize === 8) return EIGHT_BIT_MAX;
  if (componentSize === 16) return PHOTOSHOP_16BIT_MAX;
  throw new DeidHostError('unsupported', 'This step works on 8- and 16-bit images only. Convert the document (Image > Mode > 16 Bits/Channel).');
}

/**
 * The composite pixels of exactly `rect`. getPixels may TRIM the area it returns (empty parts
 * of a layer) and says so in `sourceBounds`; the returned rectangle is always used to place
 * the values, and anything it left out stays 0 (transparent or black).
 */
export async function readComposite(documentID: number, rect: Rect, componentSize: 8 | 16): Promise<PixelBuffer> {
  const result = await imaging.getPixels({ documentID, sourceBounds: toBounds(rect), componentSize });
  const { imageData } = result;
  const got = fromBounds(result.sourceBounds);
  const components = imageData.components;
  if (components < 1 || components > 4) {
    await imageData.dispose();
    throw new DeidHostError('unsupported', `Photoshop returned ${components} channels; only RGB and grayscale images are supported.`);
  }
  const maxValue = maxValueFor(imageData.componentSize);
  const hasAlpha = imageData.hasAlpha;
  const values = await takeData(imageData);
  if (values instanceof Float32Array) throw new DeidHostError('unsupported', '32-bit images are not supported.');
  const out = values instanceof Uint16Array ? new Uint16Array(rect.w * rect.h * components) : new Uint8Array(rect.w * rect.h * components);
  const dx = got.x - rect.x;
  const dy = got.y - rect.y;
  for (let y = 0; y < got.h; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= rect.h) continue;
    const x0 = Math.max(0, -dx);
    const x1 = Math.min(got.w, rect.w - dx);
    if (x1 <= x0) continue;
    out.set(values.subarray((y * got.w + x0) * components, (y * got.w + x1) * components), (ty * rect.w + dx + x0) * components);
  }
  return { data: out, width: rect.w, height: rect.h, components: components as PixelBuffer['components'], hasAlpha, maxValue };
}

/** Writes pixels into a pixel layer with their top-left at `at` (one putPixels call). */
export async function writeLayer(documentID: number, layerID: number, pixels: PixelBuffer, at: { x: number; y: number }, commandName: string): Promise<void> {
  const colorSpace = pixels.components >= 3 ? 'RGB' : 'Grayscale';
  const options: ImagingTypes.CreateImageDataFromBufferOptions & { isChunky: boolean } = {
    width: pixels.width,
    height: pixels.height,
    components: pixels.components,
    colorSpace,
    ...CHUNKY,
  };
  const imageData = await imaging.createImageDataFromBuffer(pixels.data, options);
  try {
    await imaging.putPixels({ documentID, layerID, imageData, replace: true, targetBounds: { left: at.x, top: at.y, width: pixels.width, height: pixels.height }, commandName });
  } finally {
    await imageData.dispose();
  }
}

/**
 * The selection as a mask over `bounds` (the selection's bounding box, clamped to the canvas),
 * or null when nothing in it is selected. Returns `rectangular: true` when every pixel of the
 * box is fully selected; deciding from the mask itself does not depend on `selection.solid`.
 */
export async function readSelectionMask(documentID: number, bounds: Rect): Promise<{ mask: Mask; rectangular: boolean } | null> {
  const result = await imaging.getSelection({ documentID, sourceBounds: toBounds(bounds) });
  const got = fromBounds(result.sourceBounds);
  const values = await takeData(result.imageData);
  const full = values instanceof Uint8Array ? EIGHT_BIT_MAX : values instanceof Uint16Array ? PHOTOSHOP_16BIT_MAX : 1;
  // Tight box of the selected pixels (anti-aliased edges count), so a grid anchors there.
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  let fullySelected = 0;
  for (let y = 0; y < got.h; y++) {
    for (let x = 0; x < got.w; x++) {
      const v = values[y * got.w + x];
      if (v <= 0) continue;
      if (v >= full) fullySelected++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[(y + y0) * got.w + x + x0];
      data[y * w + x] = v <= 0 ? 0 : Math.max(1, Math.round((v * EIGHT_BIT_MAX) / full));
    }
  }
  return { mask: { data, bounds: { x: got.x + x0, y: got.y + y0, w, h } }, rectangular: fullySelected === w * h };
}
