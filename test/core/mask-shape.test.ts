/**
 * Non-rectangular selections (Step.mask) against what verify promises: every recorded region is
 * obscured. A selection made by colour traces the detail it is meant to hide, and a selection
 * made of thin parts escaped the lossy check entirely; both passed verify while the detail stayed
 * readable. Pixels are encoded and decoded by sharp (libvips, libjpeg-turbo), not by our code.
 */
import * as path from 'node:path';
import sharp from 'sharp';
import type { Rect } from '../../src/core/geometry';
import { applySteps } from '../../src/core/pixels/apply';
import { maskToRuns } from '../../src/core/pixels/mask-runs';
import { overlayRegion } from '../../src/core/pixels/overlay';
import type { Mask, PixelBuffer } from '../../src/core/pixels/types';
import { checkRegionObscured, JPEG_TOLERANCE, LOSSLESS_TOLERANCE } from '../../src/core/pixels/verify-region';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import type { Step } from '../../src/core/sidecar/types';
import { CORPUS } from '../helpers/paths';

const AT = '2026-11-30T12:00:00.000Z';
const PHOTO = path.join(CORPUS, 'jpg', 'gps', 'DSCN0010.jpg');

async function rgb(input: Buffer | string): Promise<PixelBuffer> {
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, components: 3, hasAlpha: false, maxValue: 255 };
}

function encode(buf: PixelBuffer, as: 'png' | 'jpeg'): Promise<Buffer> {
  const img = sharp(Buffer.from(buf.data), { raw: { width: buf.width, height: buf.height, channels: buf.components } });
  return (as === 'png' ? img.png() : img.jpeg({ quality: 90 })).toBuffer();
}

/** Through a real codec and back, as verify sees an export. */
async function roundTrip(buf: PixelBuffer, as: 'png' | 'jpeg'): Promise<PixelBuffer> {
  return rgb(await encode(buf, as));
}

function maskOf(region: Rect, selected: (x: number, y: number) => boolean): Mask {
  const data = new Uint8Array(region.w * region.h);
  for (let y = 0; y < region.h; y++) for (let x = 0; x < region.w; x++) if (selected(x, y)) data[y * region.w + x] = 255;
  return { data, bounds: { ...region } };
}

function overlayStep(region: Rect, mask: Mask, regionKind: Step['regionKind'] = 'face'): Step {
  return { op: 'overlay', region, regionKind, color: '#000000', mask: maskToRuns(mask, region), at: AT };
}

function pixel(buf: PixelBuffer, x: number, y: number): number[] {
  const p = (y * buf.width + x) * buf.components;
  return Array.from(buf.data.subarray(p, p + buf.components));
}

describe('a selection that traces the lettering (Select > Color Range on a name badge)', () => {
  let badge: PixelBuffer;
  let region: Rect;
  let glyphs: Mask;

  beforeAll(async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="48"><rect width="200" height="48" fill="#ffffff"/>'
      + '<text x="10" y="34" font-family="DejaVu Sans" font-size="28" fill="#1a237e">JANE DOE</text></svg>';
    badge = await rgb(await sharp(Buffer.from(svg)).png().toBuffer());
    // The selection a colour range gives: the dark pixels of the letters, within their bounding box.
    const dark = (x: number, y: number) => pixel(badge, x, y)[0] < 160;
    let x0 = badge.width, y0 = badge.height, x1 = -1, y1 = -1;
    for (let y = 0; y < badge.height; y++) for (let x = 0; x < badge.width; x++) if (dark(x, y)) {
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
    region = { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
    glyphs = maskOf(region, (x, y) => dark(region.x + x, region.y + y));
  });

  it('is painted as one block: every row is black from its first letter pixel to its last, gaps and counters included (sharp reads the PNG back)', async () => {
    const out = await roundTrip(applySteps(badge, [overlayStep(region, glyphs, 'text')], DEFAULT_POLICY), 'png');
    let gaps = 0;
    for (let y = 0; y < region.h; y++) {
      const row = [...Array(region.w).keys()].filter((x) => glyphs.data[y * region.w + x] !== 0);
      if (row.length === 0) continue;
      for (let x = row[0]; x <= row[row.length - 1]; x++) {
        if (glyphs.data[y * region.w + x] === 0) gaps++;
        expect(pixel(out, region.x + x, region.y + y)).toEqual([0, 0, 0]);
      }
    }
    // The selection really had gaps there (the white between and inside the letters).
    expect(gaps).toBeGreaterThan(1000);
  });

  it('painted through the letters alone (black lettering, as before) does not verify, even losslessly', async () => {
    const lettersOnly = { ...badge, data: Uint8Array.from(badge.data) };
    overlayRegion(lettersOnly, region, '#000000', glyphs);
    const decoded = await roundTrip(lettersOnly, 'png');
    // What the export shows: the white background between the strokes is untouched, so the
    // strokes read as black text (the name, unchanged in shape).
    const gap = [...Array(region.w * region.h).keys()].find((i) => glyphs.data[i] === 0)!;
    expect(pixel(decoded, region.x + (gap % region.w), region.y + Math.floor(gap / region.w))).toEqual(pixel(badge, region.x + (gap % region.w), region.y + Math.floor(gap / region.w)));
    const check = checkRegionObscured(decoded, overlayStep(region, glyphs, 'text'), DEFAULT_POLICY, LOSSLESS_TOLERANCE);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/not solid/);
  });
});

describe('a selection made of thin parts, in a JPEG export', () => {
  let photo: PixelBuffer;
  const house: Rect = { x: 140, y: 190, w: 200, h: 120 };

  beforeAll(async () => {
    photo = await rgb(PHOTO);
  });

  // Four columns selected, one not, across the region: no selected pixel lies 2 px inside the
  // selection's border, so the lossy check (which exempts that band) had nothing left to check.
  const stripes = maskOf(house, (x) => x % 5 !== 4);

  it('with nothing painted at all (the original pixels) does not verify', async () => {
    const untouched = await roundTrip(photo, 'jpeg');
    const check = checkRegionObscured(untouched, overlayStep(house, stripes), DEFAULT_POLICY, JPEG_TOLERANCE);
    expect(check.ok).toBe(false);
  });

  it('painted by apply and saved by libjpeg at quality 90 verifies', async () => {
    const painted = await roundTrip(applySteps(photo, [overlayStep(house, stripes)], DEFAULT_POLICY), 'jpeg');
    expect(checkRegionObscured(painted, overlayStep(house, stripes), DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
  });

  // A date stamp or serial number line: 4 px tall even once its gaps are filled.
  const line = maskOf({ ...house, h: 6 }, (_x, y) => y >= 1 && y <= 4);

  it('a selection thinner than the lossy border band still has its middle checked', async () => {
    const lineRegion = { ...house, h: 6 };
    const untouched = await roundTrip(photo, 'jpeg');
    expect(checkRegionObscured(untouched, overlayStep(lineRegion, line, 'text'), DEFAULT_POLICY, JPEG_TOLERANCE).ok).toBe(false);
    const painted = await roundTrip(applySteps(photo, [overlayStep(lineRegion, line, 'text')], DEFAULT_POLICY), 'jpeg');
    expect(checkRegionObscured(painted, overlayStep(lineRegion, line, 'text'), DEFAULT_POLICY, JPEG_TOLERANCE)).toMatchObject({ ok: true });
  });
});
