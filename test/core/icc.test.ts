import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import { canonicalProfile, cleanIcc, iccFindings, type IccSpace } from '../../src/core/metadata/icc';
import { buildIcc, bytesInclude, cmykProfile, curvTag, descTag, lutProfile, matrixTags, MONITOR_COLORANTS, plantedCameraProfile, plantedMonitorProfile } from '../helpers/icc';
import { EXIFTOOL, readExiftool } from '../helpers/exiftool';
import { CORPUS } from '../helpers/paths';

const SPACES: IccSpace[] = ['srgb', 'display-p3', 'adobe-rgb', 'prophoto', 'gray-gamma22', 'gray-srgb'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-icc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeTmp(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Every ICC profile embedded in a corpus file, extracted by exiftool (the oracle, not our walk). */
function corpusProfiles(): Array<[string, Uint8Array]> {
  const list = spawnSync(EXIFTOOL, ['-q', '-q', '-r', '-if', '$ICC_Profile', '-p', '$directory/$filename', CORPUS], { encoding: 'utf8' });
  return list.stdout.trim().split('\n').filter(Boolean).map((file) => {
    const out = spawnSync(EXIFTOOL, ['-b', '-icc_profile', file]);
    return [path.relative(CORPUS, file), new Uint8Array(out.stdout)] as [string, Uint8Array];
  });
}

/** Header identity and text fields exiftool reads from a profile (ICC-header group and text tags). */
const IDENTITY_KEYS = /ProfileDateTime|DeviceManufacturer|DeviceModel$|ProfileCreator|ProfileID|ProfileCMMType|PrimaryPlatform|DeviceMfgDesc|DeviceModelDesc|ViewingCondDesc|Metadata|CalibrationDateTime|Technology|ProfileDescriptionML/;

describe('canonical profiles', () => {
  test.each(SPACES)('%s is its own clean copy, and exiftool finds no identity in it', (space) => {
    const bytes = canonicalProfile(space);
    const clean = cleanIcc(bytes);
    expect(clean).toMatchObject({ kind: 'canonical', space });
    expect(Buffer.from((clean as { bytes: Uint8Array }).bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(iccFindings(bytes, 'test')).toEqual([]);
    const record = readExiftool([writeTmp(`${space}.icc`, bytes)]).get(path.join(tmp, `${space}.icc`))!;
    expect(record['ExifTool:Error']).toBeUndefined();
    // exiftool prints zero header fields as empty, 0, "Unknown ()" or a zero date: not identity.
    const empty = (v: unknown) => v === '' || v === 0 || /^(0|Unknown \(\)|0000:00:00 00:00:00)$/.test(String(v));
    expect(Object.entries(record).filter(([k, v]) => IDENTITY_KEYS.test(k) && !empty(v))).toEqual([]);
  });
});

describe('corpus profiles', () => {
  const profiles = corpusProfiles();
  test('the corpus holds embedded profiles to test on', () => {
    expect(profiles.length).toBeGreaterThanOrEqual(5);
  });
  test('each is replaced by a clean profile that rebuilds to itself, and carries identity before', () => {
    for (const [name, bytes] of profiles) {
      const clean = cleanIcc(bytes);
      expect([name, clean.kind]).not.toEqual([name, 'convert']);
      if (clean.kind === 'convert') continue;
      expect(iccFindings(bytes, name).length).toBeGreaterThan(0);
      expect(iccFindings(clean.bytes, name)).toEqual([]);
      const again = cleanIcc(clean.bytes);
      expect(Buffer.from((again as { bytes: Uint8Array }).bytes).equals(Buffer.from(clean.bytes))).toBe(true);
    }
  });
  test('the cameras\' sRGB and Apple\'s Display P3 are recognised as those spaces', () => {
    const kinds = new Map(profiles.map(([name, b]) => [name, cleanIcc(b)]));
    expect(kinds.get('jpg/Nikon_D70.jpg')).toMatchObject({ kind: 'canonical', space: 'srgb' });
    expect(kinds.get('heic/IMG_5195.HEIC')).toMatchObject({ kind: 'canonical', space: 'display-p3' });
  });
});

describe('planted identity', () => {
  test('a monitor profile with a serial in meta: reported, and the rebuild holds neither serial nor maker', () => {
    const serial = 'SN7Q4H2K9';
    const profile = plantedMonitorProfile(serial);
    const details = iccFindings(profile, 'APP2').map((f) => f.detail).join(' | ');
    expect(details).toMatch(/metadata dictionary/);
    expect(details).toMatch(/creation date/);
    expect(details).toMatch(/manufacturer\/model/);
    expect(details).toMatch(/description/);
    expect(details).not.toContain(serial);
    const clean = cleanIcc(profile);
    expect(clean.kind).toBe('rebuilt');
    const bytes = (clean as { bytes: Uint8Array }).bytes;
    expect(bytesInclude(bytes, serial)).toBe(false);
    expect(bytesInclude(bytes, 'DELL')).toBe(false);
    expect(bytesInclude(bytes, 'Ward 7')).toBe(false);
    // exiftool reads the same colorants and tone curve in the rebuild as in the original.
    const file = writeTmp('monitor.icc', profile);
    const rebuilt = writeTmp('monitor-clean.icc', bytes);
    const records = readExiftool([file, rebuilt]);
    const a = records.get(file)!;
    const b = records.get(rebuilt)!;
    for (const key of ['ICC_Profile:RedMatrixColumn', 'ICC_Profile:GreenMatrixColumn', 'ICC_Profile:BlueMatrixColumn', 'ICC_Profile:MediaWhitePoint']) {
      expect([key, b[key]]).toEqual([key, a[key]]);
    }
    expect(b['ICC-header:ProfileDateTime']).toMatch(/^0000:00:00/);
    expect(Object.keys(b).some((k) => /EDID|Metadata|meta/i.test(k))).toBe(false);
  });

  test('a description naming a camera and a date, on sRGB colorimetry: replaced by canonical sRGB', () => {
    const profile = plantedCameraProfile('NIKON D850 2023-11-02 ward 4');
    expect(iccFindings(profile, 'x').map((f) => f.detail)).toEqual(expect.arrayContaining(['profile description text', 'profile creation date']));
    const clean = cleanIcc(profile);
    expect(clean).toMatchObject({ kind: 'canonical', space: 'srgb' });
    expect(bytesInclude((clean as { bytes: Uint8Array }).bytes, 'NIKON')).toBe(false);
  });

  test('a private tag alone makes a finding; without it the same colorimetry is clean after rebuild', () => {
    const base = matrixTags(MONITOR_COLORANTS, curvTag([0x01cd]));
    const withPrivate = buildIcc({}, [['desc', descTag('RGB profile')], ...base, ['zzzz', descTag('MRN 4471')]]);
    expect(iccFindings(withPrivate, 'x').map((f) => f.detail)).toContain('1 private tag (vendor data of any kind)');
    const rebuilt = (cleanIcc(withPrivate) as { bytes: Uint8Array }).bytes;
    expect(bytesInclude(rebuilt, 'MRN')).toBe(false);
    expect(iccFindings(rebuilt, 'x')).toEqual([]);
  });

  test('LUT-based and CMYK profiles must be converted', () => {
    expect(cleanIcc(lutProfile())).toMatchObject({ kind: 'convert' });
    expect(cleanIcc(cmykProfile())).toMatchObject({ kind: 'convert', reason: expect.stringMatching(/CMYK/) });
    expect(iccFindings(cmykProfile(), 'x')[0].detail).toMatch(/CMYK/);
  });
});

describe('answers remembered across files', () => {
  test('a repeated profile gets the same answer, and no caller can change the next one', () => {
    const profile = plantedCameraProfile('NIKON D850 2023-11-02 ward 4');
    const first = cleanIcc(profile) as { kind: string; bytes: Uint8Array };
    const expected = first.bytes.slice();
    first.bytes.fill(0x41);
    const again = cleanIcc(profile) as { kind: string; bytes: Uint8Array };
    expect(again.kind).toBe('canonical');
    expect(Buffer.from(again.bytes).equals(Buffer.from(expected))).toBe(true);
    expect(Buffer.from(again.bytes).equals(Buffer.from(canonicalProfile('srgb')))).toBe(true);
  });

  test('the answer follows the bytes, not the array: a profile changed in place is judged again', () => {
    const profile = canonicalProfile('srgb');
    expect(cleanIcc(profile)).toMatchObject({ kind: 'canonical', space: 'srgb' });
    profile[36] = 0x41; // no 'acsp' signature any more
    expect(() => cleanIcc(profile)).toThrow(/acsp/);
    const lut = lutProfile();
    expect(cleanIcc(lut)).toMatchObject({ kind: 'convert' });
    expect(iccFindings(lut, 'x')[0].detail).toMatch(/LUT/);
  });

  test('more profiles than are remembered: every answer is still its own', () => {
    const profiles = Array.from({ length: 20 }, (_, i) => plantedCameraProfile(`camera ${i}`));
    const expected = canonicalProfile('srgb');
    for (let round = 0; round < 2; round++) {
      for (const p of [...profiles, lutProfile(), cmykProfile()]) {
        const clean = cleanIcc(p);
        if (clean.kind === 'convert') continue;
        expect(Buffer.from(clean.bytes).equals(Buffer.from(expected))).toBe(true);
      }
      expect(cleanIcc(cmykProfile())).toMatchObject({ kind: 'convert', reason: expect.stringMatching(/CMYK/) });
    }
  });
});

describe('malformed profiles', () => {
  test('garbage, a missing signature and a tag outside the profile are DeidError malformed', () => {
    expect(() => cleanIcc(new Uint8Array(64))).toThrow(DeidError);
    const noMagic = canonicalProfile('srgb');
    noMagic[36] = 0x41;
    expect(() => cleanIcc(noMagic)).toThrow(/acsp/);
    const outside = canonicalProfile('adobe-rgb');
    outside[128 + 4 + 4] = 0x7f; // first tag offset far beyond the end
    expect(() => cleanIcc(outside)).toThrow(DeidError);
    expect(iccFindings(outside, 'x')[0].detail).toMatch(/cannot be read/);
  });

  test('property: any mutation of a clean profile is either clean-identical or reported', () => {
    const seeds = SPACES.map(canonicalProfile);
    fc.assert(fc.property(fc.nat(seeds.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 }), (s, at, value) => {
      const bytes = seeds[s].slice();
      bytes[at % bytes.length] = value;
      let clean;
      try {
        clean = cleanIcc(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(DeidError);
        expect(iccFindings(bytes, 'x').length).toBeGreaterThan(0);
        return;
      }
      const same = clean.kind !== 'convert' && Buffer.from(clean.bytes).equals(Buffer.from(bytes));
      expect(iccFindings(bytes, 'x').length === 0).toBe(same);
    }), { numRuns: 400 });
  });
});
