import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import { overlayRegion } from '../../src/core/pixels/overlay';
import { arbitraryBuffer, arbitraryMask, arbitraryRegion, cloneBuffer } from '../helpers/arbitraries';
import { grid, gridWith, maskGrid, toMatchPixels } from '../helpers/pixels';

expect.extend({ toMatchPixels });

describe('overlayRegion', () => {
  it('paints every pixel of the region, and only those', () => {
    const img = grid`
      1,1,1 2,2,2 3,3,3
      4,4,4 5,5,5 6,6,6
    `;
    expect(overlayRegion(img, { x: 1, y: 0, w: 5, h: 1 }, '#FF8000').pixelsPainted).toBe(2);
    expect(img).toMatchPixels(grid`
      1,1,1 255,128,0 255,128,0
      4,4,4 5,5,5     6,6,6
    `);
  });

  it('covers anti-aliased mask edges fully and makes alpha opaque', () => {
    const img = grid`
      9,9 9,9 9,9
      9,9 9,9 9,9
    `;
    const mask = maskGrid(0, 0)`
      0 1 255
      0 0 128
    `;
    expect(overlayRegion(img, { x: 0, y: 0, w: 3, h: 2 }, '#000000', mask).pixelsPainted).toBe(3);
    expect(img).toMatchPixels(grid`
      9,9 0,255 0,255
      9,9 9,9   0,255
    `);
  });

  it('maps the 8-bit colour to Photoshop 16-bit (round(v * 32768 / 255)) and gray to luma', () => {
    const rgb16 = gridWith({ maxValue: 32768, hasAlpha: false });
    const img = rgb16`
      0,0,0
    `;
    overlayRegion(img, { x: 0, y: 0, w: 1, h: 1 }, '#ff7f01');
    expect(img).toMatchPixels(rgb16`
      32768,16320,129
    `);
    const gray = grid`
      0
    `;
    overlayRegion(gray, { x: 0, y: 0, w: 1, h: 1 }, '#ff0000');
    expect(gray).toMatchPixels(grid`
      76
    `);
  });

  it('refuses a colour that is not #rrggbb', () => {
    const img = grid`
      0
    `;
    expect(() => overlayRegion(img, { x: 0, y: 0, w: 1, h: 1 }, 'red')).toThrow(DeidError);
  });

  it('property: covers exactly the selected pixels inside the region, opaque, and nothing else', () => {
    fc.assert(
      fc.property(
        arbitraryBuffer({ maxSide: 20 }).chain((b) =>
          fc.tuple(fc.constant(b), arbitraryRegion(b), fc.option(arbitraryMask(b), { nil: undefined }), fc.integer({ min: 0, max: 0xffffff })),
        ),
        ([generated, region, mask, rgb]) => {
          const buf = cloneBuffer(generated);
          const before = buf.data.slice();
          const color = `#${rgb.toString(16).padStart(6, '0')}`;
          const { pixelsPainted } = overlayRegion(buf, region, color, mask);
          const probe = cloneBuffer(buf);
          overlayRegion(probe, { x: 0, y: 0, w: 1, h: 1 }, color);
          const fill = Array.from(probe.data.subarray(0, buf.components));
          let expectedCount = 0;
          for (let y = 0; y < buf.height; y++) {
            for (let x = 0; x < buf.width; x++) {
              const inRegion = x >= region.x && x < region.x + region.w && y >= region.y && y < region.y + region.h;
              let selected = inRegion;
              if (mask && inRegion) {
                const { bounds } = mask;
                const inBounds = x >= bounds.x && y >= bounds.y && x < bounds.x + bounds.w && y < bounds.y + bounds.h;
                selected = inBounds && mask.data[(y - bounds.y) * bounds.w + (x - bounds.x)] > 0;
              }
              const p = (y * buf.width + x) * buf.components;
              const px = Array.from(buf.data.subarray(p, p + buf.components));
              if (selected) {
                expectedCount++;
                expect(px).toEqual(fill);
              } else {
                expect(px).toEqual(Array.from(before.subarray(p, p + buf.components)));
              }
            }
          }
          expect(pixelsPainted).toBe(expectedCount);
          if (buf.hasAlpha) expect(fill[buf.components - 1]).toBe(buf.maxValue);
        },
      ),
      { numRuns: 300 },
    );
  });
});
