/**
 * The lossless HEIF/AVIF rewrite against independent oracles: exiftool (what it can still read
 * after the strip), heif-convert/libheif (HEIC decoded before and after: the same samples) and
 * sharp/libvips (AVIF). Inputs: the real phone files of the shared corpus, HEICs encoded by
 * heif-enc (grid, alpha, thumbnail) and AVIFs by sharp, with metadata planted by exiftool.
 */
import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { canonicalProfile } from '../../src/core/metadata/icc';
import { stripMetadata } from '../../src/core/metadata/scan';
import { isobmffFormat } from '../../src/core/metadata/isobmff';
import { expectIdempotent, findingsOf } from '../helpers/container';
import { identifyingKeysLeft, readExiftool } from '../helpers/exiftool';
import { heifDecode, heifEnc } from '../helpers/heif';
import { CORPUS } from '../helpers/paths';
import { noiseRgb, plantWithExiftool, tempDir } from '../helpers/plant';

const SECRET = 'ZebraPatient';
const PLANT = [
  `-XMP-dc:Creator=${SECRET}Xmp`, `-Artist=${SECRET}Exif`, '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-GPSLongitude=0.1', '-GPSLongitudeRef=W',
  '-DateTimeOriginal=2024:01:02 03:04:05', `-Make=${SECRET}Make`, `-SerialNumber=${SECRET}Serial`,
];

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** exiftool's identifying keys in each of `files` (written to a temp dir), by name. */
async function exiftoolLeftovers(files: Record<string, Uint8Array>): Promise<string[]> {
  const dir = tempDir('deid-heif-oracle-');
  try {
    const paths = await Promise.all(Object.entries(files).map(async ([name, bytes]) => {
      const p = path.join(dir, name);
      await fs.writeFile(p, bytes);
      return p;
    }));
    const records = readExiftool(paths);
    return paths.flatMap((p) => identifyingKeysLeft(records.get(p)!).map((k) => `${path.basename(p)}: ${k}`));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function noisePng(width: number, height: number, alpha: boolean): Promise<Buffer> {
  const rgb = noiseRgb(width, height, 7);
  if (!alpha) return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = (i * 7) & 0xff;
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

describe('HEIC corpus: rewritten in its own format, nothing identifying left, same pixels', () => {
  const files = listFiles(path.join(CORPUS, 'heic'));
  const stripped = new Map<string, Uint8Array>();

  beforeAll(async () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) stripped.set(f, stripMetadata(new Uint8Array(await fs.readFile(f))).bytes);
  });

  test('every file strips to a clean HEIF that strips to itself, and loses its metadata', async () => {
    for (const f of files) {
      const out = stripped.get(f)!;
      expect({ f, format: isobmffFormat.detect(out) }).toEqual({ f, format: 'heif' });
      expect({ f, findings: findingsOf(isobmffFormat.walk(out)) }).toEqual({ f, findings: [] });
      expectIdempotent(isobmffFormat, out);
      const before = findingsOf(isobmffFormat.walk(new Uint8Array(await fs.readFile(f)))).map((x) => x.kind);
      expect(before).toContain('exif');
    }
  });

  test('exiftool reads nothing identifying in any output (it read Exif in every input)', async () => {
    const inputs = readExiftool(files);
    for (const f of files) expect({ f, left: identifyingKeysLeft(inputs.get(f)!).length > 0 }).toEqual({ f, left: true });
    const names = Object.fromEntries(files.map((f, i) => [`${i}-${path.basename(f)}`, stripped.get(f)!]));
    expect(await exiftoolLeftovers(names)).toEqual([]);
  });

  test('heif-convert decodes the small file and the iPhone file (grid, thumbnail, gain map, ICC) to the same samples', async () => {
    for (const name of ['samplefilehub.heif', 'mobile/iphone_13_pro_max.HEIC']) {
      const f = path.join(CORPUS, 'heic', name);
      const [a, b] = await Promise.all([heifDecode(new Uint8Array(await fs.readFile(f))), heifDecode(stripped.get(f)!)]);
      expect({ name, w: b.width, h: b.height }).toEqual({ name, w: a.width, h: a.height });
      expect({ name, same: a.data.equals(b.data) }).toEqual({ name, same: true });
    }
    // Decoding a 12-megapixel grid twice takes ~10 s alone, minutes on a loaded shared machine.
  }, 300_000);

  test('the iPhone file keeps only the primary grid and its tiles; the thumbnail, gain map, Exif and XMP go; its P3 profile becomes the canonical one', () => {
    const f = path.join(CORPUS, 'heic/mobile/iphone_13_pro_max.HEIC');
    const out = stripped.get(f)!;
    expect(Buffer.from(out).includes(Buffer.from(canonicalProfile('display-p3')))).toBe(true);
    const items = isobmffFormat.walk(out).filter((p) => p.name.startsWith('item '));
    // 48 tiles + the grid: nothing else.
    expect(items.length).toBe(49);
    expect(out.length).toBeLessThan(2182707 - 100000);
  });
});

describe('HEIC from heif-enc with exiftool metadata', () => {
  test('grid + alpha + thumbnail: thumbnail (and its alpha) dropped, alpha kept, pixels and alpha the same', async () => {
    const png = await noisePng(96, 64, true);
    const heic = await plantWithExiftool(await heifEnc(png, ['-t', '32']), PLANT, '.heic');
    const kinds = new Set(findingsOf(isobmffFormat.walk(heic)).map((f) => f.kind));
    for (const k of ['exif', 'gps', 'xmp', 'thumbnail'] as const) expect(kinds.has(k)).toBe(true);
    const result = stripMetadata(heic);
    expect(Buffer.from(result.bytes).includes(SECRET)).toBe(false);
    expect(findingsOf(isobmffFormat.walk(result.bytes))).toEqual([]);
    expect(await exiftoolLeftovers({ 'a.heic': result.bytes })).toEqual([]);
    const [a, b] = await Promise.all([heifDecode(heic), heifDecode(result.bytes)]);
    expect(b.channels).toBe(4);
    expect({ w: b.width, h: b.height, same: a.data.equals(b.data) }).toEqual({ w: 96, h: 64, same: true });
  });

  test('a clean heif-enc file is clean to verify and byte-identical after strip', async () => {
    const heic = await heifEnc(await noisePng(40, 24, false));
    expect(findingsOf(isobmffFormat.walk(heic))).toEqual([]);
    expect(Buffer.from(stripMetadata(heic).bytes).equals(Buffer.from(heic))).toBe(true);
  });
});

describe('AVIF from sharp with metadata from sharp and exiftool', () => {
  test('Exif, XMP, GPS and ICC go; the decoded samples (with alpha) are the same', async () => {
    const png = await noisePng(40, 24, true);
    const avif = new Uint8Array(await sharp(png).withExif({ IFD0: { Artist: `${SECRET}Artist` } }).withIccProfile('p3').avif({ quality: 60 }).toBuffer());
    const planted = await plantWithExiftool(avif, PLANT, '.avif');
    const kinds = new Set(findingsOf(isobmffFormat.walk(planted)).map((f) => f.kind));
    for (const k of ['exif', 'gps', 'xmp', 'icc'] as const) expect(kinds.has(k)).toBe(true);
    const result = stripMetadata(planted);
    expect(result.format).toBe('avif');
    expect(result.notes.join(' ')).toMatch(/ICC profile/);
    expect(Buffer.from(result.bytes).includes(SECRET)).toBe(false);
    expect(await exiftoolLeftovers({ 'a.avif': result.bytes })).toEqual([]);
    const decode = (b: Uint8Array) => sharp(b, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
    const [a, b] = await Promise.all([decode(planted), decode(result.bytes)]);
    expect(b.info.channels).toBe(4);
    expect(a.data.equals(b.data)).toBe(true);
    // libheif decodes the AVIF the same way too.
    const [c, d] = await Promise.all([heifDecode(planted, '.avif'), heifDecode(result.bytes, '.avif')]);
    expect(c.data.equals(d.data)).toBe(true);
  });

  test('a plain sharp AVIF is clean and byte-identical after strip', async () => {
    const avif = new Uint8Array(await sharp(await noisePng(16, 16, true)).avif().toBuffer());
    expect(findingsOf(isobmffFormat.walk(avif))).toEqual([]);
    expect(Buffer.from(stripMetadata(avif).bytes).equals(Buffer.from(avif))).toBe(true);
  });
});
