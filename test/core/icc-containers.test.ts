/**
 * ICC profiles inside JPEG (APP2), PNG (iCCP) and WebP (ICCP): strip keeps a clean profile, so a
 * colour-managed decode (sharp's default, which converts from the embedded profile to sRGB) of the
 * output equals that of the input; identity in the profile is gone (exiftool as the oracle).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { cleanIcc, iccFindings } from '../../src/core/metadata/icc';
import { iccSegments } from '../../src/core/metadata/jpeg-icc';
import { jpegFormat } from '../../src/core/metadata/jpeg';
import { ICCP_NAME } from '../../src/core/metadata/png-icc';
import { pngFormat } from '../../src/core/metadata/png';
import { webpFormat } from '../../src/core/metadata/webp';
import { stripMetadata } from '../../src/core/metadata/scan';
import type { ContainerFormat } from '../../src/core/metadata/types';
import { latin1, pngChunks, webpChunks } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { identifyingKeysLeft, readExiftool } from '../helpers/exiftool';
import { buildIcc, bytesInclude, cmykProfile, curvTag, descTag, matrixTags, MONITOR_COLORANTS, plantedCameraProfile, plantedMonitorProfile } from '../helpers/icc';
import { CORPUS } from '../helpers/paths';
import { concatBytes, jpegSegment, makeJpeg, noiseRgb, plantWithExiftool, tempDir } from '../helpers/plant';

const SERIAL = 'SNQ7W4K2Z';
const dir = tempDir('deid-icc-containers-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function profileFile(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Colour-managed decode, as sharp does by default (embedded profile -> sRGB). */
async function rendered(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { failOn: 'none' }).raw().toBuffer();
}

async function expectSameRendering(name: string, before: Uint8Array, after: Uint8Array): Promise<void> {
  const [a, b] = await Promise.all([rendered(before), rendered(after)]);
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  expect({ name, length: b.length, differing }).toEqual({ name, length: a.length, differing: 0 });
}

async function exiftoolOf(bytes: Uint8Array, ext: string) {
  const file = path.join(dir, `probe-${Math.random().toString(36).slice(2)}${ext}`);
  fs.writeFileSync(file, bytes);
  return readExiftool([file]).get(file)!;
}

function strip(format: ContainerFormat, bytes: Uint8Array) {
  return (format.strip as NonNullable<ContainerFormat['strip']>)(bytes);
}

async function rgbImage(width = 40, height = 24): Promise<sharp.Sharp> {
  return sharp(noiseRgb(width, height, 7), { raw: { width, height, channels: 3 } });
}

function corpusJpegs(): string[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name);
    return e.isDirectory() ? walk(p) : /\.jpe?g$/i.test(e.name) ? [p] : [];
  });
  return walk(CORPUS);
}

