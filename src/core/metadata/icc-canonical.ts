/**
 * The canonical clean profiles deid ships, generated here by icc-write.ts from published
 * colorimetry (no third-party profile bytes are copied; numbers are facts):
 * - sRGB IEC61966-2.1: the colorants, D65 media white and 1024-entry IEC 61966-2.1 tone curve of
 *   the v2 "sRGB IEC61966-2.1" profile most cameras embed (its table equals the IEC formula
 *   rounded to 16 bits, which is how it is generated below).
 * - Display P3: the v4 colorants, chad and sRGB-shaped parametric curve Apple embeds in iPhone and
 *   Mac images (SMPTE EG 432-1 primaries, D65).
 * - Adobe RGB (1998) compatible: primaries and gamma 563/256 of Adobe's "Adobe RGB (1998) Color
 *   Image Encoding" 4.3, colorants Bradford-adapted to D50 as that encoding's profile stores them.
 * - ProPhoto (ROMM RGB, ISO 22028-2): D50-native primaries, gamma 1.8 as a u8Fixed8 curve.
 * - Gray gamma 2.2 and gray with the sRGB tone curve.
 * Matching (icc.ts) compares colorants to within one s15Fixed16 step (1/65536) and tone curves
 * to within 1/65536 at every 8-bit level and table node.
 */
import type { Curve, Xyz } from './icc-parse';
import { D50, writeProfile, type Colorimetry } from './icc-write';

export type IccSpace = 'srgb' | 'display-p3' | 'adobe-rgb' | 'prophoto' | 'gray-gamma22' | 'gray-srgb';

/** D65 as the v2 sRGB profile stores its media white (0.95045, 1, 1.08905). */
const D65: Xyz = [0xf351, 0x10000, 0x116cc];
/** Bradford D65 -> D50 (ICC.1 Annex E), as the Display P3 profile stores it. */
const CHAD_D65: readonly number[] = [0x10c42, 0x5de, -0xcda, 0x793, 0xfd90, -0x45e, -0x25d, 0x3dc, 0xc06e];

function srgbTable(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 1024; i++) {
    const x = i / 1023;
    // IEC 61966-2.1 (1999) 5.2: linear segment below 0.04045, power 2.4 above.
    const y = x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    out.push(Math.round(y * 65535));
  }
  return out;
}

const SRGB_CURVE: Curve = { type: 'curv', table: srgbTable() };
/** The sRGB curve as para type 3: g 2.4, a 1/1.055, b 0.055/1.055, c 1/12.92, d 0.04045. */
const SRGB_PARA: Curve = { type: 'para', fn: 3, params: [0x26666, 0xf2a7, 0x0d59, 0x13d0, 0x0a5b] };
/** u8Fixed8 gamma 563/256 = 2.19921875 (Adobe RGB (1998) 4.3.1.2; also "Gray Gamma 2.2"). */
const GAMMA_22: Curve = { type: 'curv', table: [0x0233] };
/** u8Fixed8 gamma 1.80078125, the nearest to ROMM's 1.8 (ISO 22028-2). */
const GAMMA_18: Curve = { type: 'curv', table: [0x01cd] };

const COPYRIGHT = 'No copyright, use freely';

function rgb(description: string, versionMajor: 2 | 4, colorants: Xyz[], curve: Curve, wtpt: Xyz, chad: readonly number[] | null): Colorimetry {
  return {
    versionMajor, versionMinor: versionMajor === 4 ? 0x30 : 0x10, kind: 'rgb', intent: 0,
    wtpt, bkpt: null, chad, colorants, curves: [curve, curve, curve], description, copyright: COPYRIGHT,
  };
}

function gray(description: string, curve: Curve): Colorimetry {
  return {
    versionMajor: 2, versionMinor: 0x10, kind: 'gray', intent: 0,
    wtpt: D50, bkpt: null, chad: null, colorants: [], curves: [curve], description, copyright: COPYRIGHT,
  };
}

export const CANONICAL_COLORIMETRY: Readonly<Record<IccSpace, Colorimetry>> = {
  srgb: rgb('sRGB IEC61966-2.1', 2, [[0x6fa2, 0x38f5, 0x0390], [0x6299, 0xb785, 0x18da], [0x24a0, 0x0f84, 0xb6cf]], SRGB_CURVE, D65, null),
  'display-p3': rgb('Display P3', 4, [[0x83df, 0x3dbf, -0x45], [0x4abf, 0xb137, 0x0ab9], [0x2838, 0x110b, 0xc8b9]], SRGB_PARA, D65, CHAD_D65),
  'adobe-rgb': rgb('Adobe RGB (1998) compatible', 2, [[0x9c18, 0x4fa5, 0x04fc], [0x348d, 0xa02c, 0x0f95], [0x2631, 0x102f, 0xbe9c]], GAMMA_22, D65, null),
  prophoto: rgb('ProPhoto RGB (ROMM)', 2, [[0xcc36, 0x49ba, 0], [0x229d, 0xb63f, 0], [0x0803, 0x0007, 0xd32d]], GAMMA_18, D50, null),
  'gray-gamma22': gray('Gray gamma 2.2', GAMMA_22),
  'gray-srgb': gray('Gray sRGB tone curve', SRGB_CURVE),
};

const cache = new Map<IccSpace, Uint8Array>();

/** The shipped clean profile for a space (built once, then the same bytes every time). */
export function canonicalProfile(space: IccSpace): Uint8Array {
  let bytes = cache.get(space);
  if (!bytes) {
    bytes = writeProfile(CANONICAL_COLORIMETRY[space]);
    cache.set(space, bytes);
  }
  return bytes.slice();
}

export const ICC_SPACES = Object.keys(CANONICAL_COLORIMETRY) as IccSpace[];
