/**
 * What a conversion from Adobe RGB (1998) to sRGB IEC61966-2.1 should give, for the self-test
 * to check that Photoshop really converted (and did not just relabel) the working copy. Both
 * are matrix/TRC profiles with a D65 white, so relative colorimetric reduces to: decode the
 * transfer curve, RGB -> XYZ -> RGB, clip, encode. Sources: Adobe RGB (1998) Color Image
 * Encoding, sections 4.3.1.2 (gamma 563/256) and 4.3.4.3 (RGB to XYZ); IEC 61966-2-1 section 5.2
 * (sRGB curve and matrix). Photoshop's CMM (ACE, D50 PCS) rounds differently: compare with a
 * tolerance.
 */
const ADOBE_TO_XYZ = [0.5767309, 0.185554, 0.1881852, 0.2973769, 0.6273491, 0.0752741, 0.0270343, 0.0706872, 0.9911085];
const XYZ_TO_SRGB = [3.2404542, -1.5371385, -0.4985314, -0.969266, 1.8760108, 0.041556, 0.0556434, -0.2040259, 1.0572252];
const ADOBE_GAMMA = 563 / 256;

function apply(m: readonly number[], v: readonly number[]): number[] {
  return [0, 1, 2].map((r) => m[r * 3] * v[0] + m[r * 3 + 1] * v[1] + m[r * 3 + 2] * v[2]);
}

function srgbEncode(v: number): number {
  const c = Math.min(1, Math.max(0, v));
  return c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
}

/** One pixel, components 0..1. */
export function adobeRgbToSrgb(rgb: readonly number[]): number[] {
  const linear = rgb.map((v) => v ** ADOBE_GAMMA);
  return apply(XYZ_TO_SRGB, apply(ADOBE_TO_XYZ, linear)).map(srgbEncode);
}