describe('JPEG APP2 ICC', () => {
  test('every corpus JPEG that strips renders exactly as before; profiles are kept clean', async () => {
    let withProfile = 0;
    for (const file of corpusJpegs()) {
      const bytes = new Uint8Array(fs.readFileSync(file));
      let out: Uint8Array;
      try {
        out = stripMetadata(bytes).bytes;
      } catch (e) {
        // Refusals are the salvage path's business (strip-file.ts); not a rendering question.
        expect(e).toBeInstanceOf(DeidError);
        continue;
      }
      // A few corpus files are damaged beyond what libvips decodes: no rendering to preserve.
      if (!(await rendered(bytes).then(() => true, () => false))) continue;
      await expectSameRendering(path.relative(CORPUS, file), bytes, out);
      const hadProfile = jpegFormat.walk(bytes).some((p) => p.name === 'APP2 ICC');
      if (hadProfile) {
        withProfile++;
        expect({ file, kept: jpegFormat.walk(out).some((p) => p.name === 'APP2 ICC' && p.finding === null) }).toEqual({ file, kept: true });
      }
    }
    expect(withProfile).toBeGreaterThanOrEqual(5);
  });

  test('a planted monitor profile (serial in meta): reported, rebuilt, same rendering, exiftool sees no identity', async () => {
    const base = await makeJpeg({ width: 64, height: 40 });
    const planted = await plantWithExiftool(base, [`-icc_profile<=${profileFile('monitor.icc', plantedMonitorProfile(SERIAL))}`]);
    const details = findingsOf(jpegFormat.walk(planted)).filter((f) => f.kind === 'icc').map((f) => f.detail).join(' | ');
    expect(details).toMatch(/metadata dictionary/);
    expect(details).not.toContain(SERIAL);
    const result = strip(jpegFormat, planted);
    expect(result.removed).toContain('icc');
    expect(result.notes.join(' ')).toMatch(/rebuilt the ICC profile/);
    expect(bytesInclude(result.bytes, SERIAL)).toBe(false);
    expect(findingsOf(jpegFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(jpegFormat, result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
    await expectSameRendering('monitor', planted, result.bytes);
    const record = await exiftoolOf(result.bytes, '.jpg');
    expect(identifyingKeysLeft(record)).toEqual([]);
    expect(record['ICC_Profile:RedMatrixColumn']).toBe((await exiftoolOf(planted, '.jpg'))['ICC_Profile:RedMatrixColumn']);
  });

  test('a description naming a camera and a date: replaced by canonical sRGB', async () => {
    const base = await makeJpeg();
    const planted = await plantWithExiftool(base, [`-icc_profile<=${profileFile('camera.icc', plantedCameraProfile('NIKON D850 2023-11-02 bed 4'))}`]);
    const result = strip(jpegFormat, planted);
    expect(result.notes.join(' ')).toMatch(/canonical srgb/);
    expect(bytesInclude(result.bytes, 'NIKON')).toBe(false);
    expect((await exiftoolOf(result.bytes, '.jpg'))['ICC_Profile:ProfileDescription']).toBe('sRGB IEC61966-2.1');
    await expectSameRendering('camera', planted, result.bytes);
  });

  test('a profile over several APP2 segments is reassembled, rebuilt and re-chunked', async () => {
    // 3 x 30000-entry tone curves: ~180 KB, so exiftool writes it as 3 APP2 segments.
    const table = Array.from({ length: 30000 }, (_, i) => Math.round(Math.pow(i / 29999, 2.2) * 65535));
    const big = buildIcc({ manufacturer: 'EIZO', date: [2022, 1, 1, 0, 0, 0] }, [['desc', descTag(`bay 3 ${SERIAL}`)],
      ...matrixTags(MONITOR_COLORANTS, curvTag(table)).map(([sig, data]): [string, Uint8Array] => (sig === 'gTRC' ? [sig, curvTag(table.map((v) => Math.max(0, v - 1)))] : [sig, data]))]);
    const planted = await plantWithExiftool(await makeJpeg(), [`-icc_profile<=${profileFile('big.icc', big)}`]);
    expect(jpegFormat.walk(planted).filter((p) => p.name === 'APP2 ICC').length).toBeGreaterThanOrEqual(3);
    const result = strip(jpegFormat, planted);
    const clean = cleanIcc(big);
    expect(clean.kind).toBe('rebuilt');
    const kept = jpegFormat.walk(result.bytes).filter((p) => p.name === 'APP2 ICC');
    expect(kept.length).toBe(Math.ceil((clean as { bytes: Uint8Array }).bytes.length / 65519));
    expect(bytesInclude(result.bytes, SERIAL)).toBe(false);
    expect(findingsOf(jpegFormat.walk(result.bytes))).toEqual([]);
    await expectSameRendering('multi-segment', planted, result.bytes);
  });

  test('chunks are read as libvips reads them (by sequence number, the count not enforced); a truncated profile is dropped', async () => {
    const base = await makeJpeg();
    const profile = plantedMonitorProfile(SERIAL);
    const segment = iccSegments(profile);
    segment[4 + 12 + 1] = 2; // "chunk 1 of 2", and no chunk 2: libvips still uses the profile
    const miscounted = concatBytes(base.subarray(0, 2), segment, base.subarray(2));
    expect(findingsOf(jpegFormat.walk(miscounted)).some((f) => f.kind === 'icc')).toBe(true);
    const kept = strip(jpegFormat, miscounted);
    expect(bytesInclude(kept.bytes, SERIAL)).toBe(false);
    expect(findingsOf(jpegFormat.walk(kept.bytes))).toEqual([]);
    await expectSameRendering('miscounted', miscounted, kept.bytes);

    const cut = iccSegments(profile.subarray(0, 200));
    const truncated = concatBytes(base.subarray(0, 2), cut, base.subarray(2));
    expect(findingsOf(jpegFormat.walk(truncated)).map((f) => f.detail).join(' ')).toMatch(/cannot be read/);
    const dropped = strip(jpegFormat, truncated);
    expect(jpegFormat.walk(dropped.bytes).some((p) => p.name === 'APP2 ICC')).toBe(false);
    await expectSameRendering('truncated', truncated, dropped.bytes);
  });

  test('a CMYK or LUT profile needs a pixel conversion: strip throws needs-conversion', async () => {
    const planted = concatBytes((await makeJpeg()).subarray(0, 2), iccSegments(cmykProfile()), (await makeJpeg()).subarray(2));
    expect(findingsOf(jpegFormat.walk(planted)).some((f) => f.kind === 'icc' && /CMYK/.test(f.detail))).toBe(true);
    expect(() => strip(jpegFormat, planted)).toThrow(expect.objectContaining({ code: 'needs-conversion' }));
  });
});

describe('PNG iCCP', () => {
  test('sharp-embedded Display P3 is kept clean under one fixed name; same rendering', async () => {
    const planted = new Uint8Array(await (await rgbImage()).withIccProfile('p3').png().toBuffer());
    const result = strip(pngFormat, planted);
    const iccp = pngChunks(result.bytes).filter((c) => c.type === 'iCCP');
    expect(iccp.length).toBe(1);
    const data = result.bytes.subarray(iccp[0].offset + 8, iccp[0].end - 4);
    expect(Buffer.from(data.subarray(0, ICCP_NAME.length + 2)).equals(Buffer.from(latin1(`${ICCP_NAME}\0\0`)))).toBe(true);
    expect(findingsOf(pngFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(pngFormat, result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
    await expectSameRendering('png p3', planted, result.bytes);
    const record = await exiftoolOf(result.bytes, '.png');
    // libvips' own P3 profile differs from Apple's by more than 1/65536: rebuilt, not canonical.
    expect(record['ICC_Profile:ProfileDescription']).toMatch(/^(Display P3|RGB profile)$/);
    expect(identifyingKeysLeft(record)).toEqual([]);
  });

  test('a planted monitor profile is rebuilt without its serial; same rendering', async () => {
    const planted = new Uint8Array(await (await rgbImage()).withIccProfile(profileFile('monitor-png.icc', plantedMonitorProfile(SERIAL))).png().toBuffer());
    expect(findingsOf(pngFormat.walk(planted)).filter((f) => f.kind === 'icc').map((f) => f.detail).join(' ')).toMatch(/metadata dictionary/);
    const result = strip(pngFormat, planted);
    // The profile is compressed in the input; the serial must not be in the output either way.
    expect(bytesInclude(result.bytes, SERIAL)).toBe(false);
    const record = await exiftoolOf(result.bytes, '.png');
    expect(identifyingKeysLeft(record)).toEqual([]);
    expect(JSON.stringify(record)).not.toContain(SERIAL);
    await expectSameRendering('png monitor', planted, result.bytes);
  });
});

describe('WebP ICCP', () => {
  test('a planted monitor profile is rebuilt right after VP8X with the ICC flag; same rendering', async () => {
    const planted = new Uint8Array(await (await rgbImage()).withIccProfile(profileFile('monitor-webp.icc', plantedMonitorProfile(SERIAL))).webp({ lossless: true }).toBuffer());
    const result = strip(webpFormat, planted);
    expect(webpChunks(result.bytes).map((c) => c.id)).toEqual(['VP8X', 'ICCP', 'VP8L']);
    expect(result.bytes[20] & 0x20).toBe(0x20);
    expect(bytesInclude(result.bytes, SERIAL)).toBe(false);
    expect(findingsOf(webpFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(webpFormat, result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
    expect(identifyingKeysLeft(await exiftoolOf(result.bytes, '.webp')).filter((k) => !/^RIFF:/.test(k))).toEqual([]);
    await expectSameRendering('webp monitor', planted, result.bytes);
  });

  test('a clean profile without the ICC flag is a finding; strip sets the flag', async () => {
    const planted = new Uint8Array(await (await rgbImage()).withIccProfile('p3').webp({ lossless: true }).toBuffer());
    const once = strip(webpFormat, planted).bytes;
    const unflagged = once.slice();
    unflagged[20] &= ~0x20;
    expect(findingsOf(webpFormat.walk(unflagged)).map((f) => f.kind)).toEqual(['icc']);
    expect(Buffer.from(strip(webpFormat, unflagged).bytes).equals(Buffer.from(once))).toBe(true);
    expect(iccFindings(cleanIccBytes(planted), 'x')).toEqual([]);
  });
});

function cleanIccBytes(webp: Uint8Array): Uint8Array {
  const out = strip(webpFormat, webp).bytes;
  const c = webpChunks(out).find((x) => x.id === 'ICCP')!;
  return out.subarray(c.dataStart, c.dataEnd);
}

test('jpegSegment helper and planted bytes agree (guards the hand-built APP2 above)', () => {
  const seg = jpegSegment(0xe2, concatBytes(latin1('ICC_PROFILE\0'), new Uint8Array([1, 1]), plantedCameraProfile('x')));
  expect(Buffer.from(seg).equals(Buffer.from(iccSegments(plantedCameraProfile('x'))))).toBe(true);
});
