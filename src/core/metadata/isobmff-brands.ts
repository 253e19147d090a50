/**
 * `ftyp` (ISO/IEC 14496-12 4.3): which brands make a file HEIF or AVIF, and the canonical ftyp
 * the rewrite writes. Brands are four free bytes each, so only registered brands are kept:
 * anything else could be four letters of a name.
 */
import { fourcc, u32be } from '../bytes';
import type { ImageFormat } from './types';

/** ISO/IEC 23008-12 Annex B/C and Apple's brands: HEVC (or generic) image files. */
const HEIF_BRANDS: ReadonlySet<string> = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);
/** Brands that say the major brand alone is HEVC-specific (not the generic mif1/msf1). */
const GENERIC_HEIF_BRANDS: ReadonlySet<string> = new Set(['mif1', 'msf1', 'mif2']);
/** AVIF 1.1 section 9: still image and image sequence brands. */
const AVIF_BRANDS: ReadonlySet<string> = new Set(['avif', 'avis']);

/**
 * Brands a stripped still image may keep (all registered with the MP4 registration authority):
 * the HEIF and AVIF brands above, AVIF profile brands (AVIF 1.1 section 7: MA1B, MA1A), MIAF
 * (ISO/IEC 23000-22 section 10: miaf and the MIAF profile brands MiHA, MiHB, MiHE, MiAC, MiCm,
 * MiPr used by Apple), and the ISO base brands a HEIF file may list (14496-12 Annex E).
 * `tmap` (gain maps) is not kept: the rewrite drops every tone-map item.
 */
const KEPT_BRANDS: ReadonlySet<string> = new Set([
  ...HEIF_BRANDS, ...AVIF_BRANDS, 'avio', 'MA1B', 'MA1A', 'miaf', 'MiHA', 'MiHB', 'MiHE', 'MiAC', 'MiCm', 'MiPr',
  'isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'iso7', 'iso8', 'iso9',
]);

/** ftyp: major brand(4), minor version(4), then compatible brands. */
export const FTYP_BRANDS_START = 16;

export interface Brands {
  major: string;
  minor: number;
  compatible: string[];
  /** Bytes after the last whole brand (a size that is not 16 + 4n). */
  trailing: number;
}

/** The brands of a leading ftyp box, or null when the file does not start with one. */
export function readBrands(b: Uint8Array): Brands | null {
  if (b.length < FTYP_BRANDS_START || fourcc(b, 4) !== 'ftyp') return null;
  const size = u32be(b, 0);
  if (size < FTYP_BRANDS_START || size > b.length) return null;
  const compatible: string[] = [];
  let p = FTYP_BRANDS_START;
  for (; p + 4 <= size; p += 4) compatible.push(fourcc(b, p));
  return { major: fourcc(b, 8), minor: u32be(b, 12), compatible, trailing: size - p };
}

/**
 * heif or avif by brand: an AVIF major brand, or a HEVC-specific HEIF major brand, decides; a
 * generic major brand (mif1/msf1) is AVIF when an AVIF brand is compatible, else HEIF.
 */
export function formatOfBrands(found: Brands | null): ImageFormat | null {
  if (!found) return null;
  const { major, compatible } = found;
  if (AVIF_BRANDS.has(major)) return 'avif';
  if (HEIF_BRANDS.has(major) && !GENERIC_HEIF_BRANDS.has(major)) return 'heif';
  if (compatible.some((x) => AVIF_BRANDS.has(x))) return 'avif';
  if (HEIF_BRANDS.has(major) || compatible.some((x) => HEIF_BRANDS.has(x))) return 'heif';
  return null;
}

export interface BrandProblems {
  unregistered: number;
  duplicates: number;
  minorVersion: boolean;
  trailing: boolean;
}

/**
 * The ftyp a rewrite writes: the registered major brand (else the format's own), minor version
 * 0 (14496-12 4.3.3: "informative"), the registered compatible brands in their order, each once.
 */
export function canonicalBrands(found: Brands, format: ImageFormat): { brands: Brands; problems: BrandProblems } {
  const major = KEPT_BRANDS.has(found.major) ? found.major : format === 'avif' ? 'avif' : 'mif1';
  const compatible: string[] = [];
  let unregistered = KEPT_BRANDS.has(found.major) ? 0 : 1;
  let duplicates = 0;
  for (const c of found.compatible) {
    if (!KEPT_BRANDS.has(c)) unregistered++;
    else if (compatible.includes(c)) duplicates++;
    else compatible.push(c);
  }
  return {
    brands: { major, minor: 0, compatible, trailing: 0 },
    problems: { unregistered, duplicates, minorVersion: found.minor !== 0, trailing: found.trailing !== 0 },
  };
}
