import * as path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_POLICY, minimumCellSize } from '../../src/core/policy/policy';
import { checkRegionObscured, JPEG_TOLERANCE } from '../../src/core/pixels/verify-region';
import type { Rect } from '../../src/core/geometry';
import type { PixelBuffer } from '../../src/core/pixels/types';
import type { Step } from '../../src/core/sidecar/types';
import { CORPUS, SAMPLE } from '../helpers/paths';

/**
 * An overlay or mosaic cell that carries a faint copy of what it covers (the original squeezed
 * into a few levels around the painted colour) must fail verify on a JPEG export, while a truly
 * solid one passes however libjpeg encodes it. The attack is checked to be real first: a
 * contrast stretch of the faint copy correlates with the original.
 */

interface Raw {
  data: Uint8Array;
  width: number;
  height: number;
}

async function rawOf(input: string | Buffer): Promise<Raw> {
  const { data, info } = await sharp(input).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

async function throughJpeg(img: Raw, options: sharp.JpegOptions): Promise<PixelBuffer> {
  const jpeg = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg(options).toBuffer();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, components: 3, hasAlpha: false, maxValue: 255 };
}

/** Paints `rect` of a copy of `img`: each pixel gets `paint(x, y, original rgb)`. */
function painted(img: Raw, rect: Rect, paint: (x: number, y: number, rgb: number[]) => number[]): Raw {
  const data = img.data.slice();
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const p = (y * img.width + x) * 3;
      const out = paint(x, y, [data[p], data[p + 1], data[p + 2]]);
      for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, Math.round(out[c])));
    }
  }
  return { ...img, data };
}

const luma = (rgb: ArrayLike<number>, p: number) => 0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2];

/** Pearson correlation of the luma of `rect` in two images. */
function correlation(a: { data: ArrayLike<number>; width: number }, b: { data: ArrayLike<number>; width: number }, rect: Rect): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      xs.push(luma(a.data, (y * a.width + x) * 3));
      ys.push(luma(b.data, (y * b.width + x) * 3));
    }
  }
  const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
  const [mx, my] = [mean(xs), mean(ys)];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** The original, squeezed to +-`levels` around `base` (per pixel: its luma's offset from the area's mean). */
function faint(img: Raw, rect: Rect, levels: number): (x: number, y: number, rgb: number[], base: number[]) => number[] {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const l = luma(img.data, (y * img.width + x) * 3);
      lo = Math.min(lo, l);
      hi = Math.max(hi, l);
      sum += l;
    }
  }
  const mean = sum / (rect.w * rect.h);
  const scale = levels / Math.max(hi - mean, mean - lo);
  return (x, y, _rgb, base) => {
    const d = (luma(img.data, (y * img.width + x) * 3) - mean) * scale;
    return base.map((v) => v + d);
  };
}

const FACE: Rect = { x: 150, y: 75, w: 200, h: 250 };
const overlay = (color: string, rect: Rect = FACE): Step => ({ op: 'overlay', region: rect, regionKind: 'face', color, at: '2026-01-02T10:20:00.000Z' });
const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));

// The settings deid's exports are written at and around (cli/pixels-io.ts: quality 90+; the
// panel: Photoshop's quality 12); the per-pixel tolerance was measured for those.
const ENCODINGS: Array<[string, sharp.JpegOptions]> = [
  ['quality 90, 4:2:0', { quality: 90, chromaSubsampling: '4:2:0' }],
  ['quality 92, 4:4:4', { quality: 92, chromaSubsampling: '4:4:4' }],
  ['quality 100, 4:4:4', { quality: 100, chromaSubsampling: '4:4:4' }],
  ['mozjpeg quality 85', { quality: 85, mozjpeg: true }],
];

