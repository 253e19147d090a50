import type { Rect } from '../geometry';

/**
 * Chunky (interleaved) pixels, as the Photoshop Imaging API's `getData({chunky: true})` and
 * sharp's `raw()` return them.
 */
export interface PixelBuffer {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  components: 1 | 2 | 3 | 4;
  /** Whether the last component is alpha (components 2 and 4). */
  hasAlpha: boolean;
  /** Full-scale value: 255 (8-bit), 32768 (Photoshop 16-bit), 65535 (sharp 16-bit). */
  maxValue: number;
}

/**
 * A selection mask (one component, 0 = not selected; anything > 0 counts as selected, so
 * anti-aliased edges are covered). `bounds` places it in image coordinates; outside the
 * bounds nothing is selected.
 */
export interface Mask {
  data: Uint8Array;
  bounds: Rect;
}
