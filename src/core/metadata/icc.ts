/**
 * Colour without identity (issue 8.1). An embedded ICC profile decides how a decoder turns the
 * stored numbers into colour, so strip must keep one; but profiles also carry identity in the
 * header (date, device, creator, profile ID: ICC.1 7.2) and in text, measurement and private tags.
 *
 * cleanIcc answers what a container keeps instead of the profile it holds:
 * - a profile whose colorimetry matches a well-known space -> that space's canonical copy
 *   (icc-canonical.ts);
 * - any other matrix/TRC profile (ICC.1 F.3, gray F.2) -> rebuilt from its colorimetric tags only
 *   (wtpt, bkpt, chad, rXYZ/gXYZ/bXYZ, rTRC/gTRC/bTRC or kTRC), neutral header and description;
 * - LUT-based, CMYK, Lab, device-link and other profiles -> 'convert': the pixels have to be
 *   converted to sRGB, which the core cannot do losslessly.
 * Matrix/TRC transforms use only those tags (ICC.1 F.3; lcms cmsio1.c BuildRGBInputMatrixShaper),
 * so a rebuilt profile renders exactly as its original.
 */
import { DeidError } from '../errors';
import { canonicalProfile, CANONICAL_COLORIMETRY, ICC_SPACES, type IccSpace } from './icc-canonical';
import { evalCurve, findTag, H, parseIcc, readChad, readCurve, readXyz, type Curve, type ParsedIcc, type Xyz } from './icc-parse';
import { D50, writeProfile, type Colorimetry } from './icc-write';
import type { Finding } from './types';

export type { IccSpace } from './icc-canonical';
export { canonicalProfile } from './icc-canonical';

export type IccClean =
  | { kind: 'canonical'; space: IccSpace; bytes: Uint8Array }
  | { kind: 'rebuilt'; bytes: Uint8Array }
  | { kind: 'convert'; reason: string };

/** Tags through which a CMM prefers a LUT over the matrix (ICC.1 8.4.2, 9.2.1-9.2.11). */
const LUT_TAGS = new Set(['A2B0', 'A2B1', 'A2B2', 'A2B3', 'B2A0', 'B2A1', 'B2A2', 'B2A3', 'D2B0', 'D2B1', 'D2B2', 'D2B3', 'B2D0', 'B2D1', 'B2D2', 'B2D3']);
const RGB_COLORANTS = ['rXYZ', 'gXYZ', 'bXYZ'];
const RGB_CURVES = ['rTRC', 'gTRC', 'bTRC'];
/** Profile classes that cannot describe an image's own colours (ICC.1 7.2.5). */
const NON_IMAGE_CLASSES: Record<string, string> = { link: 'a device link', abst: 'an abstract profile', nmcl: 'a named colour profile' };
const SPACE_NAMES: Record<string, string> = { CMYK: 'CMYK', 'Lab ': 'Lab', 'YCbr': 'YCbCr', 'CMY ': 'CMY', 'HSV ': 'HSV', 'XYZ ': 'XYZ' };

/** One s15Fixed16 step: the tolerance for colorants and for tone curves (issue 8.1). */
const TOLERANCE = 1 / 65536;

interface Matrix {
  kind: 'rgb' | 'gray';
  versionMajor: 2 | 4;
  wtpt: Xyz;
  bkpt: Xyz | null;
  chad: number[] | null;
  colorants: Xyz[];
  curves: Curve[];
}

type Reading = { matrix: Matrix } | { reason: string };

function readMatrix(b: Uint8Array, p: ParsedIcc): Reading {
  const spaceName = SPACE_NAMES[p.colourSpace];
  if (p.colourSpace !== 'RGB ' && p.colourSpace !== 'GRAY') {
    return { reason: `${spaceName ?? 'a non-RGB, non-gray'} profile: the pixels must be converted to sRGB` };
  }
  const nonImage = NON_IMAGE_CLASSES[p.deviceClass];
  if (nonImage) return { reason: `${nonImage} cannot stand for an image's colours` };
  if (p.versionMajor !== 2 && p.versionMajor !== 4) return { reason: `ICC version ${p.versionMajor} profile (only v2 and v4 matrix profiles are rebuilt)` };
  if (p.tags.some((t) => LUT_TAGS.has(t.sig))) return { reason: 'LUT-based profile: the pixels must be converted to sRGB' };
  if (p.pcs !== 'XYZ ') return { reason: 'profile without an XYZ connection space cannot be a matrix profile' };
  const kind = p.colourSpace === 'RGB ' ? 'rgb' : 'gray';
  const colorantSigs = kind === 'rgb' ? RGB_COLORANTS : [];
  const curveSigs = kind === 'rgb' ? RGB_CURVES : ['kTRC'];
  const colorants: Xyz[] = [];
  for (const sig of colorantSigs) {
    const t = findTag(p, sig);
    if (!t) return { reason: 'RGB profile without a complete matrix: the pixels must be converted to sRGB' };
    colorants.push(readXyz(b, t));
  }
  const curves: Curve[] = [];
  for (const sig of curveSigs) {
    const t = findTag(p, sig);
    const curve = t ? readCurve(b, t) : null;
    if (!curve) return { reason: 'profile without readable tone curves: the pixels must be converted to sRGB' };
    curves.push(curve);
  }
  const wtptTag = findTag(p, 'wtpt');
  const bkptTag = findTag(p, 'bkpt');
  const chadTag = findTag(p, 'chad');
  return {
    matrix: {
      kind,
      versionMajor: p.versionMajor,
      wtpt: wtptTag ? readXyz(b, wtptTag) : D50,
      bkpt: bkptTag ? readXyz(b, bkptTag) : null,
      chad: chadTag ? readChad(b, chadTag) : null,
      colorants,
      curves,
    },
  };
}

