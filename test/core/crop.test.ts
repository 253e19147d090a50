import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import { cropPixels } from '../../src/core/pixels/crop';
import { arbitraryBuffer, arbitraryRegion } from '../helpers/arbitraries';
import { grid, gridWith, toMatchPixels } from '../helpers/pixels';

expect.extend({ toMatchPixels });

describe('cropPixels', () => {
  it('copies the rectangle into a new buffer', () => {
    const img = grid`
      1 2 3 4
      5 6 7 8
      9 10 11 12
    `;
    const out = cropPixels(img, { x: 1, y: 1, w: 2, h: 2 });
    expect(out).toMatchPixels(grid`
      6 7
      10 11
    `);
    out.data[0] = 99;
    expect(img.data[5]).toBe(6);
  });

  it('clamps to the image and keeps 16-bit RGBA layout', () => {
    const g = gridWith({ maxValue: 32768 });
    const img = g`
      1,2,3,4 5,6,7,8
      9,9,9,9 0,0,0,0
    `;
    expect(cropPixels(img, { x: 1, y: -3, w: 10, h: 4 })).toMatchPixels(g`
      5,6,7,8
    `);
  });

  it('refuses a rectangle outside the image', () => {
    const img = grid`
      1 2
    `;
    expect(() => cropPixels(img, { x: 2, y: 0, w: 1, h: 1 })).toThrow(DeidError);
  });

  it('property: every output pixel is the input pixel at the offset', () => {
    fc.assert(
      fc.property(
        arbitraryBuffer({ maxSide: 16 }).chain((b) => fc.tuple(fc.constant(b), arbitraryRegion(b))),
        ([buf, rect]) => {
          const x0 = Math.max(0, rect.x);
          const y0 = Math.max(0, rect.y);
          if (rect.x + rect.w <= 0 || rect.y + rect.h <= 0) {
            expect(() => cropPixels(buf, rect)).toThrow(DeidError);
            return;
          }
          const out = cropPixels(buf, rect);
          expect(out.width).toBe(Math.min(buf.width, rect.x + rect.w) - x0);
          expect(out.height).toBe(Math.min(buf.height, rect.y + rect.h) - y0);
          for (let y = 0; y < out.height; y++) {
            for (let x = 0; x < out.width; x++) {
              for (let c = 0; c < buf.components; c++) {
                expect(out.data[(y * out.width + x) * buf.components + c]).toBe(
                  buf.data[((y + y0) * buf.width + x + x0) * buf.components + c],
                );
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
