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
 * `chunky` is the OPTION of getData and createImageDataFromBuffer (AdobeDocs/uxp-photoshop
 * src/pages/ps-reference/media/imaging.md, "getData" and "createImageDataFromBuffer"; default
 * true); `isChunky` is only a read-only property of the returned data ("PhotoshopImageData").
 * Passed explicitly so the layout never depends on a default.
 */
const CHUNKY = { chunky: true } as const;

export function toBounds(r: Rect): PsBounds {
  return { left: r.x, top: r.y, right: r.x + r.w, bottom: r.y + r.h };
}

/**
 * Releases image data. imaging.md "dispose" calls it synchronous; @types/photoshop types it as
 * returning a promise: awaiting the result covers both.
 */
async function release(imageData: ImageData): Promise<void> {
  await imageData.dispose();
}

/** Reads an image data's values (chunky) and disposes it. */
async function takeData(imageData: ImageData): Promise<Uint8Array | Uint16Array | Float32Array> {
  try {
    return await imageData.getData(CHUNKY);
  } finally {
    await release(imageData);
  }
}

/**
 * The rectangle the returned values cover: placed at `sourceBounds`' top-left, sized by the
 * image data's own width and height (imaging.md "getPixels": sourceBounds is "the actual bounds
 * used"; rows of the buffer are `imageData.width` long whatever was requested).
 */
function coveredRect(sourceBounds: { left: number; top: number }, imageData: ImageData): Rect {
  return { x: sourceBounds.left, y: sourceBounds.top, w: imageData.width, h: imageData.height };
}

/** The documented pixelFormat for each colour space and component count the panel reads. */
const LAYOUTS: Readonly<Record<string, string>> = { 'RGB/3': 'RGB', 'RGB/4': 'RGBA', 'Grayscale/1': 'Grayscale', 'Grayscale/2': 'GrayscaleAlpha' };

function maxValueFor(componentSize: number): number {
  if (componentSize === 8) return EIGHT_BIT_MAX;
  if (componentSize === 16) return PHOTOSHOP_16BIT_MAX;
  throw new DeidHostError('unsupported', 'This step works on 8- and 16-bit images only. Convert the document (Image > Mode > 16 Bits/Channel).');
}

/**
 * The composite pixels of exactly `rect`, opaque, as flattening would leave them.
 *
 * A document without a Background layer (the user made it a layer, or a file with
 * transparency) has a composite WITH alpha (imaging.md "getPixels": "the `components` property
 * of the image data depends on whether or not the pixel source includes an alpha channel"),
 * which cannot be written back into the flattened Background. `applyAlpha: true` ("RGBA
 * pixels will be converted to RGB by matting on white") gives what Flatten Image gives.
 * getPixels may still TRIM the area it returns ("any areas devoid of pixel data will still be
 * trimmed") and says so in `sourceBounds`; the returned rectangle is always used to place the
 * values, and anything it left out is white, the same matte.
 */
