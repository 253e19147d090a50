import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { crc32 } from '../../src/core/crc32';
import { pngFormat } from '../../src/core/metadata/png';
import type { FindingKind } from '../../src/core/metadata/types';
import { insertPngChunks, latin1, pngChunk, pngChunks } from '../helpers/chunks';
import { expectFoundAndStripped as expectContainerFoundAndStripped, findingsOf, kindsOf } from '../helpers/container';
import { identifyingKeysLeft, kindsImpliedByExiftool, readExiftool, type ExiftoolRecord } from '../helpers/exiftool';
import { concatBytes, noiseRgb, plantWithExiftool, tempDir } from '../helpers/plant';

const strip = pngFormat.strip as NonNullable<typeof pngFormat.strip>;

/** The planted secret: no finding's where/detail and no strip note may contain it. */
const SECRET = 'ZebraSecret';

/**
 * Decoded samples as stored: keepIccProfile() stops sharp converting from an embedded profile to
 * sRGB, so an input with iCCP and its stripped output (no iCCP) decode to the same raw bytes when
 * IDAT is untouched; without it a P3 input would differ although no sample changed.
 */
async function rawPixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).keepIccProfile().raw().toBuffer();
}

async function makePng(width = 24, height = 16, seed = 1): Promise<Uint8Array> {
  return new Uint8Array(await sharp(noiseRgb(width, height, seed), { raw: { width, height, channels: 3 } }).png().toBuffer());
}

/**
 * exiftool puts PNG's image header and its text chunks in the same `PNG` group, so the split is
 * made here by tag: IHDR/PLTE/tRNS/gAMA/cHRM/sRGB/bKGD/sBIT fields are structure, PNG:ModifyDate
 * is tIME, PNG:ProfileName is iCCP's name, everything else in `PNG` is a text chunk's keyword.
 */
const PNG_STRUCTURE_TAGS = new Set([
  'ImageWidth', 'ImageHeight', 'BitDepth', 'ColorType', 'Compression', 'Filter', 'Interlace', 'Gamma',
  'SRGBRendering', 'Palette', 'Transparency', 'BackgroundColor', 'SignificantBits', 'WhitePointX', 'WhitePointY',
  'RedX', 'RedY', 'GreenX', 'GreenY', 'BlueX', 'BlueY', 'AnimationFrames', 'AnimationPlays',
]);
/** PNG-pHYs / PNG-cHRM etc.: numbers about the raster; the allowlisted chunks. */
const PNG_STRUCTURE_GROUP = /^PNG-(pHYs|cHRM|gAMA|sRGB|sBIT|bKGD|tRNS)$/;

function pngKindOf(key: string): FindingKind | 'structure' | 'unmapped' {
  const [group, tag] = key.split(':');
  if (PNG_STRUCTURE_GROUP.test(group)) return 'structure';
  if (group !== 'PNG') return 'unmapped';
  if (PNG_STRUCTURE_TAGS.has(tag)) return 'structure';
  if (tag === 'ModifyDate') return 'time-chunk';
  if (tag === 'ProfileName') return 'icc';
  return 'text-chunk';
}

/** Kinds exiftool implies for a PNG: the shared group map, plus the PNG split above. */
function pngKindsImplied(record: ExiftoolRecord): Set<FindingKind> {
  const { kinds, unmapped } = kindsImpliedByExiftool(record, 'jpeg');
  for (const key of unmapped) {
    const kind = pngKindOf(key);
    expect({ key, kind }).not.toEqual({ key, kind: 'unmapped' });
    if (kind !== 'structure' && kind !== 'unmapped') kinds.add(kind);
  }
  return kinds;
}

function pngKeysLeft(record: ExiftoolRecord): string[] {
  return identifyingKeysLeft(record).filter((key) => pngKindOf(key) !== 'structure');
}

