import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { jpegFormat } from '../../src/core/metadata/jpeg';
import type { FindingKind, Part } from '../../src/core/metadata/types';
import { identifyingKeysLeft, kindsImpliedByExiftool, readExiftool, type ExiftoolRecord } from '../helpers/exiftool';
import { expectFoundAndStripped, findingsOf, kindsOf, returnsOrDeidError } from '../helpers/container';
import { CORPUS } from '../helpers/paths';
import { concatBytes, insertJpegSegments, jpegSegment, makeJpeg, plantWithExiftool, tempDir } from '../helpers/plant';

const strip = jpegFormat.strip as NonNullable<typeof jpegFormat.strip>;

function listFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return listFiles(full, pattern);
    return pattern.test(e.name) ? [full] : [];
  });
}

async function rawPixels(bytes: Uint8Array): Promise<Buffer> {
  // No .rotate(): sharp leaves the stored orientation alone unless asked. keepIccProfile():
  // otherwise sharp converts from an embedded profile to sRGB, and strip drops ICC profiles, so
  // a wide-gamut input would compare different although its stored samples are untouched.
  return sharp(bytes, { failOn: 'none' }).keepIccProfile().raw().toBuffer();
}

function decodeError(e: unknown): string {
  return `decode failed: ${e instanceof Error ? e.message.trim().split('\n').pop() : String(e)}`;
}

const JPEG_FILES = listFiles(path.join(CORPUS, 'jpg'), /\.jpe?g$/i);
/** Files the corpus labels as broken; everything else must parse. */
const BROKEN = /[\\/](invalid|tests)[\\/]|corrupted\.jpg$/;

describe('JPEG walk and strip on the exif-samples corpus', () => {
  let outDir: string;
  let before: Map<string, ExiftoolRecord>;
  let after: Map<string, ExiftoolRecord>;
  const stripped = new Map<string, Uint8Array>();
  const walkErrors = new Map<string, DeidError>();

  beforeAll(async () => {
    expect(JPEG_FILES.length).toBeGreaterThan(80);
    outDir = tempDir('deid-jpeg-corpus-');
    before = readExiftool(JPEG_FILES);
    const outputs: string[] = [];
    for (const [i, file] of JPEG_FILES.entries()) {
      const bytes = new Uint8Array(await fs.readFile(file));
      try {
        const result = strip(bytes);
        stripped.set(file, result.bytes);
        const out = path.join(outDir, `${i}.jpg`);
        await fs.writeFile(out, result.bytes);
        outputs.push(out);
      } catch (e) {
        if (!(e instanceof DeidError)) throw e;
        walkErrors.set(file, e);
      }
    }
    const records = readExiftool(outputs);
    after = new Map();
    for (const [i, file] of JPEG_FILES.entries()) {
      const record = records.get(path.join(outDir, `${i}.jpg`));
      if (record) after.set(file, record);
    }
  });

  afterAll(async () => {
    await fs.rm(outDir, { recursive: true, force: true });
  });

  test('only files labelled broken fail, and only with malformed/truncated', () => {
    for (const [file, error] of walkErrors) {
      expect({ file, broken: BROKEN.test(file) }).toEqual({ file, broken: true });
      expect(['malformed', 'truncated']).toContain(error.code);
    }
    expect(stripped.size).toBeGreaterThan(JPEG_FILES.length - 5);
  });

  test('the walk reports every kind exiftool implies', async () => {
    for (const file of stripped.keys()) {
      const record = before.get(file);
      expect(record).toBeDefined();
      const { kinds: expected, unmapped } = kindsImpliedByExiftool(record as ExiftoolRecord, 'jpeg');
      expect({ file, unmapped }).toEqual({ file, unmapped: [] });
      const found = kindsOf(jpegFormat.walk(new Uint8Array(await fs.readFile(file))));
      const missing = [...expected].filter((k) => !found.has(k));
      expect({ file, missing }).toEqual({ file, missing: [] });
    }
  });

  test('exiftool finds nothing identifying in the stripped files', () => {
    for (const file of stripped.keys()) {
      const record = after.get(file);
      expect(record).toBeDefined();
      expect({ file, left: identifyingKeysLeft(record as ExiftoolRecord) }).toEqual({ file, left: [] });
    }
  });

  test('orientation 2..8 survives the strip, 1 leaves no EXIF at all', () => {
    let kept = 0;
    for (const [file, record] of before) {
      const out = after.get(file);
      if (!out) continue;
      const orientation = record['IFD0:Orientation'];
      const rotated = typeof orientation === 'string' && !/^Horizontal \(normal\)$/.test(orientation);
      if (rotated) {
        expect({ file, o: out['IFD0:Orientation'] }).toEqual({ file, o: orientation });
        kept++;
      } else {
        expect({ file, o: out['IFD0:Orientation'] }).toEqual({ file, o: undefined });
      }
    }
    expect(kept).toBeGreaterThanOrEqual(14);
  });

  test('decoded pixels are identical, the output walks clean, and strip is idempotent', async () => {
    for (const [file, out] of stripped) {
      const input = new Uint8Array(await fs.readFile(file));
      const [a, b] = await Promise.all([rawPixels(input).catch(decodeError), rawPixels(out).catch(decodeError)]);
      // A file libjpeg itself cannot decode (corrupted.jpg) must fail the same way after strip.
      // (libvips words the same failure differently from run to run, so only the failing is compared.)
      if (typeof a === 'string' || typeof b === 'string') expect({ file, a: typeof a, b: typeof b }).toEqual({ file, a: 'string', b: 'string' });
      else expect({ file, same: a.equals(b) }).toEqual({ file, same: true });
      expect({ file, findings: findingsOf(jpegFormat.walk(out)) }).toEqual({ file, findings: [] });
      expect(Buffer.from(strip(out).bytes).equals(Buffer.from(out))).toBe(true);
    }
  });

  test('broken files never escape with anything but DeidError', async () => {
    for (const file of JPEG_FILES.filter((f) => BROKEN.test(f))) {
      const bytes = new Uint8Array(await fs.readFile(file));
      returnsOrDeidError(() => jpegFormat.walk(bytes));
      returnsOrDeidError(() => strip(bytes));
    }
  });
});

