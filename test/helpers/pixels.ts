import type { Mask, PixelBuffer } from '../../src/core/pixels/types';

export interface GridOptions {
  /** 255 (default), 32768 (Photoshop 16-bit) or 65535 (sharp 16-bit); above 255 gives Uint16Array. */
  maxValue?: number;
  /** Default: true for 2 and 4 components. */
  hasAlpha?: boolean;
}

/**
 * Parses a small image written as text: one row per line, pixels separated by spaces, the
 * components of a pixel separated by commas ("255,0,0" is one RGB pixel). Blank lines and
 * `//` comments are ignored.
 */
export function parseGrid(text: string, options: GridOptions = {}): PixelBuffer {
  const rows = text
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(/\s+/).map((px) => px.split(',').map(Number)));
  if (rows.length === 0) throw new Error('grid: no rows');
  const width = rows[0].length;
  const components = rows[0][0].length;
  if (components < 1 || components > 4) throw new Error(`grid: ${components} components per pixel`);
  const values: number[] = [];
  rows.forEach((row, y) => {
    if (row.length !== width) throw new Error(`grid: row ${y} has ${row.length} pixels, expected ${width}`);
    row.forEach((px, x) => {
      if (px.length !== components || px.some((v) => !Number.isInteger(v))) {
        throw new Error(`grid: pixel (${x}, ${y}) is not ${components} whole numbers`);
      }
      values.push(...px);
    });
  });
  const maxValue = options.maxValue ?? 255;
  return {
    data: maxValue > 255 ? Uint16Array.from(values) : Uint8Array.from(values),
    width,
    height: rows.length,
    components: components as PixelBuffer['components'],
    hasAlpha: options.hasAlpha ?? (components === 2 || components === 4),
    maxValue,
  };
}

function joinTemplate(strings: TemplateStringsArray, values: unknown[]): string {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
}

/** An 8-bit image from a text grid (see parseGrid). */
export function grid(strings: TemplateStringsArray, ...values: unknown[]): PixelBuffer {
  return parseGrid(joinTemplate(strings, values));
}

/** A grid tag with options, e.g. gridWith({ maxValue: 32768 })`...`. */
export function gridWith(options: GridOptions) {
  return (strings: TemplateStringsArray, ...values: unknown[]): PixelBuffer => parseGrid(joinTemplate(strings, values), options);
}

/** A mask from a text grid of 0-255 values placed at (x, y). */
export function maskGrid(x: number, y: number) {
  return (strings: TemplateStringsArray, ...values: unknown[]): Mask => {
    const g = parseGrid(joinTemplate(strings, values));
    return { data: Uint8Array.from(g.data), bounds: { x, y, w: g.width, h: g.height } };
  };
}

function pixelAt(buf: PixelBuffer, x: number, y: number): number[] {
  const p = (y * buf.width + x) * buf.components;
  return Array.from(buf.data.subarray(p, p + buf.components));
}

function describePixel(px: number[]): string {
  return px.length === 1 ? String(px[0]) : `(${px.join(', ')})`;
}

/** Jest matcher: same size, layout and values; on failure names the first wrong pixel. */
export function toMatchPixels(this: jest.MatcherContext, received: PixelBuffer, expected: PixelBuffer): jest.CustomMatcherResult {
  const layout = (b: PixelBuffer): string => `${b.width}x${b.height}, ${b.components} components${b.hasAlpha ? ' with alpha' : ''}, max ${b.maxValue}`;
  if (
    received.width !== expected.width ||
    received.height !== expected.height ||
    received.components !== expected.components ||
    received.hasAlpha !== expected.hasAlpha ||
    received.maxValue !== expected.maxValue
  ) {
    return { pass: false, message: () => `expected pixels ${layout(expected)}, received ${layout(received)}` };
  }
  for (let y = 0; y < expected.height; y++) {
    for (let x = 0; x < expected.width; x++) {
      const a = pixelAt(received, x, y);
      const e = pixelAt(expected, x, y);
      if (a.some((v, i) => v !== e[i])) {
        return {
          pass: false,
          message: () => `pixel (${x}, ${y}): expected ${describePixel(e)}, received ${describePixel(a)}`,
        };
      }
    }
  }
  return { pass: true, message: () => `expected pixels not to match ${layout(expected)}, but every pixel did` };
}

declare global {
  namespace jest {
    interface Matchers<R> {
      toMatchPixels(expected: PixelBuffer): R;
    }
  }
}
