import fc from 'fast-check';
import type { Rect } from '../../src/core/geometry';
import type { Mask, PixelBuffer } from '../../src/core/pixels/types';

/** Random chunky buffers: 8-bit, Photoshop 16-bit (32768) or sharp 16-bit; 1-4 components. */
export function arbitraryBuffer(opts: { maxSide: number; minSide?: number }): fc.Arbitrary<PixelBuffer> {
  const minSide = opts.minSide ?? 1;
  return fc
    .record({
      width: fc.integer({ min: minSide, max: opts.maxSide }),
      height: fc.integer({ min: minSide, max: opts.maxSide }),
      components: fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<PixelBuffer['components']>,
      maxValue: fc.constantFrom(255, 32768, 65535),
      alphaWanted: fc.boolean(),
      seed: fc.integer(),
    })
    .map(({ width, height, components, maxValue, alphaWanted, seed }) => {
      const n = width * height * components;
      const data = maxValue > 255 ? new Uint16Array(n) : new Uint8Array(n);
      // A cheap deterministic fill (xorshift) keeps shrinking fast for large buffers.
      let s = seed | 1;
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        data[i] = (s >>> 0) % (maxValue + 1);
      }
      const hasAlpha = alphaWanted && (components === 2 || components === 4);
      return { data, width, height, components, hasAlpha, maxValue };
    });
}

/** Regions that may stick out of the image on any side (never empty). */
export function arbitraryRegion(buf: PixelBuffer): fc.Arbitrary<Rect> {
  return fc.record({
    x: fc.integer({ min: -4, max: buf.width - 1 }),
    y: fc.integer({ min: -4, max: buf.height - 1 }),
    w: fc.integer({ min: 1, max: buf.width + 6 }),
    h: fc.integer({ min: 1, max: buf.height + 6 }),
  });
}

/** Masks anywhere around the image, mostly zero with some selected (1-255) pixels. */
export function arbitraryMask(buf: PixelBuffer): fc.Arbitrary<Mask> {
  return fc
    .record({
      x: fc.integer({ min: -3, max: buf.width }),
      y: fc.integer({ min: -3, max: buf.height }),
      w: fc.integer({ min: 0, max: buf.width + 3 }),
      h: fc.integer({ min: 0, max: buf.height + 3 }),
    })
    .chain((bounds) =>
      fc
        .array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) }), {
          minLength: bounds.w * bounds.h,
          maxLength: bounds.w * bounds.h,
        })
        .map((values) => ({ data: Uint8Array.from(values), bounds })),
    );
}

/** A copy to mutate (fast-check reuses generated values while shrinking). */
export function cloneBuffer(buf: PixelBuffer): PixelBuffer {
  return { ...buf, data: buf.data.slice() };
}
