import path from 'node:path';
import sharp from 'sharp';
import type { Rect } from '../../src/core/geometry';
import { overlayRegion } from '../../src/core/pixels/overlay';
import { pixelateRegion } from '../../src/core/pixels/pixelate';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { JPEG_TOLERANCE, LOSSLESS_TOLERANCE, checkRegionObscured } from '../../src/core/pixels/verify-region';
import { DEFAULT_POLICY, mosaicPlan } from '../../src/core/policy/policy';
import type { Step } from '../../src/core/sidecar/types';
import { grid } from '../helpers/pixels';

const PHOTO = path.resolve(__dirname, '../../../shared/corpus/exif-samples/jpg/gps/DSCN0010.jpg');
const AT = '2024-05-01T10:00:00.000Z';
const WIDTH = 480;
const HEIGHT = 360;

async function photo(): Promise<PixelBuffer> {
  const { data, info } = await sharp(PHOTO).resize(WIDTH, HEIGHT).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, components: 3, hasAlpha: false, maxValue: 255 };
}

async function jpegRoundTrip(buf: PixelBuffer, quality = 90): Promise<PixelBuffer> {
  const jpeg = await sharp(Buffer.from(buf.data.buffer, buf.data.byteOffset, buf.data.byteLength), {
    raw: { width: buf.width, height: buf.height, channels: buf.components },
  }).jpeg({ quality }).toBuffer();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { ...buf, data: new Uint8Array(data), width: info.width, height: info.height };
}

function copy(buf: PixelBuffer): PixelBuffer {
  return { ...buf, data: buf.data.slice() };
}

function mosaicStep(region: Rect, cellSize: number): Step {
  return { op: 'pixelate', region, regionKind: 'face', cellSize, at: AT };
}

// Deliberately not aligned to JPEG's 8x8 blocks.
const FACE: Rect = { x: 53, y: 41, w: 203, h: 162 };
const SMALL: Rect = { x: 301, y: 203, w: 45, h: 41 };

let original: PixelBuffer;
beforeAll(async () => {
  original = await photo();
});

