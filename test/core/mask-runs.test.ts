import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import { applySteps } from '../../src/core/pixels/apply';
import { maskToRuns, runsToMask } from '../../src/core/pixels/mask-runs';
import { checkRegionObscured, LOSSLESS_TOLERANCE } from '../../src/core/pixels/verify-region';
import type { Mask, PixelBuffer } from '../../src/core/pixels/types';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { validateRecipe } from '../../src/core/sidecar/schema';
import type { Step } from '../../src/core/sidecar/types';

const AT = '2026-01-02T03:04:05.000Z';

function noise(width: number, height: number): PixelBuffer {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 97 + (i >> 3) * 31) & 0xff;
  return { data, width, height, components: 3, hasAlpha: false, maxValue: 255 };
}

/** A filled ellipse inscribed in the region: the usual lasso-ish selection. */
function ellipse(region: { x: number; y: number; w: number; h: number }): Mask {
  const data = new Uint8Array(region.w * region.h);
  const cx = region.w / 2;
  const cy = region.h / 2;
  for (let y = 0; y < region.h; y++) {
    for (let x = 0; x < region.w; x++) {
      const dx = (x + 0.5 - cx) / cx;
      const dy = (y + 0.5 - cy) / cy;
      if (dx * dx + dy * dy <= 1) data[y * region.w + x] = 255;
    }
  }
  return { data, bounds: { ...region } };
}

test('runs round-trip any mask exactly (anything > 0 is selected)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.uint8Array({ minLength: 144, maxLength: 144 }), (w, h, bytes) => {
      const region = { x: 3, y: -2, w, h };
      const mask: Mask = { data: bytes.slice(0, w * h), bounds: region };
      const back = runsToMask(maskToRuns(mask, region), region);
      expect(Array.from(back.data)).toEqual(Array.from(mask.data, (v) => (v > 0 ? 255 : 0)));
    }),
  );
});

test('runs that do not add up to the region are refused', () => {
  expect(() => runsToMask([1, 2], { x: 0, y: 0, w: 2, h: 2 })).toThrow(DeidError);
  expect(() => validateRecipe({ steps: [{ op: 'overlay', region: { x: 0, y: 0, w: 2, h: 2 }, mask: [5], at: AT }] })).toThrow(/runs cover 5 pixels/);
});

test.each(['overlay', 'pixelate'] as const)('a %s through an elliptical selection verifies; the corners outside it stay untouched', (op) => {
  const image = noise(96, 96);
  const region = { x: 8, y: 8, w: 80, h: 64 };
  const mask = ellipse(region);
  // Keep the selection to the left half, so whole cells on the right are never touched.
  for (let y = 0; y < region.h; y++) mask.data.fill(0, y * region.w + 40, (y + 1) * region.w);
  const step: Step = op === 'overlay'
    ? { op, region, regionKind: 'text', color: '#102030', mask: maskToRuns(mask, region), at: AT }
    : { op, region, regionKind: 'face', cellSize: 16, mask: maskToRuns(mask, region), at: AT };
  const out = applySteps(image, [step], DEFAULT_POLICY);
  expect(checkRegionObscured(out, step, DEFAULT_POLICY, LOSSLESS_TOLERANCE)).toMatchObject({ ok: true });
  // A pixel in the region's right half is outside the selection and outside any touched cell.
  const corner = ((8 + 5) * 96 + 8 + 70) * 3;
  expect(Array.from(out.data.subarray(corner, corner + 3))).toEqual(Array.from(image.data.subarray(corner, corner + 3)));
  // Without the mask the same step would claim the whole box, and that is rightly not obscured.
  const { mask: _ignored, ...boxOnly } = step;
  expect(checkRegionObscured(out, boxOnly, DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(false);
});

test('a pixel painted back inside a masked overlay fails verification', () => {
  const image = noise(64, 64);
  const region = { x: 4, y: 4, w: 50, h: 40 };
  const mask = ellipse(region);
  const step: Step = { op: 'overlay', region, regionKind: 'text', color: '#000000', mask: maskToRuns(mask, region), at: AT };
  const out = applySteps(image, [step], DEFAULT_POLICY);
  const centre = ((4 + 20) * 64 + 4 + 25) * 3;
  out.data.set(image.data.subarray(centre, centre + 3), centre);
  expect(checkRegionObscured(out, step, DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(false);
});

test('a step whose mask selects no pixel is refused (it would paint nothing); verify reports one recorded that way', () => {
  const region = { x: 10, y: 10, w: 40, h: 30 };
  for (const runs of [[region.w * region.h], [0, 0, region.w * region.h]]) {
    const empty: Step = { op: 'overlay', region, regionKind: 'text', color: '#000000', mask: runs, at: AT };
    expect(() => applySteps(noise(80, 60), [empty], DEFAULT_POLICY)).toThrow(/the step's mask selects no pixel of its region, so it would obscure nothing/);
    expect(checkRegionObscured(noise(80, 60), empty, DEFAULT_POLICY, LOSSLESS_TOLERANCE)).toEqual({ ok: false, detail: 'the recorded mask selects no pixel of its region: nothing there was obscured' });
  }
  // Selected pixels only where the region runs past the image: nothing inside it is obscured.
  const past: Step = { op: 'overlay', region: { x: 70, y: 10, w: 20, h: 2 }, regionKind: 'face', color: '#000000', mask: [10, 10, 10, 10], at: AT };
  expect(() => applySteps(noise(80, 60), [past], DEFAULT_POLICY)).toThrow(/step 1 \(overlay\): its mask selects no pixel inside the 80x60 image, so it would obscure nothing/);
  expect(checkRegionObscured(noise(80, 60), past, DEFAULT_POLICY, LOSSLESS_TOLERANCE)).toEqual({ ok: false, detail: 'the recorded mask selects no pixel inside the image: nothing there was obscured' });
  // One selected pixel is a selection: painted and checked as such.
  const one: Step = { op: 'overlay', region, regionKind: 'text', color: '#000000', mask: [5, 1, region.w * region.h - 6], at: AT };
  const out = applySteps(noise(80, 60), [one], DEFAULT_POLICY);
  expect(checkRegionObscured(out, one, DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(true);
});
