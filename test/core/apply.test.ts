import { DeidError } from '../../src/core/errors';
import { applySteps, stepsInFinalCoordinates } from '../../src/core/pixels/apply';
import { checkRegionObscured, LOSSLESS_TOLERANCE } from '../../src/core/pixels/verify-region';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import type { Step } from '../../src/core/sidecar/types';
import { grid, toMatchPixels } from '../helpers/pixels';

expect.extend({ toMatchPixels });

const AT = '2024-05-01T10:00:00.000Z';

function noise(width: number, height: number): PixelBuffer {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  return { data, width, height, components: 3, hasAlpha: false, maxValue: 255 };
}

describe('applySteps', () => {
  it('replays overlay, mosaic and crop in order, without touching the input', () => {
    const img = grid`
      1 2 3 4
      5 6 7 8
    `;
    const steps: Step[] = [
      { op: 'overlay', region: { x: 0, y: 0, w: 1, h: 2 }, regionKind: 'text', color: '#ffffff', at: AT },
      { op: 'crop', region: { x: 1, y: 0, w: 3, h: 2 }, at: AT },
      { op: 'flatten', at: AT },
    ];
    expect(applySteps(img, steps, DEFAULT_POLICY)).toMatchPixels(grid`
      2 3 4
      6 7 8
    `);
    expect(img).toMatchPixels(grid`
      1 2 3 4
      5 6 7 8
    `);
  });

  it('checks every step before changing anything: one forbidden step refuses the recipe', () => {
    const img = noise(64, 64);
    const steps: Step[] = [
      { op: 'overlay', region: { x: 0, y: 0, w: 10, h: 10 }, at: AT },
      { op: 'pixelate', region: { x: 0, y: 0, w: 40, h: 40 }, regionKind: 'text', cellSize: 8, at: AT },
    ];
    expect(() => applySteps(img, steps, DEFAULT_POLICY)).toThrow('mosaic is not allowed on text; use an overlay');
    const tooFine: Step[] = [{ op: 'pixelate', region: { x: 0, y: 0, w: 60, h: 60 }, regionKind: 'face', cellSize: 8, at: AT }];
    expect(() => applySteps(img, tooFine, DEFAULT_POLICY)).toThrow(DeidError);
  });

  it('uses the policy colour for an overlay without one', () => {
    const out = applySteps(grid`
      9,9,9
    `, [{ op: 'overlay', region: { x: 0, y: 0, w: 1, h: 1 }, at: AT }], { ...DEFAULT_POLICY, overlayColor: '#102030' });
    expect(out).toMatchPixels(grid`
      16,32,48
    `);
  });
});

describe('stepsInFinalCoordinates', () => {
  it('moves regions by every later crop and drops those cropped away', () => {
    const steps: Step[] = [
      { op: 'pixelate', region: { x: 30, y: 40, w: 50, h: 50 }, regionKind: 'face', cellSize: 10, at: AT },
      { op: 'overlay', region: { x: 0, y: 0, w: 5, h: 5 }, at: AT },
      { op: 'crop', region: { x: 20, y: 10, w: 100, h: 100 }, at: AT },
      { op: 'overlay', region: { x: 1, y: 2, w: 3, h: 4 }, at: AT },
      { op: 'crop', region: { x: 5, y: 5, w: 50, h: 50 }, at: AT },
    ];
    expect(stepsInFinalCoordinates(steps).map((s) => [s.op, s.region])).toEqual([
      ['pixelate', { x: 5, y: 25, w: 50, h: 50 }],
    ]);
  });

  it('lets verify check a replayed recipe with a crop that cut through a mosaic', () => {
    const img = noise(120, 100);
    const steps: Step[] = [
      { op: 'pixelate', region: { x: 10, y: 10, w: 80, h: 60 }, regionKind: 'face', cellSize: 12, at: AT },
      { op: 'crop', region: { x: 17, y: 23, w: 90, h: 70 }, at: AT },
    ];
    const out = applySteps(img, steps, DEFAULT_POLICY);
    const [mosaic] = stepsInFinalCoordinates(steps);
    expect(mosaic.region).toEqual({ x: -7, y: -13, w: 80, h: 60 });
    expect(checkRegionObscured(out, mosaic, DEFAULT_POLICY, LOSSLESS_TOLERANCE)).toMatchObject({ ok: true });
    expect(checkRegionObscured(out, steps[0], DEFAULT_POLICY, LOSSLESS_TOLERANCE).ok).toBe(false);
  });
});