/** Planted fixtures: each kind a JPEG can carry, found by the walk and gone after strip. */
describe('planted JPEG metadata', () => {
  let base: Uint8Array;
  let dir: string;

  beforeAll(async () => {
    base = await makeJpeg();
    dir = tempDir('deid-jpeg-planted-');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function expectStrippedClean(name: string, bytes: Uint8Array, kinds: FindingKind[]): Promise<void> {
    // Walk finds each kind, strip removes it, the output walks clean and strips to itself.
    const result = expectFoundAndStripped(jpegFormat, name, bytes, kinds, null);
    const file = path.join(dir, `${name}.jpg`);
    await fs.writeFile(file, result.bytes);
    const record = readExiftool([file]).get(file) as ExiftoolRecord;
    expect({ name, left: identifyingKeysLeft(record) }).toEqual({ name, left: [] });
    expect((await rawPixels(result.bytes)).equals(await rawPixels(bytes))).toBe(true);
  }

  test('a sharp-made JPEG is clean and strips to itself', () => {
    expect(findingsOf(jpegFormat.walk(base))).toEqual([]);
    expect(Buffer.from(strip(base).bytes).equals(Buffer.from(base))).toBe(true);
    expect(strip(base).removed).toEqual([]);
  });

  test.each([
    ['comment', ['-Comment=Patient Jane Doe MRN 123'], ['comment']],
    ['gps', ['-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-GPSLongitude=0.12', '-GPSLongitudeRef=W'], ['exif', 'gps']],
    ['exif-text', ['-Artist=Dr Who', '-SerialNumber=SN12345', '-OwnerName=Clinic', '-DateTimeOriginal=2020:01:02 03:04:05'], ['exif']],
    ['xmp', ['-XMP:Creator=Jane Doe', '-XMP-photoshop:History=edited'], ['xmp']],
    ['iptc', ['-IPTC:By-line=Jane Doe', '-IPTC:City=Leeds'], ['iptc', 'photoshop-irb']],
  ] as Array<[string, string[], FindingKind[]]>)('exiftool-planted %s', async (name, args, kinds) => {
    await expectStrippedClean(name, await plantWithExiftool(base, args), kinds);
  });

  test('an EXIF thumbnail (IFD1) is a thumbnail finding', async () => {
    const thumb = path.join(dir, 'thumb.jpg');
    await fs.writeFile(thumb, await makeJpeg({ width: 8, height: 8, seed: 7 }));
    const planted = await plantWithExiftool(base, ['-Make=Canon', `-ThumbnailImage<=${thumb}`]);
    const findings = findingsOf(jpegFormat.walk(planted));
    expect(findings.find((f) => f.kind === 'thumbnail')?.where).toMatch(/IFD1/);
    await expectStrippedClean('ifd1', planted, ['exif', 'thumbnail']);
  });

  test('a MakerNote copied from a real camera file is a makernote finding', async () => {
    const donor = path.join(CORPUS, 'jpg', 'Canon_PowerShot_S40.jpg');
    const planted = await plantWithExiftool(base, ['-tagsFromFile', donor, '-Make', '-Model', '-MakerNotes']);
    await expectStrippedClean('makernote', planted, ['exif', 'makernote']);
  });

  test('an ICC profile is an icc finding', async () => {
    const withIcc = new Uint8Array(await sharp(Buffer.from(base)).withIccProfile('p3').jpeg().toBuffer());
    const found = findingsOf(jpegFormat.walk(withIcc));
    expect(found.map((f) => f.kind)).toContain('icc');
    const result = strip(withIcc);
    expect(result.removed).toEqual(['icc']);
    expect(findingsOf(jpegFormat.walk(result.bytes))).toEqual([]);
  });

  test('hand-written segments: APP11, unknown APPn, extended XMP, Ducky, IRB thumbnail, JFXX', async () => {
    const irb = concatBytes(
      new TextEncoder().encode('Photoshop 3.0\0'),
      new Uint8Array([0x38, 0x42, 0x49, 0x4d, 0x04, 0x0c, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]),
    );
    const planted = insertJpegSegments(base, [
      jpegSegment(0xeb, 'JP\0\0\0\0\0\x01\0\0\0\x20jumbc2pa.manifest-store'),
      jpegSegment(0xe5, 'VENDOR\0secret'),
      jpegSegment(0xe1, 'http://ns.adobe.com/xmp/extension/\0' + '0'.repeat(32) + '\0\0\0\x10\0\0\0\0<x:xmpmeta/>'),
      jpegSegment(0xec, 'Ducky\0\x01\0\x04\0\0\0\x50'),
      jpegSegment(0xed, irb),
      jpegSegment(0xe0, 'JFXX\0\x10thumbdata'),
      jpegSegment(0xe0, 'II\x1a\0\0\0HEAPCCDR'),
    ]);
    const found = findingsOf(jpegFormat.walk(planted));
    expect(found.map((f) => f.kind).sort()).toEqual(
      ['c2pa', 'makernote', 'photoshop-irb', 'thumbnail', 'thumbnail', 'unknown-segment', 'unknown-segment', 'xmp'],
    );
    await expectStrippedClean('hand', planted, ['c2pa', 'unknown-segment', 'xmp', 'photoshop-irb', 'thumbnail', 'makernote']);
  });

  test('a JFIF thumbnail is rewritten away, keeping a canonical JFIF header', async () => {
    // libvips writes no APP0, so the JFIF header is written here: version 1.02, 72x72 dpi; strip
    // writes libjpeg's default header instead (1.01, no density), since density decodes nothing.
    const header = new Uint8Array([0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 1, 0, 72, 0, 72]);
    const canonical = insertJpegSegments(base, [jpegSegment(0xe0, new Uint8Array([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]))], 'start');
    expect(findingsOf(jpegFormat.walk(canonical))).toEqual([]);
    const thumb = new Uint8Array(2 * 1 * 3).fill(200);
    const planted = insertJpegSegments(base, [jpegSegment(0xe0, concatBytes(header, new Uint8Array([2, 1]), thumb))], 'start');
    const found = findingsOf(jpegFormat.walk(planted));
    expect(found).toEqual([expect.objectContaining({ kind: 'thumbnail', detail: expect.stringMatching(/2x1/) })]);
    const result = strip(planted);
    expect(Buffer.from(result.bytes).equals(Buffer.from(canonical))).toBe(true);
    await expectStrippedClean('jfif-thumb', planted, ['thumbnail']);
  });

  test('MPF secondary images after EOI are mpf; other bytes after EOI are a trailer', async () => {
    const second = await makeJpeg({ width: 16, height: 16, seed: 3 });
    const mpf = insertJpegSegments(base, [jpegSegment(0xe2, 'MPF\0MM\0*\0\0\0\x08\0\0')]);
    const withImages = concatBytes(mpf, second);
    const walked = findingsOf(jpegFormat.walk(withImages));
    expect(walked.filter((f) => f.kind === 'mpf').map((f) => f.where)).toEqual([
      expect.stringMatching(/^APP2/),
      expect.stringMatching(/^after EOI/),
    ]);
    await expectStrippedClean('mpf', withImages, ['mpf']);

    const trailer = concatBytes(base, new TextEncoder().encode('SAMSUNG trailer: owner Jane'));
    expect(findingsOf(jpegFormat.walk(trailer))).toEqual([expect.objectContaining({ kind: 'trailer' })]);
    const result = strip(trailer);
    expect(Buffer.from(result.bytes).equals(Buffer.from(base))).toBe(true);
    expect(result.notes.join(' ')).toMatch(/after EOI/);
  });

  test('a progressive JPEG (several SOS) strips with identical pixels', async () => {
    const progressive = await plantWithExiftool(await makeJpeg({ progressive: true, width: 64, height: 40 }), ['-Comment=x', '-Artist=y']);
    const parts = jpegFormat.walk(progressive);
    expect(parts.filter((p) => p.name === 'SOS').length).toBeGreaterThan(1);
    await expectStrippedClean('progressive', progressive, ['comment', 'exif']);
  });

  test('orientation 6 is kept in a minimal EXIF; orientation 1 is dropped', async () => {
    const rotated = await plantWithExiftool(base, ['-Orientation#=6', '-Make=Canon', '-GPSLatitude=10', '-GPSLatitudeRef=N']);
    const result = strip(rotated);
    expect(result.notes).toContain('kept Orientation 6 in a minimal EXIF');
    const file = path.join(dir, 'rotated.jpg');
    await fs.writeFile(file, result.bytes);
    const record = readExiftool([file]).get(file) as ExiftoolRecord;
    expect(record['IFD0:Orientation']).toBe('Rotate 90 CW');
    expect(identifyingKeysLeft(record)).toEqual([]);
    expect((await sharp(result.bytes).metadata()).orientation).toBe(6);

    const upright = strip(await plantWithExiftool(base, ['-Orientation#=1', '-Make=Canon']));
    expect(Buffer.from(upright.bytes).equals(Buffer.from(base))).toBe(true);
  });

  test('RST markers inside scan data are structure; fill bytes before markers are dropped', () => {
    const sof = jpegSegment(0xc0, new Uint8Array([8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    const sos = jpegSegment(0xda, new Uint8Array([1, 1, 0, 0, 63, 0]));
    const scan = new Uint8Array([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xd7, 0x78]);
    const file = concatBytes(new Uint8Array([0xff, 0xd8, 0xff, 0xff]), jpegSegment(0xdb, new Uint8Array(65)), sof, sos, scan, new Uint8Array([0xff, 0xff, 0xd9]));
    const parts = jpegFormat.walk(file);
    expect(parts.map((p) => p.name)).toEqual(['SOI', 'gap', 'DQT', 'SOF0', 'SOS', 'entropy-coded data', 'gap', 'EOI']);
    expect(parts[5]).toMatchObject({ offset: file.length - 3 - scan.length, length: scan.length });
    expect(findingsOf(parts).map((f) => f.detail)).toEqual(['2 fill bytes (0xFF) before a marker', '1 fill bytes (0xFF) before a marker']);
    const out = strip(file).bytes;
    expect(Buffer.from(out).equals(Buffer.from(concatBytes(new Uint8Array([0xff, 0xd8]), jpegSegment(0xdb, new Uint8Array(65)), sof, sos, scan, new Uint8Array([0xff, 0xd9]))))).toBe(true);
  });

  test('0xFF fill bytes before an RSTn inside scan data are part of the scan: strip keeps every MCU', async () => {
    // T.81 B.1.1.2: any marker may be preceded by 0xFF fill bytes, RSTn included; libjpeg skips
    // them and decodes on. The scan must not end there, or strip cuts the MCUs after the RSTn.
    const camera = new Uint8Array(await fs.readFile(path.join(CORPUS, 'jpg/exif-org/nikon-e950.jpg')));
    const clean = strip(camera).bytes;
    const rst = Buffer.from(clean).indexOf(Buffer.from([0xff, 0xd0]));
    expect(rst).toBeGreaterThan(0);
    const filled = concatBytes(clean.subarray(0, rst), new Uint8Array([0xff, 0xff]), clean.subarray(rst));
    expect(findingsOf(jpegFormat.walk(filled))).toEqual([]);
    expect(findingsOf(jpegFormat.walk(filled, { scanData: true }))).toEqual([]);
    for (const scanData of [false, true]) {
      const out = strip(filled, { scanData }).bytes;
      expect(Buffer.from(out).equals(Buffer.from(filled))).toBe(true);
    }
    expect((await rawPixels(filled)).equals(await rawPixels(clean))).toBe(true);
  });

  test('0xFF fill bytes before a stuffed zero (FF FF 00) inside scan data: the scan goes on, strip keeps every MCU', async () => {
    // No encoder writes it, but libjpeg decodes such a file whole without a warning (jdhuff.c
    // skips the FFs and reads FF 00 as data), so a strip that ended the scan there wrote a
    // picture cut short ("premature end of data segment").
    const camera = new Uint8Array(await fs.readFile(path.join(CORPUS, 'jpg/Nikon_D70.jpg')));
    const clean = strip(camera).bytes;
    const sos = Buffer.from(clean).indexOf(Buffer.from([0xff, 0xda]));
    const stuffed = Buffer.from(clean).indexOf(Buffer.from([0xff, 0x00]), sos + 20);
    expect(stuffed).toBeGreaterThan(sos);
    const filled = concatBytes(clean.subarray(0, stuffed), new Uint8Array([0xff]), clean.subarray(stuffed));
    await sharp(Buffer.from(filled), { failOn: 'warning' }).raw().toBuffer();
    expect(findingsOf(jpegFormat.walk(filled))).toEqual([]);
    const out = strip(filled).bytes;
    expect(Buffer.from(out).equals(Buffer.from(filled))).toBe(true);
    expect((await rawPixels(out)).equals(await rawPixels(filled))).toBe(true);
  });

  test('a file without EOI after its scan gets one; garbage between segments is dropped; a file cut before any scan is truncated', () => {
    const cut = base.subarray(0, base.length - 2);
    expect(findingsOf(jpegFormat.walk(cut)).map((f) => f.detail)).toEqual(['no EOI: the file ends inside the scan data']);
    expect(Buffer.from(strip(cut).bytes).equals(Buffer.from(base))).toBe(true);
    const garbage = concatBytes(base.subarray(0, 2), new Uint8Array([0x12, 0x34]), base.subarray(2));
    expect(findingsOf(jpegFormat.walk(garbage)).map((f) => f.detail)).toEqual(['2 stray bytes between segments']);
    expect(Buffer.from(strip(garbage).bytes).equals(Buffer.from(base))).toBe(true);
    expect(() => jpegFormat.walk(base.subarray(0, 30))).toThrow(DeidError);
    const longSegment = concatBytes(base.subarray(0, 2), new Uint8Array([0xff, 0xe1, 0xff, 0xff, 0x00]));
    expect(() => jpegFormat.walk(longSegment)).toThrow(expect.objectContaining({ code: 'truncated' }));
  });

  test('detect accepts JPEG and nothing else', () => {
    expect(jpegFormat.detect(base)).toBe('jpeg');
    expect(jpegFormat.detect(new Uint8Array([0xff, 0xd8]))).toBeNull();
    expect(jpegFormat.detect(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
  });

  test('findings name what is there, never the value', async () => {
    const planted = await plantWithExiftool(base, ['-Artist=ZebraSecretName', '-Comment=ZebraSecretComment', '-XMP:Creator=ZebraSecretCreator']);
    const text = JSON.stringify(jpegFormat.walk(planted)) + JSON.stringify(strip(planted));
    expect(text).not.toMatch(/Zebra/);
    const exif = findingsOf(jpegFormat.walk(planted)).find((f) => f.kind === 'exif');
    expect(exif?.detail).toMatch(/artist name/);
  });
});

/**
 * Segments decoders need are kept, so every byte in them must be one a decoder reads: text
 * planted past their contents, or in tables no scan uses, must be found and must not survive.
 */
describe('kept JPEG segments hide nothing', () => {
  const SECRET = 'PATIENT JOHN SMITH MRN 1234567 DOB 1970-01-01';
  const secretBytes = (length: number) => Uint8Array.from(SECRET.padEnd(length, '.').slice(0, length), (c) => c.charCodeAt(0));
  let base: Uint8Array;
  let progressive: Uint8Array;
  let basePixels: Buffer;

  beforeAll(async () => {
    base = await makeJpeg({ width: 64, height: 40 });
    progressive = await makeJpeg({ width: 64, height: 40, progressive: true });
    basePixels = await rawPixels(base);
  });

  /** Parts of a clean file with the given name, in order. */
  function partsNamed(jpeg: Uint8Array, name: string): Part[] {
    return jpegFormat.walk(jpeg).filter((p) => p.name === name);
  }

  /** Inserts `segment` before the part at `offset`. */
  function insertAt(jpeg: Uint8Array, offset: number, segment: Uint8Array): Uint8Array {
    return concatBytes(jpeg.subarray(0, offset), segment, jpeg.subarray(offset));
  }

  /** Appends `extra` to the content of the segment at `offset`, fixing its length field. */
  function extendSegment(jpeg: Uint8Array, offset: number, extra: Uint8Array): Uint8Array {
    const length = ((jpeg[offset + 2] << 8) | jpeg[offset + 3]) + extra.length;
    const end = offset + 2 + ((jpeg[offset + 2] << 8) | jpeg[offset + 3]);
    const out = concatBytes(jpeg.subarray(0, end), extra, jpeg.subarray(end));
    out[offset + 2] = length >> 8;
    out[offset + 3] = length & 0xff;
    return out;
  }

  function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
    return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
  }

  /** Walk reports `detail` at the planted segment; strip leaves no planted byte run, walks clean,
   *  is idempotent and decodes to `pixels`. */
  async function expectHiddenGone(planted: Uint8Array, detail: RegExp, secret: Uint8Array, pixels: Buffer): Promise<Uint8Array> {
    const found = findingsOf(jpegFormat.walk(planted));
    expect(found).toContainEqual(expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(detail) }));
    expect(JSON.stringify(found)).not.toMatch(/SMITH|JSMITH/);
    expect(containsBytes(planted, secret)).toBe(true);
    const result = strip(planted);
    expect(result.removed).toContain('unknown-segment');
    expect(containsBytes(result.bytes, secret)).toBe(false);
    expect(findingsOf(jpegFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
    expect((await rawPixels(result.bytes)).equals(pixels)).toBe(true);
    return result.bytes;
  }

  test('text in an extra DQT table (id 3) that no frame uses is dropped', async () => {
    const secret = secretBytes(64);
    const planted = insertAt(base, 2, jpegSegment(0xdb, concatBytes(new Uint8Array([0x03]), secret)));
    expect((await rawPixels(planted)).equals(basePixels)).toBe(true);
    const out = await expectHiddenGone(planted, /^quantisation table 3 is never used$/, secret.subarray(0, 16), basePixels);
    expect(Buffer.from(out).equals(Buffer.from(base))).toBe(true);
  });

  test('an extra table appended to a used DQT segment is cut out, the used table kept', async () => {
    const dqt = partsNamed(base, 'DQT')[0];
    const secret = secretBytes(64);
    const planted = extendSegment(base, dqt.offset, concatBytes(new Uint8Array([0x02]), secret));
    const out = await expectHiddenGone(planted, /^quantisation table 2 is never used$/, secret.subarray(0, 16), basePixels);
    expect(Buffer.from(out).equals(Buffer.from(base))).toBe(true);
  });

  test('an unused DHT table (AC 3) holding text is dropped', async () => {
    const counts = new Uint8Array(16);
    counts[15] = 60;
    const secret = secretBytes(60);
    const planted = insertAt(base, 2, jpegSegment(0xc4, concatBytes(new Uint8Array([0x13]), counts, secret)));
    expect((await rawPixels(planted)).equals(basePixels)).toBe(true);
    await expectHiddenGone(planted, /^Huffman AC table 3 is never used$/, secret.subarray(0, 16), basePixels);
  });

  test('a DAC segment in a Huffman-coded file is never used', async () => {
    const planted = insertAt(base, 2, jpegSegment(0xcc, new Uint8Array([0x00, 0x54, 0x10, 0x3f])));
    const found = findingsOf(jpegFormat.walk(planted)).map((f) => f.detail);
    expect(found).toEqual(['arithmetic DC conditioning 0 is never used', 'arithmetic AC conditioning 0 is never used']);
    expect(Buffer.from(strip(planted).bytes).equals(Buffer.from(base))).toBe(true);
  });

  test.each([
    ['DQT', /^DQT segment with 45 bytes beyond its tables$/],
    ['DHT', /^DHT segment with 45 bytes beyond its tables$/],
    ['SOF0', /^SOF0 segment with 45 bytes beyond its components$/],
    ['SOS', /^SOS segment with 45 bytes beyond its components$/],
  ])('text after the contents of %s is found and cut off', async (name, detail) => {
    const secret = secretBytes(SECRET.length);
    const part = partsNamed(base, name)[0];
    const planted = extendSegment(base, part.offset, secret);
    const out = await expectHiddenGone(planted, detail, secret, basePixels);
    expect(Buffer.from(out).equals(Buffer.from(base))).toBe(true);
  });

  test('DRI and DNL are exactly 4 bytes; more is found and cut off', () => {
    const dri = jpegSegment(0xdd, new Uint8Array([0, 0]));
    const clean = insertAt(base, partsNamed(base, 'SOS')[0].offset, dri);
    expect(findingsOf(jpegFormat.walk(clean))).toEqual([]);
    const planted = insertAt(base, partsNamed(base, 'SOS')[0].offset, jpegSegment(0xdd, concatBytes(new Uint8Array([0, 0]), secretBytes(20))));
    expect(findingsOf(jpegFormat.walk(planted)).map((f) => f.detail)).toEqual(['DRI segment with 20 bytes beyond its value']);
    expect(Buffer.from(strip(planted).bytes).equals(Buffer.from(clean))).toBe(true);

    // DNL follows the first scan (T.81 B.2.5); libjpeg does not decode it, so only bytes are compared.
    const eoi = base.length - 2;
    // Only a frame whose SOF leaves the height to DNL (Y = 0) uses one.
    const sof = partsNamed(base, 'SOF0')[0].offset;
    const noHeight = base.slice();
    noHeight.set([0, 0], sof + 5);
    expect(findingsOf(jpegFormat.walk(insertAt(base, eoi, jpegSegment(0xdc, new Uint8Array([0, 40]))))).map((f) => f.detail)).toEqual(['DNL segment the frame does not need']);
    const dnl = insertAt(noHeight, eoi, jpegSegment(0xdc, new Uint8Array([0, 40])));
    expect(findingsOf(jpegFormat.walk(dnl))).toEqual([]);
    const dnlPlanted = insertAt(noHeight, eoi, jpegSegment(0xdc, concatBytes(new Uint8Array([0, 40]), secretBytes(5))));
    expect(findingsOf(jpegFormat.walk(dnlPlanted)).map((f) => f.detail)).toEqual(['DNL segment with 5 bytes beyond its value']);
    expect(Buffer.from(strip(dnlPlanted).bytes).equals(Buffer.from(dnl))).toBe(true);
  });

  test.each(['SOF0', 'SOS'])('a %s shorter than its components is reported and strip refuses it', (name) => {
    const part = partsNamed(base, name)[0];
    // The length field and the file lose the last component's bytes; the count still announces it.
    const cutBytes = name === 'SOS' ? 2 : 3;
    const cut = concatBytes(base.subarray(0, part.offset + part.length - cutBytes), base.subarray(part.offset + part.length));
    cut[part.offset + 3] -= cutBytes;
    expect(findingsOf(jpegFormat.walk(cut))).toContainEqual(
      { kind: 'unknown-segment', where: `${name} @ ${part.offset}`, detail: `${name} segment shorter than its contents announce` },
    );
    expect(() => strip(cut)).toThrow(expect.objectContaining({ code: 'not-clean' }));
  });

  test('APP14 Adobe with text in its version/flags/transform is rewritten in canonical form', async () => {
    const planted = insertAt(base, 2, jpegSegment(0xee, 'AdobeJSMITH1'));
    const secret = Uint8Array.from('JSMITH', (c) => c.charCodeAt(0));
    const out = await expectHiddenGone(planted, /^APP14 Adobe segment with extra or non-standard bytes$/, secret, await rawPixels(planted));
    // A transform above 2 reads as YCbCr for three components (libjpeg), so 1 is written.
    expect(Buffer.from(out.subarray(2, 18))).toEqual(Buffer.from([0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 0x64, 0, 0, 0, 0, 1]));
  });

  test('APP14 Adobe with 7 extra bytes keeps its transform and loses the rest', async () => {
    const canonical = jpegSegment(0xee, 'Adobe\0\x64\0\0\0\0\x01');
    const clean = insertAt(base, 2, canonical);
    expect(findingsOf(jpegFormat.walk(clean))).toEqual([]);
    const planted = insertAt(base, 2, jpegSegment(0xee, 'Adobe\0\x64\x80\0\0\0\x01JSMITH1'));
    const out = await expectHiddenGone(planted, /^APP14 Adobe segment with extra or non-standard bytes$/, Uint8Array.from('JSMITH1', (c) => c.charCodeAt(0)), await rawPixels(clean));
    expect(Buffer.from(out).equals(Buffer.from(clean))).toBe(true);
  });

  test('a progressive file redefining Huffman tables between scans is clean and strips to itself', async () => {
    const dhts = partsNamed(progressive, 'DHT');
    expect(dhts.length).toBeGreaterThan(4);
    expect(findingsOf(jpegFormat.walk(progressive))).toEqual([]);
    expect(Buffer.from(strip(progressive).bytes).equals(Buffer.from(progressive))).toBe(true);
  });

  test('progressive: a table replaced before any scan reads it is dropped, the replacement kept', async () => {
    const pixels = await rawPixels(progressive);
    const counts = new Uint8Array(16);
    counts[15] = 40;
    const secret = secretBytes(40);
    // AC table 0 defined before the first scan (DC only, so it reads no AC table) and redefined
    // before the first AC scan: never read.
    const planted = insertAt(progressive, partsNamed(progressive, 'DHT')[0].offset, jpegSegment(0xc4, concatBytes(new Uint8Array([0x10]), counts, secret)));
    expect((await rawPixels(planted)).equals(pixels)).toBe(true);
    const out = await expectHiddenGone(planted, /^Huffman AC table 0 is never used$/, secret.subarray(0, 16), pixels);
    expect(Buffer.from(out).equals(Buffer.from(progressive))).toBe(true);
  });

  test('progressive: a quantisation table redefined after its components were latched is dropped', async () => {
    const pixels = await rawPixels(progressive);
    const secret = secretBytes(64);
    // Decoders latch a component's quantisation table at its first scan (T.81 B.2.2); a new
    // table 0 before the second scan changes nothing and is never read.
    const planted = insertAt(progressive, partsNamed(progressive, 'SOS')[1].offset, jpegSegment(0xdb, concatBytes(new Uint8Array([0x00]), secret)));
    expect((await rawPixels(planted)).equals(pixels)).toBe(true);
    const out = await expectHiddenGone(planted, /^quantisation table 0 is never used$/, secret.subarray(0, 16), pixels);
    expect(Buffer.from(out).equals(Buffer.from(progressive))).toBe(true);
  });

  test('a DQT between SOF and the first scan is in use (tables are read when the scan starts)', async () => {
    const dqts = partsNamed(base, 'DQT');
    const sof = partsNamed(base, 'SOF0')[0];
    const first = dqts[0].offset;
    const dqtBytes = base.subarray(first, sof.offset);
    const moved = concatBytes(base.subarray(0, first), base.subarray(sof.offset, sof.offset + sof.length), dqtBytes, base.subarray(sof.offset + sof.length));
    expect(moved.length).toBe(base.length);
    expect((await rawPixels(moved)).equals(basePixels)).toBe(true);
    expect(findingsOf(jpegFormat.walk(moved))).toEqual([]);
    expect(Buffer.from(strip(moved).bytes).equals(Buffer.from(moved))).toBe(true);
  });
});

describe('JPEG-specific properties (fast-check; the container contract covers random and mutated bytes)', () => {
  let base: Uint8Array;

  beforeAll(async () => {
    base = await makeJpeg({ width: 24, height: 16 });
  });

  test('random table segments before the first scan: strip is clean, idempotent, and shrinks a file with findings', () => {
    const firstSos = jpegFormat.walk(base).find((p) => p.name === 'SOS') as Part;
    const tableSegment = fc.record({
      marker: fc.constantFrom(0xdb, 0xc4, 0xcc),
      payload: fc.uint8Array({ minLength: 0, maxLength: 300 }),
      at: fc.nat(),
    });
    fc.assert(
      fc.property(tableSegment, ({ marker, payload, at }) => {
        // Between SOI and the first SOS, on a segment boundary of the clean file.
        const boundaries = jpegFormat.walk(base).filter((p) => p.offset > 0 && p.offset <= firstSos.offset).map((p) => p.offset);
        const where = boundaries[at % boundaries.length];
        const planted = concatBytes(base.subarray(0, where), jpegSegment(marker, payload), base.subarray(where));
        const once = strip(planted).bytes;
        expect(findingsOf(jpegFormat.walk(once))).toEqual([]);
        expect(Buffer.from(strip(once).bytes).equals(Buffer.from(once))).toBe(true);
        // Every finding here is bytes strip cuts (an unused table, hidden bytes, an APPn/other).
        if (findingsOf(jpegFormat.walk(planted)).length > 0) expect(once.length).toBeLessThan(planted.length);
      }),
      { numRuns: 200 },
    );
  });
});
