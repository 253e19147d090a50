import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { webpFormat } from '../../src/core/metadata/webp';
import type { FindingKind } from '../../src/core/metadata/types';
import { insertWebpChunks, latin1, riffChunk, vp8xChunk, webpChunks, webpFile } from '../helpers/chunks';
import { expectFoundAndStripped as expectContainerFoundAndStripped, findingsOf, kindsOf } from '../helpers/container';
import { identifyingKeysLeft, kindsImpliedByExiftool, readExiftool, type ExiftoolRecord } from '../helpers/exiftool';
import { concatBytes, noiseRgb, plantWithExiftool, tempDir } from '../helpers/plant';

const strip = webpFormat.strip as NonNullable<typeof webpFormat.strip>;

const SECRET = 'ZebraSecret';
/** RFC 9649 2.7 VP8X flag bits. */
const FLAG = { ICC: 0x20, ALPHA: 0x10, EXIF: 0x08, XMP: 0x04, ANIMATION: 0x02 } as const;

/** The VP8X flags byte of an extended-format file (first chunk VP8X). */
function vp8xFlags(webp: Uint8Array): number {
  const first = webpChunks(webp)[0];
  expect(first.id).toBe('VP8X');
  return webp[first.dataStart];
}

/**
 * Decoded samples (every frame for animations). keepIccProfile(): sharp otherwise converts from
 * an embedded ICC profile to sRGB, so a P3 input and its stripped output (no ICCP) would differ
 * although the VP8L bitstream is copied byte for byte; with it, raw samples are compared as stored.
 */
async function rawPixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { animated: true }).keepIccProfile().raw().toBuffer();
}

async function makeWebp(width = 24, height = 16, seed = 1): Promise<Uint8Array> {
  // Lossless, so the comparison of decoded samples is exact and meaningful.
  return new Uint8Array(await sharp(noiseRgb(width, height, seed), { raw: { width, height, channels: 3 } }).webp({ lossless: true }).toBuffer());
}

/** exiftool's RIFF group in a WebP: VP8X/VP8/VP8L/ANIM header fields, numbers about the raster. */
const RIFF_STRUCTURE_TAGS = new Set([
  'WebP_Flags', 'ImageWidth', 'ImageHeight', 'VP8Version', 'HorizontalScale', 'VerticalScale',
  'AlphaPreprocessing', 'AlphaFiltering', 'AlphaCompression', 'BackgroundColor', 'AnimationLoopCount', 'Duration',
]);

function isWebpStructure(key: string): boolean {
  const [group, tag] = key.split(':');
  return group === 'RIFF' && RIFF_STRUCTURE_TAGS.has(tag);
}

function webpKindsImplied(record: ExiftoolRecord): Set<FindingKind> {
  const { kinds, unmapped } = kindsImpliedByExiftool(record, 'jpeg');
  expect(unmapped.filter((k) => !isWebpStructure(k))).toEqual([]);
  return kinds;
}

function webpKeysLeft(record: ExiftoolRecord): string[] {
  return identifyingKeysLeft(record).filter((k) => !isWebpStructure(k));
}

