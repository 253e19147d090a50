/**
 * Bounds on the work one input may cause (issue 13.5). Defaults sit well above real photographs
 * and well below what exhausts memory; an institution's policy file may set its own (policy.ts
 * `maxPixels`, `maxSteps`), and every refusal names the limit and how to change it.
 */
export const DEFAULT_LIMITS = Object.freeze({
  /** 250 MP: 2.5x a 100 MP medium-format camera; below sharp's own 268 MP (0x3FFF^2) default and
   *  far below a decompression bomb. One 8-bit RGBA copy of such an image is 1 GB. */
  maxPixels: 250_000_000,
  /** Steps in one recipe or sidecar: a clinical photo has a handful; 50,000 stays fast to verify. */
  maxSteps: 50_000,
});

/** A pixel count in megapixels for a message, to four significant digits. */
export function megapixels(pixels: number): string {
  return String(Number((pixels / 1e6).toPrecision(4)));
}