export async function readComposite(documentID: number, rect: Rect, componentSize: 8 | 16): Promise<PixelBuffer> {
  const result = await imaging.getPixels({ documentID, sourceBounds: toBounds(rect), componentSize, applyAlpha: true });
  const { imageData } = result;
  // Without targetSize the full-resolution canvas is read (imaging.md "getPixels", pyramid
  // levels); any other level would put values in the wrong places.
  if (result.level !== 0) {
    await release(imageData);
    throw new DeidHostError('host', `Photoshop returned pixels from cache level ${result.level}, not the full-resolution image.`);
  }
  const got = coveredRect(result.sourceBounds, imageData);
  const components = imageData.components;
  // imaging.md "PhotoshopImageData": colorSpace "can be "RGB", "Grayscale", "Lab""; the values
  // are in the document's own mode when none is asked for ("getPixels": colorSpace). Anything
  // but RGB/Grayscale (Lab, or four CMYK values that would pass for RGBA) is refused: working
  // copies are changed to RGB at Start (document.ts toRgbMode).
  const space = String(imageData.colorSpace);
  if (space !== 'RGB' && space !== 'Grayscale') {
    await release(imageData);
    throw new DeidHostError('unsupported', `Photoshop returned ${space} pixels; only RGB and grayscale images can be read.`);
  }
  if (components < 1 || components > 4) {
    await release(imageData);
    throw new DeidHostError('unsupported', `Photoshop returned ${components} channels; only RGB and grayscale images are supported.`);
  }
  // imaging.md "PhotoshopImageData": pixelFormat is the "Memory layout (order) of components in
  // a pixel". The values are used in R, G, B(, A) order, so that layout is required, not assumed.
  const layout = String(imageData.pixelFormat);
  if (layout !== LAYOUTS[`${space}/${components}`]) {
    await release(imageData);
    throw new DeidHostError('unsupported', `Photoshop returned ${space} pixels laid out as "${layout}" with ${components} components; the panel reads only ${LAYOUTS[`${space}/${components}`] ?? 'RGB or grayscale'} data.`);
  }
  const maxValue = maxValueFor(imageData.componentSize);
  const hasAlpha = imageData.hasAlpha;
  const values = await takeData(imageData);
  if (values instanceof Float32Array) throw new DeidHostError('unsupported', '32-bit images are not supported.');
  if (values.length !== got.w * got.h * components) {
    throw new DeidHostError('host', `Photoshop returned ${values.length} values for ${got.w}x${got.h} pixels of ${components} channels.`);
  }
  const out = values instanceof Uint16Array ? new Uint16Array(rect.w * rect.h * components) : new Uint8Array(rect.w * rect.h * components);
  if (got.x !== rect.x || got.y !== rect.y || got.w !== rect.w || got.h !== rect.h) out.fill(maxValue);
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

/**
 * Writes pixels into a pixel layer with their top-left at `at` (one putPixels call), keeping
 * every other pixel of the layer. imaging.md "putPixels": `replace` "If true, then existing
 * pixels in the layer are discarded before adding new pixels ... The default value is true", so
 * it is passed as false (as Adobe's imaging sample, media/assets/imaging.psjs, does);
 * `targetBounds` places by `left` and `top` ("Dimension keys width and height are not used";
 * @types/photoshop requires them, so they are passed and Photoshop ignores them).
 * No colorProfile: "If the color profile is empty, then the profile of a target document will
 * be used" (imaging.md "PhotoshopImageData"), and the values came from that document.
 */
export async function writeLayer(documentID: number, layerID: number, pixels: PixelBuffer, at: { x: number; y: number }, commandName: string): Promise<void> {
  const colorSpace = pixels.components >= 3 ? 'RGB' : 'Grayscale';
  const options: ImagingTypes.CreateImageDataFromBufferOptions = {
    width: pixels.width,
    height: pixels.height,
    components: pixels.components,
    colorSpace,
    ...CHUNKY,
  };
  const imageData = await imaging.createImageDataFromBuffer(pixels.data, options);
  try {
    await imaging.putPixels({ documentID, layerID, imageData, replace: false, targetBounds: { left: at.x, top: at.y, width: pixels.width, height: pixels.height }, commandName });
  } finally {
    await release(imageData);
  }
}

/**
 * The selection as a mask over `bounds` (the selection's bounding box, clamped to the canvas),
 * or null when nothing in it is selected. Returns `rectangular: true` when every pixel of the
 * box is fully selected; deciding from the mask itself does not depend on `selection.solid`.
 */
export async function readSelectionMask(documentID: number, bounds: Rect): Promise<{ mask: Mask; rectangular: boolean } | null> {
  const result = await imaging.getSelection({ documentID, sourceBounds: toBounds(bounds) });
  const got = coveredRect(result.sourceBounds, result.imageData);
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
