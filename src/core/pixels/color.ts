import { DeidError } from '../errors';

/** An 8-bit RGB colour. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const EIGHT_BIT_MAX = 255;

/** ITU-R BT.601 luma weights: what Photoshop's Grayscale conversion approximates. */
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

export function isHexColor(s: string): boolean {
  return HEX_COLOR.test(s);
}

/** Parses "#rrggbb" (either case); throws DeidError('usage') otherwise. */
export function parseHexColor(s: string): Rgb {
  if (!isHexColor(s)) throw new DeidError('usage', `colour must be written "#rrggbb", got ${JSON.stringify(s)}`);
  return {
    r: parseInt(s.slice(1, 3), 16),
    g: parseInt(s.slice(3, 5), 16),
    b: parseInt(s.slice(5, 7), 16),
  };
}

/** Formats as lower-case "#rrggbb" (the sidecar's canonical form). */
export function formatHexColor(c: Rgb): string {
  const hex = (v: number): string => {
    if (!Number.isInteger(v) || v < 0 || v > EIGHT_BIT_MAX) {
      throw new DeidError('usage', `colour component must be 0-255, got ${v}`);
    }
    return v.toString(16).padStart(2, '0');
  };
  return `#${hex(c.r)}${hex(c.g)}${hex(c.b)}`;
}

/** Scales an 8-bit value to a buffer's full scale (Photoshop 16-bit is 0..32768). */
export function scaleEightBit(v: number, maxValue: number): number {
  return Math.round((v * maxValue) / EIGHT_BIT_MAX);
}

/**
 * The colour components (without alpha) to write into a buffer with `colorComponents`
 * channels at `maxValue` full scale: RGB as is, gray as BT.601 luma.
 */
export function colorForBuffer(c: Rgb, colorComponents: number, maxValue: number): number[] {
  if (colorComponents >= 3) return [c.r, c.g, c.b].map((v) => scaleEightBit(v, maxValue));
  const luma = Math.round(LUMA_R * c.r + LUMA_G * c.g + LUMA_B * c.b);
  return [scaleEightBit(luma, maxValue)];
}