function xyzClose(a: Xyz, b: Xyz): boolean {
  return Math.abs(a[0] - b[0]) <= 1 && Math.abs(a[1] - b[1]) <= 1 && Math.abs(a[2] - b[2]) <= 1;
}

/** Every 8-bit level, plus the nodes of either curve's table. */
function samplePoints(a: Curve, b: Curve): number[] {
  const xs: number[] = [];
  for (let i = 0; i <= 255; i++) xs.push(i / 255);
  for (const c of [a, b]) {
    if (c.type === 'curv' && c.table.length > 1) for (let i = 0; i < c.table.length; i++) xs.push(i / (c.table.length - 1));
  }
  return xs;
}

function curvesClose(a: Curve, b: Curve): boolean {
  for (const x of samplePoints(a, b)) if (Math.abs(evalCurve(a, x) - evalCurve(b, x)) > TOLERANCE) return false;
  return true;
}

/**
 * The well-known space whose colorimetry this is. The media white may be stored either as the
 * space's own white (v2 habit, 9.2.36 of v2) or as D50 (v4); only absolute colorimetric
 * rendering reads it, so both count. A non-zero black point makes a different profile.
 */
function matchSpace(m: Matrix): IccSpace | null {
  if (m.bkpt && (m.bkpt[0] !== 0 || m.bkpt[1] !== 0 || m.bkpt[2] !== 0)) return null;
  for (const space of ICC_SPACES) {
    const c = CANONICAL_COLORIMETRY[space];
    if (c.kind !== m.kind) continue;
    if (!xyzClose(m.wtpt, c.wtpt) && !xyzClose(m.wtpt, D50)) continue;
    if (!c.colorants.every((v, i) => xyzClose(v, m.colorants[i]))) continue;
    if (!c.curves.every((v, i) => curvesClose(v, m.curves[i]))) continue;
    return space;
  }
  return null;
}

function rebuild(m: Matrix): Uint8Array {
  const c: Colorimetry = {
    versionMajor: m.versionMajor,
    versionMinor: m.versionMajor === 4 ? 0x30 : 0x10,
    kind: m.kind,
    intent: 0,
    wtpt: m.wtpt,
    bkpt: m.bkpt,
    chad: m.chad,
    colorants: m.colorants,
    curves: m.curves,
    description: m.kind === 'rgb' ? 'RGB profile' : 'Gray profile',
    copyright: 'No copyright, use freely',
  };
  return writeProfile(c);
}

/**
 * Answers for the profiles seen last, keyed by their exact bytes. A batch repeats a handful of
 * profiles (every file from one camera or export preset carries the same one), and judging one
 * evaluates every tone curve against every known space, which cost more than the rest of a JPEG
 * walk; a lookup is one byte compare. Only whole answers are kept (a profile that fails to parse
 * is parsed again each time), and callers get copies, so nothing they do can change an entry.
 */
const REMEMBERED = 8;
const remembered: Array<{ profile: Uint8Array; clean: IccClean }> = [];

function copyOf(clean: IccClean): IccClean {
  return clean.kind === 'convert' ? { ...clean } : { ...clean, bytes: clean.bytes.slice() };
}

/** What a container keeps instead of `profile`. DeidError('malformed') on bytes that are no profile. */
export function cleanIcc(profile: Uint8Array): IccClean {
  const known = remembered.find((r) => sameBytes(r.profile, profile));
  if (known) return copyOf(known.clean);
  const clean = judgeProfile(profile);
  if (remembered.length >= REMEMBERED) remembered.shift();
  remembered.push({ profile: profile.slice(), clean: copyOf(clean) });
  return clean;
}