describe('checkRegionObscured: mosaic', () => {
  const { cellSize } = mosaicPlan(DEFAULT_POLICY, FACE);

  it('passes a correct mosaic, exactly and after a JPEG round trip at quality 90', async () => {
    const img = copy(original);
    pixelateRegion(img, FACE, cellSize);
    expect(checkRegionObscured(img, mosaicStep(FACE, cellSize), DEFAULT_POLICY, LOSSLESS_TOLERANCE)).toEqual({
      ok: true,
      detail: `mosaic 203x162 at (53, 41): all 35 cells of ${cellSize} px are one colour`,
    });
    const jpeg = await jpegRoundTrip(img);
    expect(checkRegionObscured(jpeg, mosaicStep(FACE, cellSize), DEFAULT_POLICY)).toMatchObject({ ok: true });
  });

  it('passes small cells near the 8 px floor after JPEG', async () => {
    const plan = mosaicPlan(DEFAULT_POLICY, SMALL);
    expect(plan.cellSize).toBe(9);
    const img = copy(original);
    pixelateRegion(img, SMALL, plan.cellSize);
    const jpeg = await jpegRoundTrip(img);
    expect(checkRegionObscured(jpeg, mosaicStep(SMALL, plan.cellSize), DEFAULT_POLICY)).toMatchObject({ ok: true });
    const floorRegion = { x: 101, y: 251, w: 40, h: 40 };
    expect(mosaicPlan(DEFAULT_POLICY, floorRegion).cellSize).toBe(8);
    pixelateRegion(img, floorRegion, 8);
    expect(checkRegionObscured(await jpegRoundTrip(img), mosaicStep(floorRegion, 8), DEFAULT_POLICY)).toMatchObject({ ok: true });
  });

  it('works on Photoshop 16-bit RGBA, scaling the tolerance to 0..32768', () => {
    const n = WIDTH * HEIGHT;
    const data = new Uint16Array(n * 4);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) data[i * 4 + c] = Math.round((original.data[i * 3 + c] * 32768) / 255);
      data[i * 4 + 3] = 20000;
    }
    const img: PixelBuffer = { data, width: WIDTH, height: HEIGHT, components: 4, hasAlpha: true, maxValue: 32768 };
    expect(checkRegionObscured(img, mosaicStep(FACE, cellSize), DEFAULT_POLICY).ok).toBe(false);
    pixelateRegion(img, FACE, cellSize);
    expect(checkRegionObscured(img, mosaicStep(FACE, cellSize), DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(true);
    img.data[((FACE.y + 10) * WIDTH + FACE.x + 10) * 4] += 32768 / 8;
    expect(checkRegionObscured(img, mosaicStep(FACE, cellSize), DEFAULT_POLICY).detail).toMatch(/pixel \(63, 51\) is off its mean by 3\d\/255/);
  });

  it('fails when the original is painted back, losslessly or as JPEG', async () => {
    const step = mosaicStep(FACE, cellSize);
    const lossless = checkRegionObscured(original, step, DEFAULT_POLICY, LOSSLESS_TOLERANCE);
    expect(lossless.ok).toBe(false);
    expect(lossless.detail).toMatch(/cells are not one colour; first: cell at \(53, 41\)/);
    expect(checkRegionObscured(await jpegRoundTrip(original), step, DEFAULT_POLICY).ok).toBe(false);
  });

  it('fails when only part of the region is painted back', async () => {
    const img = copy(original);
    pixelateRegion(img, FACE, cellSize);
    const restoredX = FACE.x + 3 * cellSize + 5;
    const restoredY = FACE.y + 2 * cellSize + 5;
    for (let y = restoredY; y < restoredY + 12; y++) {
      for (let x = restoredX; x < restoredX + 12; x++) {
        for (let c = 0; c < 3; c++) img.data[(y * WIDTH + x) * 3 + c] = original.data[(y * WIDTH + x) * 3 + c];
      }
    }
    const result = checkRegionObscured(await jpegRoundTrip(img), mosaicStep(FACE, cellSize), DEFAULT_POLICY);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/1 of 35 cells/);
  });

  it('fails when the original is painted back into the 2 px border bands the interior check skips', async () => {
    const img = copy(original);
    pixelateRegion(img, FACE, cellSize);
    const band = JPEG_TOLERANCE.edgeBand;
    let restored = 0;
    for (let y = FACE.y; y < FACE.y + FACE.h; y++) {
      for (let x = FACE.x; x < FACE.x + FACE.w; x++) {
        const mx = (x - FACE.x) % cellSize;
        const my = (y - FACE.y) % cellSize;
        if (mx >= band && mx < cellSize - band && my >= band && my < cellSize - band) continue;
        restored++;
        for (let c = 0; c < 3; c++) img.data[(y * WIDTH + x) * 3 + c] = original.data[(y * WIDTH + x) * 3 + c];
      }
    }
    expect(restored).toBeGreaterThan(FACE.w * FACE.h * 0.2);
    // Without a lossy round trip the interiors are exactly flat, so only the band check can see it.
    const direct = checkRegionObscured(img, mosaicStep(FACE, cellSize), DEFAULT_POLICY, JPEG_TOLERANCE);
    expect(direct.ok).toBe(false);
    expect(direct.detail).toMatch(/other content in its border/);
    expect(checkRegionObscured(await jpegRoundTrip(img, 92), mosaicStep(FACE, cellSize), DEFAULT_POLICY).ok).toBe(false);
  });

  it('fails a mosaic that is finer than recorded (re-pixelated at half the cell size)', async () => {
    const img = copy(original);
    pixelateRegion(img, FACE, Math.floor(cellSize / 2));
    expect(checkRegionObscured(img, mosaicStep(FACE, cellSize), DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(false);
    const result = checkRegionObscured(await jpegRoundTrip(img), mosaicStep(FACE, cellSize), DEFAULT_POLICY);
    expect(result.ok).toBe(false);
  });

  it('fails when the recorded cell size itself is below the policy minimum', () => {
    const img = copy(original);
    pixelateRegion(img, FACE, 16);
    expect(checkRegionObscured(img, mosaicStep(FACE, 16), DEFAULT_POLICY)).toEqual({
      ok: false,
      detail: `recorded mosaic cells of 16 px are finer than the policy minimum of ${cellSize} px for a 203x162 region`,
    });
  });

  it('checks alpha: a translucent cell fails', () => {
    const img = grid`
      10,10,10,255 10,10,10,255
      10,10,10,255 10,10,10,128
    `;
    const step = mosaicStep({ x: 0, y: 0, w: 2, h: 2 }, 8);
    expect(checkRegionObscured(img, step, DEFAULT_POLICY, LOSSLESS_TOLERANCE).detail).toMatch(/varies|not opaque/);
    pixelateRegion(img, { x: 0, y: 0, w: 2, h: 2 }, 8);
    expect(checkRegionObscured(img, step, DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(true);
  });

  it('fails a region outside the image and a step that obscures nothing', () => {
    expect(checkRegionObscured(original, mosaicStep({ x: 600, y: 0, w: 50, h: 50 }, 10), DEFAULT_POLICY).detail).toMatch(/lies outside/);
    expect(checkRegionObscured(original, { op: 'crop', region: FACE, at: AT }, DEFAULT_POLICY).ok).toBe(false);
  });
});

describe('checkRegionObscured: overlay', () => {
  const step: Step = { op: 'overlay', region: FACE, regionKind: 'text', color: '#1e90ff', at: AT };

  it('passes a solid overlay exactly and after JPEG quality 90', async () => {
    const img = copy(original);
    overlayRegion(img, FACE, '#1e90ff');
    expect(checkRegionObscured(img, step, DEFAULT_POLICY, 0)).toEqual({ ok: true, detail: 'overlay 203x162 at (53, 41) is solid #1e90ff' });
    expect(checkRegionObscured(await jpegRoundTrip(img), step, DEFAULT_POLICY, JPEG_TOLERANCE).ok).toBe(true);
  });

  it('fails a different colour, a hole, or the original', async () => {
    const img = copy(original);
    overlayRegion(img, FACE, '#000000');
    expect(checkRegionObscured(img, step, DEFAULT_POLICY).detail).toMatch(/is not solid #1e90ff: 31442 of 31442 pixels differ by more than 24\/255/);
    const holed = copy(original);
    overlayRegion(holed, FACE, '#1e90ff');
    const x = FACE.x + 40;
    const y = FACE.y + 30;
    for (let i = 0; i < 3; i++) holed.data[(y * WIDTH + x) * 3 + i] = original.data[(y * WIDTH + x) * 3 + i] ^ 0x80;
    expect(checkRegionObscured(holed, step, DEFAULT_POLICY).detail).toMatch(/1 of .* pixels .* first at \(93, 71\)/);
    expect(checkRegionObscured(await jpegRoundTrip(original), step, DEFAULT_POLICY).ok).toBe(false);
  });

  it('uses the policy colour when none is recorded', () => {
    const img = copy(original);
    overlayRegion(img, FACE, DEFAULT_POLICY.overlayColor);
    expect(checkRegionObscured(img, { op: 'overlay', region: FACE, at: AT }, DEFAULT_POLICY).ok).toBe(true);
  });
});
