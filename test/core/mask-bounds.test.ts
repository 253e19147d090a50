import fc from 'fast-check';
import { maskToRuns, runsToMask } from '../../src/core/pixels/mask-runs';

/**
 * Issue 13.5: a step's mask is built only inside the image, so a recorded region far larger than
 * the picture (60000x60000 over a small photo) costs the image's size, not the region's.
 */
test('a 60000x60000 mask over a 100x80 image allocates the image, not the region', () => {
  const region = { x: -30000, y: -20000, w: 60000, h: 60000 };
  const mask = runsToMask([0, 60000 * 60000], region, { x: 0, y: 0, w: 100, h: 80 });
  expect(mask.bounds).toEqual({ x: 0, y: 0, w: 100, h: 80 });
  expect(mask.data.length).toBe(8000);
  expect(mask.data.every((v) => v === 255)).toBe(true);
});

test('property: the bounded mask is exactly the full mask cut to the bounds', () => {
  const arb = fc.record({
    w: fc.integer({ min: 1, max: 24 }), h: fc.integer({ min: 1, max: 24 }),
    x: fc.integer({ min: -10, max: 10 }), y: fc.integer({ min: -10, max: 10 }),
    bw: fc.integer({ min: 1, max: 30 }), bh: fc.integer({ min: 1, max: 30 }),
    seed: fc.array(fc.boolean(), { minLength: 576, maxLength: 576 }),
  });
  fc.assert(fc.property(arb, ({ w, h, x, y, bw, bh, seed }) => {
    const region = { x, y, w, h };
    const full = { data: Uint8Array.from({ length: w * h }, (_, i) => (seed[i] ? 255 : 0)), bounds: region };
    const runs = maskToRuns(full, region);
    const within = { x: 0, y: 0, w: bw, h: bh };
    const cut = runsToMask(runs, region, within);
    for (let py = 0; py < bh; py++) {
      for (let px = 0; px < bw; px++) {
        const inRegion = px >= x && py >= y && px < x + w && py < y + h;
        const expected = inRegion ? full.data[(py - y) * w + (px - x)] : 0;
        const inBounds = px >= cut.bounds.x && py >= cut.bounds.y && px < cut.bounds.x + cut.bounds.w && py < cut.bounds.y + cut.bounds.h;
        const got = inBounds ? cut.data[(py - cut.bounds.y) * cut.bounds.w + (px - cut.bounds.x)] : 0;
        if (got !== expected) return false;
      }
    }
    return cut.data.length === cut.bounds.w * cut.bounds.h;
  }), { numRuns: 300 });
});