function judgeProfile(profile: Uint8Array): IccClean {
  const parsed = parseIcc(profile);
  const reading = readMatrix(profile, parsed);
  if ('reason' in reading) return { kind: 'convert', reason: reading.reason };
  const space = matchSpace(reading.matrix);
  if (space) return { kind: 'canonical', space, bytes: canonicalProfile(space) };
  return { kind: 'rebuilt', bytes: rebuild(reading.matrix) };
}

/** Throws DeidError('needs-conversion') for a profile the core cannot keep (contract in COORD.md). */
export function cleanIccOrThrow(profile: Uint8Array, where: string): Exclude<IccClean, { kind: 'convert' }> {
  const clean = cleanIcc(profile);
  if (clean.kind === 'convert') throw new DeidError('needs-conversion', `${where}: ${clean.reason}`);
  return clean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Tags that name or date something (ICC.1 9.2; v2 6.4 for the ones v4 dropped). */
const IDENTITY_TAGS: Record<string, string> = {
  desc: 'profile description text',
  dscm: 'localised profile descriptions',
  cprt: 'copyright text',
  dmnd: 'device manufacturer description',
  dmdd: 'device model description',
  vued: 'viewing conditions description',
  calt: 'calibration date and time',
  targ: 'characterisation target name',
  meta: 'metadata dictionary (may hold device serial numbers)',
  pseq: 'profile sequence (descriptions of other devices)',
  psid: 'profile sequence identifiers',
  ciis: 'colorimetric intent image state',
  devs: 'device settings',
  scrd: 'screening description',
  ptcn: 'print condition',
};

/** Every registered tag signature of ICC.1:2010, ICC.1:2022 (cicp) and v2 (ICC.1:2001-04). */
const REGISTERED = new Set([
  ...LUT_TAGS, ...RGB_COLORANTS, ...RGB_CURVES, ...Object.keys(IDENTITY_TAGS),
  'kTRC', 'wtpt', 'bkpt', 'chad', 'chrm', 'cicp', 'clro', 'clrt', 'clot', 'crdi', 'gamt', 'lumi', 'meas',
  'ncol', 'ncl2', 'resp', 'rig0', 'rig2', 'pre0', 'pre1', 'pre2', 'psd0', 'psd1', 'psd2', 'psd3',
  'ps2s', 'ps2i', 'scrn', 'tech', 'bfd ', 'view', 'gdb0', 'gdb1', 'gdb2', 'gdb3', 'mmod', 'vcgt',
]);

function nonZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return true;
  return false;
}

/**
 * What identity `profile` carries, as `icc` findings; [] exactly when cleanIcc gives these same
 * bytes back (canonical and rebuilt profiles). Details name fields, never their values.
 */
export function iccFindings(profile: Uint8Array, where: string): Finding[] {
  const f = (detail: string): Finding => ({ kind: 'icc', where, detail });
  let clean: IccClean;
  let parsed: ParsedIcc;
  try {
    parsed = parseIcc(profile);
    clean = cleanIcc(profile);
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    return [f('ICC profile that cannot be read (it may hold any text)')];
  }
  if (clean.kind !== 'convert' && sameBytes(clean.bytes, profile)) return [];
  const out: Finding[] = [];
  if (clean.kind === 'convert') out.push(f(`${clean.reason} (strip re-encodes it)`));
  if (nonZero(profile, H.dateTime, H.dateTimeEnd)) out.push(f('profile creation date'));
  if (nonZero(profile, H.manufacturer, H.model + 4)) out.push(f('device manufacturer/model in the header'));
  if (nonZero(profile, H.creator, H.creator + 4)) out.push(f('profile creator'));
  if (nonZero(profile, H.profileId, H.profileIdEnd)) out.push(f('profile ID (a checksum that links copies of this profile)'));
  if (nonZero(profile, H.attributes, H.attributesEnd) || nonZero(profile, H.cmm, H.cmm + 4) ||
    nonZero(profile, H.platform, H.flags + 4)) {
    out.push(f('device attributes, CMM, platform or flags in the header'));
  }
  const identity = new Set<string>();
  let others = 0;
  let privateTags = 0;
  for (const t of parsed.tags) {
    if (IDENTITY_TAGS[t.sig]) identity.add(IDENTITY_TAGS[t.sig]);
    else if (!REGISTERED.has(t.sig)) privateTags++;
    else if (!['kTRC', 'wtpt', 'bkpt', 'chad', ...RGB_COLORANTS, ...RGB_CURVES].includes(t.sig) && !LUT_TAGS.has(t.sig)) others++;
  }
  for (const d of identity) out.push(f(d));
  if (privateTags > 0) out.push(f(`${privateTags} private tag${privateTags > 1 ? 's' : ''} (vendor data of any kind)`));
  if (others > 0) out.push(f(`${others} measurement/display tag${others > 1 ? 's' : ''} not needed to render colour`));
  if (out.length === 0) out.push(f('profile bytes differ from their clean rebuild (reserved bytes, padding or layout may hold data)'));
  return out;
}