describe('planted WebP metadata', () => {
  let base: Uint8Array;
  let dir: string;
  let counter = 0;

  beforeAll(async () => {
    base = await makeWebp();
    dir = tempDir('deid-webp-');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function exiftoolRecord(bytes: Uint8Array): Promise<ExiftoolRecord> {
    const file = path.join(dir, `${counter++}.webp`);
    await fs.writeFile(file, bytes);
    return readExiftool([file]).get(file) as ExiftoolRecord;
  }

  async function expectFoundAndStripped(name: string, bytes: Uint8Array, kinds: FindingKind[]): Promise<Uint8Array> {
    // Found without the secret; stripped of it, clean and idempotent (the shared contract).
    const result = expectContainerFoundAndStripped(webpFormat, name, bytes, kinds, SECRET);
    // The RIFF size matches the file exactly: no trailer and nothing cut.
    expect(new DataView(result.bytes.buffer, result.bytes.byteOffset).getUint32(4, true) + 8).toBe(result.bytes.length);
    expect({ name, left: webpKeysLeft(await exiftoolRecord(result.bytes)) }).toEqual({ name, left: [] });
    expect((await rawPixels(result.bytes)).equals(await rawPixels(bytes))).toBe(true);
    return result.bytes;
  }

  test('a sharp-made WebP is clean and strips to itself', () => {
    expect(webpChunks(base).map((c) => c.id)).toEqual(['VP8L']);
    expect(findingsOf(webpFormat.walk(base))).toEqual([]);
    const result = strip(base);
    expect(Buffer.from(result.bytes).equals(Buffer.from(base))).toBe(true);
    expect(result.removed).toEqual([]);
    expect(webpFormat.detect(base)).toBe('webp');
    expect(webpFormat.detect(base.subarray(0, 11))).toBeNull();
  });

  test('sharp-planted EXIF (with GPS), XMP and ICC: found, EXIF/XMP dropped, the profile kept clean, VP8X flags fixed', async () => {
    const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="${SECRET}X"/></rdf:RDF></x:xmpmeta>`;
    const planted = new Uint8Array(await sharp(Buffer.from(base))
      .withExif({ IFD0: { Artist: `${SECRET}E` }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .withXmp(xmp)
      .withIccProfile('p3')
      .webp({ lossless: true })
      .toBuffer());
    expect(webpChunks(planted).map((c) => c.id).sort()).toEqual(['EXIF', 'ICCP', 'VP8L', 'VP8X', 'XMP ']);
    expect(vp8xFlags(planted) & (FLAG.ICC | FLAG.EXIF | FLAG.XMP)).toBe(FLAG.ICC | FLAG.EXIF | FLAG.XMP);
    const implied = webpKindsImplied(await exiftoolRecord(planted));
    expect([...implied].sort()).toEqual(['exif', 'gps', 'icc', 'xmp']);
    const out = await expectFoundAndStripped('sharp', planted, ['exif', 'gps', 'icc', 'xmp']);
    // The colour profile stays (as canonical Display P3, webp-icc.ts), announced by its flag.
    expect(vp8xFlags(out)).toBe(FLAG.ICC);
    expect(webpChunks(out).map((c) => c.id)).toEqual(['VP8X', 'ICCP', 'VP8L']);
  });

  test.each([
    ['exif', [`-EXIF:Artist=${SECRET}A`, '-EXIF:SerialNumber=123', '-DateTimeOriginal=2020:01:02 03:04:05'], ['exif']],
    ['gps', ['-GPSLatitude=51.5', '-GPSLatitudeRef=N'], ['exif', 'gps']],
    ['xmp', [`-XMP:Creator=${SECRET}X`], ['xmp']],
  ] as Array<[string, string[], FindingKind[]]>)('exiftool-planted %s: walk matches exiftool, strip clears it', async (name, args, kinds) => {
    const planted = await plantWithExiftool(base, args, '.webp');
    const implied = webpKindsImplied(await exiftoolRecord(planted));
    expect([...implied].sort()).toEqual([...kinds].sort());
    await expectFoundAndStripped(name, planted, kinds);
  });

  test('EXIF Orientation 6 is kept as a minimal EXIF with the EXIF flag; nothing else', async () => {
    const rotated = await plantWithExiftool(base, ['-EXIF:Orientation#=6', `-EXIF:Artist=${SECRET}O`], '.webp');
    const result = strip(rotated);
    expect(result.notes).toContain('kept Orientation 6 in a minimal EXIF');
    expect(vp8xFlags(result.bytes) & (FLAG.ICC | FLAG.EXIF | FLAG.XMP)).toBe(FLAG.EXIF);
    const record = await exiftoolRecord(result.bytes);
    expect(record['IFD0:Orientation']).toBe('Rotate 90 CW');
    expect(webpKeysLeft(record)).toEqual([]);
    expect(findingsOf(webpFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
  });

  test('hand-made: unknown chunk with odd size and a non-zero pad byte, stale VP8X flags, trailer', async () => {
    const extended = webpFile([vp8xChunk(FLAG.ICC | FLAG.XMP, 24, 16), ...webpChunks(base).map((c) => base.subarray(c.offset, c.end))]);
    // Stale flags announce chunks that are not there: a finding, and strip clears them.
    expect(findingsOf(webpFormat.walk(extended)).map((f) => f.detail)).toEqual(['VP8X flags disagree with the chunks present']);
    const cleaned = strip(extended);
    expect(vp8xFlags(cleaned.bytes)).toBe(0);

    const even = riffChunk('ZZZZ', `${SECRET}1`);
    const odd = riffChunk('prIV', `${SECRET}12`, 0x42); // 13 bytes of data, then a non-zero pad
    expect(odd.length).toBe(8 + 14);
    const planted = concatBytes(insertWebpChunks(extended, [even, odd]), latin1(`after ${SECRET}T`));
    const found = findingsOf(webpFormat.walk(planted));
    expect(found.map((f) => f.kind).sort()).toEqual(['trailer', 'unknown-segment', 'unknown-segment', 'unknown-segment', 'unknown-segment']);
    expect(found.find((f) => f.kind === 'trailer')?.detail).toMatch(/after the RIFF/);
    const out = await expectFoundAndStripped('hand', planted, ['unknown-segment', 'trailer']);
    expect(Buffer.from(out).equals(Buffer.from(cleaned.bytes))).toBe(true);
  });

  test('a missing final pad is repaired', () => {
    const vp8l = webpChunks(base)[0];
    const image = base.subarray(vp8l.offset, vp8l.end);
    const withOdd = webpFile([vp8xChunk(FLAG.XMP, 24, 16), image, riffChunk('XMP ', 'abc')]);
    const noPad = withOdd.slice(0, withOdd.length - 1);
    new DataView(noPad.buffer).setUint32(4, noPad.length - 8, true);
    expect(kindsOf(webpFormat.walk(noPad))).toEqual(new Set(['xmp', 'unknown-segment']));
    expect(findingsOf(webpFormat.walk(noPad)).map((f) => f.detail)).toContain('missing pad byte');
    const repaired = strip(noPad).bytes;
    expect(repaired.length % 2).toBe(0);
    expect(webpChunks(repaired).map((c) => c.id)).toEqual(['VP8X', 'VP8L']);
  });

  test('animated WebP: ANMF frames kept byte for byte; an unknown chunk inside a frame is found and dropped', async () => {
    const frame = (colour: string) => sharp({ create: { width: 8, height: 8, channels: 3, background: colour } }).png().toBuffer();
    const anim = new Uint8Array(await sharp([await frame('#ff0000'), await frame('#00ff00')], { join: { animated: true } }).webp({ lossless: true }).toBuffer());
    expect(webpChunks(anim).map((c) => c.id)).toEqual(['VP8X', 'ANIM', 'ANMF', 'ANMF']);
    expect(findingsOf(webpFormat.walk(anim))).toEqual([]);
    expect(Buffer.from(strip(anim).bytes).equals(Buffer.from(anim))).toBe(true);

    // Rebuild the second frame with a private chunk after its bitstream.
    const chunks = webpChunks(anim);
    const second = chunks[3];
    const payload = concatBytes(anim.subarray(second.dataStart, second.dataEnd), riffChunk('prIV', `${SECRET}F`));
    const planted = webpFile([...chunks.slice(0, 3).map((c) => anim.subarray(c.offset, c.end)), riffChunk('ANMF', payload)]);
    const found = findingsOf(webpFormat.walk(planted));
    expect(found).toEqual([expect.objectContaining({ kind: 'unknown-segment', where: expect.stringMatching(/^ANMF @ \d+ chunk prIV/) })]);
    const out = await expectFoundAndStripped('anmf', planted, ['unknown-segment']);
    expect(Buffer.from(out).equals(Buffer.from(anim))).toBe(true);
  });

  describe('malformed', () => {
    test('bad signature', () => {
      for (const [at, value] of [[0, 0x58], [8, 0x58]] as const) {
        const bad = base.slice();
        bad[at] = value;
        expect(webpFormat.detect(bad)).toBeNull();
        expect(() => webpFormat.walk(bad)).toThrow(expect.objectContaining({ code: 'malformed' }));
        expect(() => strip(bad)).toThrow(expect.objectContaining({ code: 'malformed' }));
      }
    });

    test('RIFF size too large, too small; a chunk running past the RIFF', () => {
      const tooLarge = base.slice();
      new DataView(tooLarge.buffer).setUint32(4, base.length, true);
      expect(() => webpFormat.walk(tooLarge)).toThrow(expect.objectContaining({ code: 'truncated' }));
      expect(() => strip(tooLarge)).toThrow(expect.objectContaining({ code: 'truncated' }));
      const tooSmall = base.slice();
      new DataView(tooSmall.buffer).setUint32(4, 4, true);
      expect(() => webpFormat.walk(tooSmall)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const runs = insertWebpChunks(base, [riffChunk('ZZZZ', 'abcd')]);
      new DataView(runs.buffer).setUint32(webpChunks(runs)[1].offset + 4, 1000, true);
      expect(() => webpFormat.walk(runs)).toThrow(expect.objectContaining({ code: 'truncated' }));
      expect(() => webpFormat.walk(base.subarray(0, base.length - 1))).toThrow(expect.objectContaining({ code: 'truncated' }));
    });

    test('first chunk not an image chunk, short VP8X, short ANMF', () => {
      const exifFirst = webpFile([riffChunk('EXIF', 'II*\0'), ...webpChunks(base).map((c) => base.subarray(c.offset, c.end))]);
      expect(() => webpFormat.walk(exifFirst)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const shortVp8x = webpFile([riffChunk('VP8X', new Uint8Array(4)), ...webpChunks(base).map((c) => base.subarray(c.offset, c.end))]);
      expect(() => webpFormat.walk(shortVp8x)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const shortAnmf = webpFile([vp8xChunk(FLAG.ANIMATION, 8, 8), riffChunk('ANIM', new Uint8Array(6)), riffChunk('ANMF', new Uint8Array(8))]);
      expect(() => webpFormat.walk(shortAnmf)).toThrow(expect.objectContaining({ code: 'malformed' }));
      expect(() => strip(shortAnmf)).toThrow(expect.objectContaining({ code: 'malformed' }));
    });
  });
});