describe('planted PNG metadata', () => {
  let base: Uint8Array;
  let dir: string;
  let counter = 0;

  beforeAll(async () => {
    base = await makePng();
    dir = tempDir('deid-png-');
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function exiftoolRecord(bytes: Uint8Array): Promise<ExiftoolRecord> {
    const file = path.join(dir, `${counter++}.png`);
    await fs.writeFile(file, bytes);
    return readExiftool([file]).get(file) as ExiftoolRecord;
  }

  /** Walk finds `kinds` without the secret; strip removes them, losslessly, idempotently. */
  async function expectFoundAndStripped(name: string, bytes: Uint8Array, kinds: FindingKind[]): Promise<Uint8Array> {
    // Found without the secret; stripped of it, clean and idempotent (the shared contract).
    const result = expectContainerFoundAndStripped(pngFormat, name, bytes, kinds, SECRET);
    expect({ name, left: pngKeysLeft(await exiftoolRecord(result.bytes)) }).toEqual({ name, left: [] });
    expect((await rawPixels(result.bytes)).equals(await rawPixels(bytes))).toBe(true);
    return result.bytes;
  }

  test('a sharp-made PNG is clean and strips to itself', () => {
    expect(findingsOf(pngFormat.walk(base))).toEqual([]);
    const result = strip(base);
    expect(Buffer.from(result.bytes).equals(Buffer.from(base))).toBe(true);
    expect(result.removed).toEqual([]);
    expect(pngFormat.detect(base)).toBe('png');
    expect(pngFormat.detect(base.subarray(0, 7))).toBeNull();
  });

  test.each([
    ['text', [`-PNG:Author=${SECRET}A`, `-Comment=${SECRET}C`, `-PNG:Description=${SECRET}D`], ['text-chunk']],
    ['xmp', [`-XMP:Creator=${SECRET}X`, '-XMP-photoshop:City=Leeds'], ['xmp']],
    ['exif+gps', [`-EXIF:Artist=${SECRET}E`, '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-GPSLongitude=0.1', '-GPSLongitudeRef=W'], ['exif', 'gps']],
    ['time', ['-PNG:ModifyDate=2020:01:02 03:04:05'], ['time-chunk']],
  ] as Array<[string, string[], FindingKind[]]>)('exiftool-planted %s: walk matches exiftool, strip clears it', async (name, args, kinds) => {
    const planted = await plantWithExiftool(base, args, '.png');
    const implied = pngKindsImplied(await exiftoolRecord(planted));
    expect([...implied].sort()).toEqual([...kinds].sort());
    const found = kindsOf(pngFormat.walk(planted));
    expect([...implied].filter((k) => !found.has(k))).toEqual([]);
    await expectFoundAndStripped(name, planted, kinds);
  });

  test('sharp-planted ICC profile (iCCP) and EXIF (eXIf)', async () => {
    const withIcc = new Uint8Array(await sharp(Buffer.from(base)).withIccProfile('p3').withExif({ IFD0: { Artist: `${SECRET}S` } }).png().toBuffer());
    expect(pngChunks(withIcc).map((c) => c.type)).toEqual(expect.arrayContaining(['iCCP', 'eXIf']));
    expect(pngKindsImplied(await exiftoolRecord(withIcc))).toEqual(new Set(['icc', 'exif']));
    // Compares stored samples; sharp re-encodes IDAT here, so the input is the re-encoded file.
    await expectFoundAndStripped('icc', withIcc, ['icc', 'exif']);
  });

  test('EXIF Orientation 6 survives as a minimal eXIf; Orientation 1 leaves no eXIf', async () => {
    const rotated = await plantWithExiftool(base, ['-EXIF:Orientation#=6', `-EXIF:Artist=${SECRET}O`], '.png');
    const result = strip(rotated);
    expect(result.removed).toEqual(['exif']);
    expect(result.notes).toContain('kept Orientation 6 in a minimal EXIF');
    const record = await exiftoolRecord(result.bytes);
    expect(record['IFD0:Orientation']).toBe('Rotate 90 CW');
    expect(pngKeysLeft(record)).toEqual([]);
    expect(findingsOf(pngFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
    // PNG 3rd ed.: eXIf comes before the first IDAT; the minimal block stays where the old one was.
    const order = pngChunks(result.bytes).map((c) => c.type);
    expect(order.indexOf('eXIf')).toBeLessThan(order.indexOf('IDAT'));
    const upright = strip(await plantWithExiftool(base, ['-EXIF:Orientation#=1', '-EXIF:Make=Canon'], '.png'));
    expect(Buffer.from(upright.bytes).equals(Buffer.from(base))).toBe(true);
  });

  test('hand-made chunks: zTXt, non-XMP iTXt, tIME, caBX, private prIV, bytes after IEND', async () => {
    const ztxt = pngChunk('zTXt', concatBytes(latin1('Author\0\0'), deflateSync(Buffer.from(`${SECRET}Z`))));
    const itxt = pngChunk('iTXt', `Title\0\0\0\0\0${SECRET}I`);
    const time = pngChunk('tIME', new Uint8Array([0x07, 0xe4, 1, 2, 3, 4, 5]));
    const cabx = pngChunk('caBX', concatBytes(latin1('jumb'), latin1(`c2pa ${SECRET}J`)));
    const priv = pngChunk('prIV', `${SECRET}P`);
    const planted = concatBytes(insertPngChunks(base, [ztxt, itxt, time, cabx, priv]), latin1(`trailer ${SECRET}T`));
    const found = findingsOf(pngFormat.walk(planted));
    expect(found.map((f) => `${f.kind}|${f.where.replace(/@ \d+$/, '').trim()}`).sort()).toEqual([
      'c2pa|chunk caBX', 'text-chunk|chunk iTXt', 'text-chunk|chunk zTXt', 'time-chunk|chunk tIME', 'trailer|', 'unknown-segment|chunk prIV',
    ]);
    expect(found.find((f) => f.kind === 'text-chunk')?.detail).toMatch(/keyword "Author"/);
    const out = await expectFoundAndStripped('hand', planted, ['text-chunk', 'time-chunk', 'c2pa', 'unknown-segment', 'trailer']);
    expect(Buffer.from(out).equals(Buffer.from(base))).toBe(true);
  });

  test('a text chunk without a keyword separator does not leak its text as a keyword', () => {
    const planted = insertPngChunks(base, [pngChunk('tEXt', `${SECRET} no separator`)]);
    const [finding] = findingsOf(pngFormat.walk(planted));
    expect(finding.kind).toBe('text-chunk');
    expect(JSON.stringify(finding)).not.toContain(SECRET);
    // An over-long keyword (over 79 bytes) is not a keyword either.
    const long = insertPngChunks(base, [pngChunk('tEXt', `${SECRET.repeat(9)}\0x`)]);
    expect(JSON.stringify(pngFormat.walk(long))).not.toContain(SECRET);
  });

  test('ImageMagick "Raw profile type" text chunks are reported as what they hold', async () => {
    // ImageMagick stores profiles as hex in text chunks ("\nexif\n   len\nhex\n"); exiftool reads
    // them as EXIF/XMP, so the walk must name the kind, not only "text".
    const tiffHex = await (async () => {
      const withExif = await plantWithExiftool(base, [`-EXIF:Artist=${SECRET}R`], '.png');
      const exif = pngChunks(withExif).find((c) => c.type === 'eXIf');
      if (!exif) throw new Error('exiftool wrote no eXIf chunk');
      return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from(withExif.subarray(exif.offset + 8, exif.end - 4))]);
    })();
    const text = `\nexif\n${String(tiffHex.length).padStart(8)}\n${tiffHex.toString('hex')}\n`;
    const planted = insertPngChunks(base, [pngChunk('zTXt', concatBytes(latin1('Raw profile type exif\0\0'), deflateSync(Buffer.from(text))))]);
    expect(pngKindsImplied(await exiftoolRecord(planted))).toEqual(new Set(['exif']));
    await expectFoundAndStripped('raw-profile', planted, ['exif']);
    const xmp = insertPngChunks(base, [pngChunk('tEXt', 'Raw profile type xmp\0\nxmp\n  4\n3c783e\n')]);
    expect(kindsOf(pngFormat.walk(xmp))).toEqual(new Set(['xmp']));
  });

  test('an XMP packet in tEXt (not iTXt) is xmp, as exiftool reads it', async () => {
    const packet = `<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:creator><rdf:Seq><rdf:li>${SECRET}X</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>`;
    const planted = insertPngChunks(base, [pngChunk('tEXt', `XML:com.adobe.xmp\0${packet}`)]);
    expect(pngKindsImplied(await exiftoolRecord(planted))).toEqual(new Set(['xmp']));
    await expectFoundAndStripped('xmp-text', planted, ['xmp']);
  });

  test('colour chunks are kept; an acTL without frames and an unknown critical chunk are findings', () => {
    const actl = pngChunk('acTL', new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]));
    const gama = pngChunk('gAMA', new Uint8Array([0, 0, 0xb1, 0x8f]));
    const kept = insertPngChunks(base, [gama]);
    expect(findingsOf(pngFormat.walk(kept))).toEqual([]);
    expect(findingsOf(pngFormat.walk(insertPngChunks(base, [actl, gama])))).toEqual([expect.objectContaining({ detail: expect.stringMatching(/invalid animation/) })]);
    expect(Buffer.from(strip(kept).bytes).equals(Buffer.from(kept))).toBe(true);
    const critical = insertPngChunks(base, [pngChunk('ABCD', 'x')]);
    expect(findingsOf(pngFormat.walk(critical))).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/critical/) })]);
  });

  describe('malformed', () => {
    test('bad signature', () => {
      const bad = base.slice();
      bad[1] = 0x51;
      expect(pngFormat.detect(bad)).toBeNull();
      expect(() => pngFormat.walk(bad)).toThrow(expect.objectContaining({ code: 'malformed' }));
      expect(() => strip(bad)).toThrow(expect.objectContaining({ code: 'malformed' }));
    });

    test('a chunk running past the end, and no IEND', () => {
      const long = insertPngChunks(base, [concatBytes(new Uint8Array([0, 0, 0x10, 0]), latin1('tEXt'), latin1('k\0v'))]);
      const cut = long.subarray(0, pngChunks(base)[0].end + 11);
      expect(() => pngFormat.walk(cut)).toThrow(expect.objectContaining({ code: 'truncated' }));
      expect(() => pngFormat.walk(base.subarray(0, base.length - 12))).toThrow(expect.objectContaining({ code: 'truncated' }));
      expect(() => strip(base.subarray(0, base.length - 1))).toThrow(expect.objectContaining({ code: 'truncated' }));
    });

    test('bad CRC on a kept chunk is refused; on a dropped chunk it is not checked', () => {
      const idat = pngChunks(base).find((c) => c.type === 'IDAT');
      if (!idat) throw new Error('no IDAT');
      const badIdat = base.slice();
      badIdat[idat.end - 1] ^= 0xff;
      expect(() => pngFormat.walk(badIdat)).toThrow(expect.objectContaining({ code: 'malformed' }));
      expect(() => strip(badIdat)).toThrow(expect.objectContaining({ code: 'malformed', message: expect.stringMatching(/IDAT.*CRC/) }));
      const badIhdr = base.slice();
      badIhdr[pngChunks(base)[0].end - 1] ^= 0xff;
      expect(() => strip(badIhdr)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const droppedBad = insertPngChunks(base, [pngChunk('tEXt', 'Author\0x', { badCrc: true })]);
      expect(kindsOf(pngFormat.walk(droppedBad))).toEqual(new Set(['text-chunk']));
      expect(Buffer.from(strip(droppedBad).bytes).equals(Buffer.from(base))).toBe(true);
    });

    test('first chunk not IHDR, invalid chunk type, length over 2^31-1', () => {
      const ihdrEnd = pngChunks(base)[0].end;
      const textFirst = concatBytes(base.subarray(0, 8), pngChunk('tEXt', 'a\0b'), base.subarray(8));
      expect(() => pngFormat.walk(textFirst)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const badType = insertPngChunks(base, [pngChunk('t3Xt', 'a\0b')]);
      expect(() => pngFormat.walk(badType)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const huge = concatBytes(base.subarray(0, ihdrEnd), new Uint8Array([0x80, 0, 0, 0]), latin1('tEXt'), base.subarray(ihdrEnd));
      expect(() => pngFormat.walk(huge)).toThrow(expect.objectContaining({ code: 'malformed' }));
    });
  });
});

describe('PNG: CRC-32, more chunks off the allowlist, linear time', () => {
  let base: Uint8Array;
  beforeAll(async () => {
    base = await makePng(16, 12, 9);
  });

  test('crc32 gives the CRC-32/ISO-HDLC check value and agrees with zlib on ranges', () => {
    expect(crc32(latin1('123456789'))).toBe(0xcbf43926);
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(crc32(bytes, 10, 500)).toBe(zlibCrc32(bytes.subarray(10, 500)));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  test.each(['hIST', 'sPLT', 'oFFs', 'pCAL', 'sCAL', 'dSIG', 'zxIf', 'prIV', 'vpAg'])('%s is an unknown segment and is stripped', (type) => {
    const planted = insertPngChunks(base, [pngChunk(type, `${SECRET}${type}`)]);
    const findings = findingsOf(pngFormat.walk(planted));
    expect(findings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: `ancillary chunk ${type} not on the allowlist` })]);
    const result = strip(planted);
    expect(Buffer.from(result.bytes).equals(Buffer.from(base))).toBe(true);
    expect(result.removed).toEqual(['unknown-segment']);
  });

  test('RGBA and palette PNGs from sharp are clean and strip to themselves', async () => {
    const raw = noiseRgb(16, 12, 2);
    for (const png of [
      await sharp(raw, { raw: { width: 16, height: 12, channels: 3 } }).ensureAlpha(0.5).png().toBuffer(),
      await sharp(raw, { raw: { width: 16, height: 12, channels: 3 } }).png({ palette: true }).toBuffer(),
    ]) {
      const bytes = new Uint8Array(png);
      expect(findingsOf(pngFormat.walk(bytes))).toEqual([]);
      expect(Buffer.from(strip(bytes).bytes).equals(png)).toBe(true);
    }
  });

  test('hundreds of large NUL-less text chunks stay linear', () => {
    const big = pngChunk('tEXt', new Uint8Array(20000).fill(0x41));
    const planted = insertPngChunks(base, Array.from({ length: 300 }, () => big));
    const started = Date.now();
    expect(findingsOf(pngFormat.walk(planted))).toHaveLength(300);
    expect(strip(planted).bytes.length).toBe(base.length);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('random metadata chunks and trailers around a valid image: strip keeps IDAT byte for byte', () => {
    const types = ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME', 'iCCP', 'caBX', 'prIV', 'hIST', 'gAMA', 'pHYs', 'sBIT', 'bKGD'];
    const idat = (b: Uint8Array) => concatBytes(...pngChunks(b).filter((c) => c.type === 'IDAT').map((c) => b.subarray(c.offset, c.end)));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...types), fc.uint8Array({ maxLength: 40 })), { maxLength: 6 }),
        fc.uint8Array({ maxLength: 12 }),
        (chunks, trailer) => {
          const input = concatBytes(insertPngChunks(base, chunks.map(([type, data]) => pngChunk(type, data))), trailer);
          const once = strip(input).bytes;
          expect(findingsOf(pngFormat.walk(once))).toEqual([]);
          expect(Buffer.from(strip(once).bytes).equals(Buffer.from(once))).toBe(true);
          expect(Buffer.from(idat(once)).equals(Buffer.from(idat(base)))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

test('a custom text keyword is never repeated in a finding (a keyword can carry a value too)', async () => {
  const png = new Uint8Array(await sharp(noiseRgb(4, 4), { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer());
  const planted = insertPngChunks(png, [pngChunk('tEXt', latin1('Jane Doe MRN 0012345\0x')), pngChunk('tEXt', latin1('Author\0someone'))]);
  const details = pngFormat.walk(planted).flatMap((p) => (p.finding ? [p.finding.detail] : []));
  expect(details).toEqual(['tEXt text under a custom keyword', 'tEXt text under keyword "Author"']);
});