describe('a faint copy under an overlay', () => {
  let photo: Raw;
  beforeAll(async () => {
    photo = await rawOf(SAMPLE);
  });

  test.each(ENCODINGS)('a solid overlay of any colour passes at %s', async (_name, options) => {
    for (const color of ['#000000', '#ffffff', '#1e90ff', '#ff00ff', '#808080']) {
      const out = await throughJpeg(painted(photo, FACE, () => hex(color)), options);
      expect(checkRegionObscured(out, overlay(color), DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
    }
  });

  test("a solid overlay with Photoshop's 16-to-8-bit dither (+-1 level) still passes", async () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 3) - 1;
    const out = await throughJpeg(painted(photo, FACE, () => hex('#202020').map((v) => v + noise())), { quality: 100, chromaSubsampling: '4:4:4' });
    expect(checkRegionObscured(out, overlay('#202020'), DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
  });

  test.each([8, 10, 14])('the original squeezed into +-%i levels under black is recoverable, and fails', async (levels) => {
    const paint = faint(photo, FACE, levels);
    const out = await throughJpeg(painted(photo, FACE, (x, y, rgb) => paint(x, y, rgb, [12, 12, 12])), { quality: 90 });
    // The attack is real: what the export holds there still follows the face.
    expect(correlation(out, photo, FACE)).toBeGreaterThan(0.8);
    // Every pixel is within the per-pixel tolerance: without the deep check it would pass.
    expect(checkRegionObscured(out, overlay('#0c0c0c'), DEFAULT_POLICY, { ...JPEG_TOLERANCE, flatDepth: 0 })).toMatchObject({ ok: true });
    const check = checkRegionObscured(out, overlay('#0c0c0c'), DEFAULT_POLICY, JPEG_TOLERANCE);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/deep inside it/);
  });

  test('in a camera photo, under a saturated colour and an elliptical selection: solid passes, faint fails', async () => {
    const camera = await rawOf(path.join(CORPUS, 'jpg', 'Reconyx_HC500_Hyperfire.jpg'));
    const rect: Rect = { x: 700, y: 500, w: 300, h: 220 };
    // Run lengths over the region, row by row (pixels/mask-runs.ts): an ellipse.
    const runs: number[] = [];
    const inside = (x: number, y: number) => ((x + 0.5 - rect.w / 2) / (rect.w / 2)) ** 2 + ((y + 0.5 - rect.h / 2) / (rect.h / 2)) ** 2 <= 1;
    let current = false;
    let length = 0;
    for (let y = 0; y < rect.h; y++) {
      for (let x = 0; x < rect.w; x++) {
        if (inside(x, y) === current) length++;
        else {
          runs.push(length);
          current = !current;
          length = 1;
        }
      }
    }
    runs.push(length);
    const step: Step = { ...overlay('#1e90ff', rect), mask: runs };
    const inEllipse = (x: number, y: number) => inside(x - rect.x, y - rect.y);
    const solid = await throughJpeg(painted(camera, rect, (x, y, rgb) => (inEllipse(x, y) ? hex('#1e90ff') : rgb)), { quality: 90 });
    expect(checkRegionObscured(solid, step, DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
    const paint = faint(camera, rect, 9);
    const hidden = await throughJpeg(painted(camera, rect, (x, y, rgb) => (inEllipse(x, y) ? paint(x, y, rgb, hex('#1e90ff')) : rgb)), { quality: 90 });
    expect(checkRegionObscured(hidden, step, DEFAULT_POLICY, { ...JPEG_TOLERANCE, flatDepth: 0 })).toMatchObject({ ok: true });
    expect(checkRegionObscured(hidden, step, DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: false });
  });
});

test('faint text under a black bar over a name badge fails; the plain bar passes', async () => {
  // A badge: dark letters on white, drawn by librsvg (through sharp), as the photo's original.
  const badge: Rect = { x: 120, y: 200, w: 300, h: 90 };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="#b0a090"/><rect x="${badge.x}" y="${badge.y}" width="${badge.w}" height="${badge.h}" fill="#ffffff"/><text x="${badge.x + 10}" y="${badge.y + 62}" font-family="sans-serif" font-weight="bold" font-size="44" fill="#101010">JANE DOE</text></svg>`;
  const original = await rawOf(await sharp(Buffer.from(svg)).png().toBuffer());
  const step = overlay('#000000', badge);
  const bar = await throughJpeg(painted(original, badge, () => [0, 0, 0]), { quality: 90 });
  expect(checkRegionObscured(bar, step, DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
  const paint = faint(original, badge, 10);
  const hidden = await throughJpeg(painted(original, badge, (x, y, rgb) => paint(x, y, rgb, [10, 10, 10])), { quality: 90 });
  expect(correlation(hidden, original, badge)).toBeGreaterThan(0.8);
  expect(checkRegionObscured(hidden, step, DEFAULT_POLICY, { ...JPEG_TOLERANCE, flatDepth: 0 })).toMatchObject({ ok: true });
  expect(checkRegionObscured(hidden, step, DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: false });
});

describe('a faint copy inside mosaic cells', () => {
  test('cells of one colour pass; cells that each keep the original at +-10 levels fail', async () => {
    const photo = await rawOf(SAMPLE);
    const cell = Math.max(48, minimumCellSize(DEFAULT_POLICY, FACE));
    const step: Step = { op: 'pixelate', region: FACE, regionKind: 'face', cellSize: cell, at: '2026-01-02T10:20:00.000Z' };
    const means = new Map<string, number[]>();
    const cellOf = (x: number, y: number) => `${Math.floor((x - FACE.x) / cell)},${Math.floor((y - FACE.y) / cell)}`;
    for (let y = FACE.y; y < FACE.y + FACE.h; y++) {
      for (let x = FACE.x; x < FACE.x + FACE.w; x++) {
        const m = means.get(cellOf(x, y)) ?? [0, 0, 0, 0];
        const p = (y * photo.width + x) * 3;
        for (let c = 0; c < 3; c++) m[c] += photo.data[p + c];
        m[3]++;
        means.set(cellOf(x, y), m);
      }
    }
    const mean = (x: number, y: number) => {
      const m = means.get(cellOf(x, y))!;
      return [m[0] / m[3], m[1] / m[3], m[2] / m[3]];
    };
    const solid = await throughJpeg(painted(photo, FACE, (x, y) => mean(x, y)), { quality: 90 });
    expect(checkRegionObscured(solid, step, DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
    const paint = faint(photo, FACE, 10);
    const hidden = await throughJpeg(painted(photo, FACE, (x, y, rgb) => paint(x, y, rgb, mean(x, y))), { quality: 90 });
    // The faint copy holds the detail the mosaic took away: what it adds to the mosaic follows
    // what the mosaic removed from the photo.
    const minus = (a: { data: ArrayLike<number>; width: number }, b: { data: ArrayLike<number> }) => ({ width: a.width, data: Array.from(a.data, (v, i) => v - b.data[i]) });
    const mosaicOnly = painted(photo, FACE, (x, y) => mean(x, y));
    expect(correlation(minus(hidden, solid), minus(photo, mosaicOnly), FACE)).toBeGreaterThan(0.7);
    expect(checkRegionObscured(hidden, step, DEFAULT_POLICY, { ...JPEG_TOLERANCE, flatDepth: 0 })).toMatchObject({ ok: true });
    const check = checkRegionObscured(hidden, step, DEFAULT_POLICY, JPEG_TOLERANCE);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/deep inside/);
  });
});
