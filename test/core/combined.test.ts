import { DeidError } from '../../src/core/errors';
import { applySteps } from '../../src/core/pixels/apply';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { checkCombinedMosaics, combinedMosaicProblems, minimumCellSizeNear } from '../../src/core/policy/combined';
import { checkStep, DEFAULT_POLICY } from '../../src/core/policy/policy';
import type { Step } from '../../src/core/sidecar/types';

const AT = '2026-01-02T03:04:05.000Z';

function mosaic(x: number, y: number, w: number, h: number, cellSize: number): Step {
  return { op: 'pixelate', region: { x, y, w, h }, regionKind: 'face', cellSize, at: AT };
}

/** A 200x200 face covered by sixteen 50x50 tiles with 10 px cells: 20 cells across the face. */
const TILES: Step[] = [];
for (let y = 0; y < 200; y += 50) for (let x = 0; x < 200; x += 50) TILES.push(mosaic(x, y, 50, 50, 10));

test('each tile passes on its own, but together they are refused', () => {
  for (const t of TILES) expect(() => checkStep(DEFAULT_POLICY, t)).not.toThrow();
  const problems = combinedMosaicProblems(DEFAULT_POLICY, TILES);
  expect(problems).toHaveLength(16);
  expect(problems[0]).toMatchObject({ area: { x: 0, y: 0, w: 200, h: 200 }, required: 40, cellSize: 10 });
  expect(() => checkCombinedMosaics(DEFAULT_POLICY, TILES)).toThrow(DeidError);
});

test('replaying a tiled recipe is refused before any pixel changes', () => {
  const buf: PixelBuffer = { data: new Uint8Array(220 * 220 * 3).fill(7), width: 220, height: 220, components: 3, hasAlpha: false, maxValue: 255 };
  expect(() => applySteps(buf, TILES, DEFAULT_POLICY)).toThrow(/needs cells of at least 40 px/);
  expect(buf.data.every((v) => v === 7)).toBe(true);
});

test('strips with a 1 px gap still count as one area (gaps under the cell floor join)', () => {
  const strips = Array.from({ length: 20 }, (_, i) => mosaic(0, i * 9, 200, 8, 8));
  expect(combinedMosaicProblems(DEFAULT_POLICY, strips).length).toBe(20);
});

test('a fine mosaic painted over a coarse one is refused; far-apart mosaics are judged alone', () => {
  expect(() => checkCombinedMosaics(DEFAULT_POLICY, [mosaic(0, 0, 200, 200, 40), mosaic(20, 20, 60, 60, 12)])).toThrow(DeidError);
  expect(() => checkCombinedMosaics(DEFAULT_POLICY, [mosaic(0, 0, 200, 200, 40), mosaic(400, 400, 60, 60, 12)])).not.toThrow();
});

test('the minimum for a new mosaic accounts for the mosaics already next to it', () => {
  const prior = [mosaic(0, 0, 100, 200, 40)];
  expect(minimumCellSizeNear(DEFAULT_POLICY, prior, { x: 100, y: 0, w: 100, h: 200 })).toBe(40);
  expect(minimumCellSizeNear(DEFAULT_POLICY, prior, { x: 500, y: 0, w: 50, h: 50 })).toBe(10);
});

test('a fine mosaic painted over completely by a later coarse one no longer counts', () => {
  expect(() => checkCombinedMosaics(DEFAULT_POLICY, [mosaic(0, 0, 100, 200, 20), mosaic(0, 0, 200, 200, 40)])).not.toThrow();
  // The other order: the fine one is on top and shows.
  expect(() => checkCombinedMosaics(DEFAULT_POLICY, [mosaic(0, 0, 200, 200, 40), mosaic(0, 0, 100, 200, 20)])).toThrow(DeidError);
});
