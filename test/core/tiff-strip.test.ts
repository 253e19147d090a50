/**
 * The lossless TIFF strip (issue 9) and the allowlist-by-need rules (issue 13 item 1), checked
 * against independent oracles: exiftool (plants the metadata, then reads the output), libvips
 * through sharp (writes the test files, decodes input and output: same pixels), and hostile
 * files written byte by byte, one per rule (TIFF 6.0 section named in each test).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { canonicalProfile, cleanIcc, iccFindings } from '../../src/core/metadata/icc';
import { stripMetadata } from '../../src/core/metadata/scan';
import { tiffFormat } from '../../src/core/metadata/tiff';
import { analyseTiff } from '../../src/core/metadata/tiff-pages';
import { findingsOf, expectIdempotent, mutateAll, mutationArbitrary, stripOf } from '../helpers/container';
import { readExiftool, TIFF_STRUCTURE_TAGS, type ExiftoolRecord } from '../helpers/exiftool';
import { latin1 } from '../helpers/chunks';
import { concatBytes, noiseRgb, plantWithExiftool, tempDir, TIFF_TYPE, writeTiff, type TiffEntrySpec } from '../helpers/plant';
import { ascii, bigTiff, decodeAll, entryOffset, greyTiff, libtiffComplaints, sharpTiff, short } from '../helpers/tiff-build';

const SECRET = 'JOHN SMITH MRN 4471';
const strip = stripOf(tiffFormat);
const { ASCII, SHORT, LONG, RATIONAL, UNDEFINED } = TIFF_TYPE;

/**
 * exiftool keys that survive in a clean TIFF: image structure in the page directories and
 * exiftool's own groups. exiftool names the one strip of a JPEG-compressed page "PreviewImage".
 */
function identifyingKeys(record: ExiftoolRecord): string[] {
  const jpegStrip = /^PreviewImage(Start|Length)?$/;
  return Object.keys(record).filter((key) => {
    const [group, tag] = key.split(':');
    if (tag === undefined || /^(File|System|Composite|ExifTool)$/.test(group)) return false;
    if (!/^IFD\d+$/.test(group)) return true;
    return !(TIFF_STRUCTURE_TAGS.has(tag) || (jpegStrip.test(tag) && record[`${group}:Compression`] === 'JPEG'));
  });
}

async function exiftoolRecords(files: Record<string, Uint8Array>): Promise<Map<string, ExiftoolRecord>> {
  const dir = tempDir('deid-tiff-');
  const paths = Object.entries(files).map(([name, bytes]) => [path.join(dir, `${name}.tif`), bytes] as const);
  await Promise.all(paths.map(([p, b]) => fs.writeFile(p, b)));
  const records = readExiftool(paths.map(([p]) => p));
  await fs.rm(dir, { recursive: true, force: true });
  return new Map(Object.keys(files).map((name, i) => [name, records.get(paths[i][0]) as ExiftoolRecord]));
}

/** Strips, then checks: clean re-walk, idempotent, secret gone, all pages decode to the same samples. */
async function expectLosslessStrip(name: string, input: Uint8Array, secret: string | null = null, firstPage = false): Promise<Uint8Array> {
  expect({ name, findings: findingsOf(tiffFormat.walk(input)).length > 0 }).toEqual({ name, findings: true });
  const out = strip(input).bytes;
  expect({ name, left: findingsOf(tiffFormat.walk(out)) }).toEqual({ name, left: [] });
  expectIdempotent(tiffFormat, out);
  if (secret !== null) expect({ name, secret: Buffer.from(out).includes(secret) }).toEqual({ name, secret: false });
  expect({ name, magic: out.subarray(0, 4) }).toEqual({ name, magic: input.subarray(0, 4) });
  const [a, b] = await Promise.all([decodeAll(input, { lenient: true, firstPage }), decodeAll(out)]);
  expect({ name, samePixels: a.equals(b) }).toEqual({ name, samePixels: true });
  // libtiff reads every directory and strip of the output without a warning.
  expect({ name, libtiff: libtiffComplaints(out) }).toEqual({ name, libtiff: '' });
  return out;
}

/** Every strip/tile of every kept page, as bytes: the coded image data must be identical. */
function codedData(bytes: Uint8Array): Buffer[] {
  return analyseTiff(bytes).pages.flatMap((p) => p.chunks.map((c) => Buffer.from(bytes.subarray(c.start, c.start + c.length))));
}

const PLANT = [
  `-Artist=${SECRET}`, '-Make=Canon', '-Model=EOS 5D', '-Software=Scanner 1.0', '-DateTime=2024:01:02 03:04:05',
  `-ImageDescription=${SECRET}`, `-DocumentName=${SECRET}`, `-HostComputer=${SECRET}`, `-Copyright=${SECRET}`,
  '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-GPSLongitude=0.1', '-GPSLongitudeRef=W', `-XMP:Creator=${SECRET}`,
  `-IPTC:By-line=${SECRET}`, '-ExifIFD:DateTimeOriginal=2024:01:02 03:04:05', `-ExifIFD:UserComment=${SECRET}`,
];

describe('sharp-made TIFFs with exiftool-planted metadata strip to TIFF, same pixels, nothing identifying', () => {
  const variants: Array<[string, sharp.TiffOptions, Parameters<typeof sharpTiff>[1]]> = [
    ['uncompressed', { compression: 'none' }, {}],
    ['lzw', { compression: 'lzw' }, {}],
    ['deflate + predictor', { compression: 'deflate', predictor: 'horizontal' }, {}],
    ['jpeg-in-tiff', { compression: 'jpeg', quality: 80 }, {}],
    ['tiled', { tile: true, tileWidth: 16, tileHeight: 16, compression: 'lzw' }, {}],
    ['16-bit grey', { compression: 'none' }, { channels: 1 }],
    ['rgba', { compression: 'deflate' }, { channels: 4 }],
    ['three pages', { compression: 'lzw' }, { pages: 3 }],
  ];

  test.each(variants)('%s', async (name, options, size) => {
    let base = await sharpTiff(options, size);
    if (name === '16-bit grey') base = new Uint8Array(await sharp(Buffer.from(base)).toColourspace('grey16').tiff({ compression: 'none' }).toBuffer());
    // sharp's own output holds nothing but structure, and is kept as it is.
    expect({ name, findings: findingsOf(tiffFormat.walk(base)) }).toEqual({ name, findings: [] });
    expect(Buffer.from(strip(base).bytes).equals(Buffer.from(base))).toBe(true);
    const planted = await plantWithExiftool(base, PLANT, '.tif');
    const out = await expectLosslessStrip(name, planted, SECRET);
    expect(codedData(out)).toEqual(codedData(planted));
    expect(analyseTiff(out).pages.length).toBe(size?.pages ?? 1);
    const records = await exiftoolRecords({ planted, out });
    // The oracle sees what was planted, and none of it after the strip.
    expect(identifyingKeys(records.get('planted') as ExiftoolRecord).length).toBeGreaterThan(10);
    expect({ name, left: identifyingKeys(records.get('out') as ExiftoolRecord) }).toEqual({ name, left: [] });
  });

  test('a pyramid keeps only the full-resolution page; its reduced levels are thumbnails', async () => {
    const pyramid = await sharpTiff({ pyramid: true, tile: true, tileWidth: 64, tileHeight: 64, compression: 'lzw' }, { width: 300, height: 200 });
    const before = analyseTiff(pyramid);
    expect(before.findings.filter((f) => f.kind === 'thumbnail').length).toBeGreaterThanOrEqual(2);
    const out = strip(pyramid).bytes;
    expect(findingsOf(tiffFormat.walk(out))).toEqual([]);
    expect(analyseTiff(out).pages.length).toBe(1);
    const [a, b] = await Promise.all([sharp(pyramid).raw().toBuffer(), sharp(out).raw().toBuffer()]);
    expect(a.equals(b)).toBe(true);
    expect((await sharp(out).metadata()).pages ?? 1).toBe(1);
  });

  test('BigTIFF from libvips stays BigTIFF; planted tags go', async () => {
    const big = await sharpTiff({ bigtiff: true, compression: 'lzw' });
    expect(Array.from(big.subarray(0, 4))).toEqual([0x49, 0x49, 43, 0]);
    expect(findingsOf(tiffFormat.walk(big))).toEqual([]);
    // exiftool does not write BigTIFF: the tags are planted by hand.
    const planted = bigTiff(2, [ascii(315, SECRET), ascii(270, SECRET), short(0xc0de, 7)]);
    expect(findingsOf(tiffFormat.walk(planted)).map((f) => f.kind).sort()).toEqual(['exif', 'exif', 'unknown-segment']);
    const out = await expectLosslessStrip('bigtiff', planted, SECRET);
    expect(out[2]).toBe(43);
    expect(analyseTiff(out).pages.length).toBe(2);
    expect(codedData(out)).toEqual(codedData(planted));
  });
});

describe('hostile files: each rule, by hand (TIFF 6.0 section cited by the rule)', () => {
  const secretBytes = latin1(SECRET);

  test('XResolution written as ASCII: exiftool prints the text, we find and drop it', async () => {
    const hostile = greyTiff([{ tag: 282, type: ASCII, value: SECRET }, { tag: 283, type: RATIONAL, value: [72] }, { tag: 296, type: SHORT, value: [2] }]);
    const records = await exiftoolRecords({ hostile });
    expect(JSON.stringify(records.get('hostile'))).toContain(SECRET);
    // libtiff, the other oracle, complains about the input (and not about our output, below).
    expect(libtiffComplaints(hostile)).toMatch(/XResolution/);
    const found = findingsOf(tiffFormat.walk(hostile));
    expect(found).toEqual([expect.objectContaining({ where: 'TIFF IFD0 tag 0x011a', detail: expect.stringMatching(/XResolution has type 2, not 5 \(TIFF 6.0 section 8\)/) }), expect.anything(), expect.anything()]);
    expect(JSON.stringify(found)).not.toContain('JOHN');
    const out = await expectLosslessStrip('ascii resolution', hostile, SECRET);
    // Half a resolution is none: the companions go too.
    expect(analyseTiff(out).pages[0].entries.map((e) => e.tag)).not.toContain(283);
  });

  const rules: Array<[string, () => Uint8Array, RegExp]> = [
    ['ColorMap in a grey image (section 5: palette only)', () => greyTiff([{ tag: 320, type: SHORT, value: Array.from({ length: 768 }, (_, i) => SECRET.charCodeAt(i % SECRET.length)) }]), /ColorMap does not apply/],
    ['Predictor without LZW/deflate (section 14)', () => greyTiff([{ tag: 317, type: SHORT, value: [2] }]), /Predictor does not apply/],
    ['YCbCr tags in a grey image (section 21)', () => greyTiff([{ tag: 530, type: SHORT, value: [2, 2] }]), /YCbCrSubSampling does not apply/],
    ['JPEGTables without JPEG compression (TN2)', () => greyTiff([{ tag: 347, type: UNDEFINED, value: concatBytes(new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0, 2 + SECRET.length]), secretBytes, new Uint8Array([0xff, 0xd9])) }]), /JPEGTables does not apply/],
    ['Orientation 9 (section 8: 1..8)', () => greyTiff([{ tag: 274, type: SHORT, value: [9] }]), /Orientation has a value out of range/],
    ['Orientation with 2 values', () => greyTiff([{ tag: 274, type: SHORT, value: [1, 1] }]), /Orientation has 2 values, not 1/],
    ['ResolutionUnit 7', () => greyTiff([{ tag: 296, type: SHORT, value: [7] }]), /ResolutionUnit has a value out of range/],
    ['a private tag', () => greyTiff([{ tag: 50000 + 1, type: ASCII, value: SECRET }]), /private tag/],
    ['ImageSourceData layers', () => greyTiff([{ tag: 37724, type: UNDEFINED, value: secretBytes }]), /layer data/],
    ['PageName text', () => greyTiff([{ tag: 285, type: ASCII, value: SECRET }]), /page name/],
    ['MinSampleValue (not needed to decode)', () => greyTiff([{ tag: 280, type: SHORT, value: [3] }]), /tag 280 \(not on the image-structure allowlist\)/],
    ['entries out of order (section 2)', () => greyTiff([{ tag: 255 + 16, type: ASCII, value: SECRET }], { sort: false }), /out of order/],
    ['a repeated tag (section 2)', () => greyTiff([{ tag: 274, type: SHORT, value: [1] }, { tag: 274, type: SHORT, value: [3] }]), /out of order or repeated/],
    ['bytes after the end of uncompressed strip data (section 8 StripByteCounts)', () => {
      const t = greyTiff([], { data: concatBytes(new Uint8Array(64).fill(9), secretBytes) });
      new DataView(t.buffer).setUint32(entryOffset(t, 279) + 8, 64 + secretBytes.length, true);
      return t;
    }, /bytes after the end of the uncompressed data/],
    ['more strips than the image has (section 8 StripsPerImage)', () => {
      const data = concatBytes(new Uint8Array(64).fill(3), secretBytes);
      return greyTiff([{ tag: 273, type: LONG, value: [0, 0] }, { tag: 279, type: LONG, value: [64, secretBytes.length] }], { data, replace: true });
    }, /strips beyond what the image needs/],
    ['bytes no directory refers to', () => concatBytes(greyTiff(), secretBytes), /after the last referenced data/],
    ['non-zero bytes in an inline value slot (section 2 "left-justified")', () => {
      const t = greyTiff([{ tag: 274, type: SHORT, value: [1] }]);
      t.set(latin1('JS'), entryOffset(t, 274) + 10);
      return t;
    }, /unused bytes of the value field/],
    ['non-zero bytes in the slot of a one-SHORT StripOffsets', () => {
      const t = greyTiff([{ tag: 273, type: SHORT, value: [0] }], { replace: true });
      const view = new DataView(t.buffer);
      const at = entryOffset(t, 273);
      // The strip follows the directory; the SHORT offset is patched to point at it.
      view.setUint16(at + 8, t.length - 64, true);
      t.set(latin1('JS'), at + 10);
      return t;
    }, /unused bytes of the value field/],
    ['a rational not in lowest terms', () => {
      const t = greyTiff([{ tag: 282, type: RATIONAL, value: [72] }, { tag: 283, type: RATIONAL, value: [72] }, { tag: 296, type: SHORT, value: [2] }]);
      const view = new DataView(t.buffer);
      const at = view.getUint32(entryOffset(t, 282) + 8, true);
      // 720000/10000: the same 72 dpi, with a free denominator.
      view.setUint32(at, 720000, true);
      view.setUint32(at + 4, 10000, true);
      return t;
    }, /lowest terms/],
    ['a reduced-resolution page (section 8 NewSubfileType bit 0)', () => writeTiff([
      { entries: greyEntries(), next: 1 },
      { entries: [{ tag: 254, type: LONG, value: [1] }, ...greyEntries()] },
    ], { data: new Uint8Array(64).fill(5) }), /reduced-resolution copy/],
    ['a SubIFD thumbnail (Technical Note 1)', () => writeTiff([
      { entries: [...greyEntries(), { tag: 330, type: LONG, value: { ifds: [1] } }] },
      { entries: greyEntries() },
    ], { data: new Uint8Array(64).fill(5) }), /SubIFD/],
  ];

  test.each(rules)('%s', async (name, make, detail) => {
    const hostile = make();
    const findings = findingsOf(tiffFormat.walk(hostile));
    expect({ name, details: findings.map((f) => f.detail).join(' | ') }).toEqual({ name, details: expect.stringMatching(detail) });
    expect(JSON.stringify(findings)).not.toContain('JOHN');
    // The secret (where one was planted) must not survive; pages dropped as thumbnails are not compared.
    await expectLosslessStrip(name, hostile, SECRET, /reduced-resolution|SubIFD/.test(name));
  });

  test('a kept tag the pixels depend on, broken: a finding in verify, a refusal (no guess) in strip', () => {
    const cases = [
      greyTiff([{ tag: 258, type: ASCII, value: 'JS' }], { replace: true }),
      greyTiff([{ tag: 258, type: SHORT, value: [8, 8] }], { replace: true }),
      greyTiff([{ tag: 259, type: SHORT, value: [12345] }], { replace: true }),
      greyTiff([{ tag: 347, type: UNDEFINED, value: concatBytes(new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0, 4, 0x4a, 0x53, 0xff, 0xd9])) }, { tag: 259, type: SHORT, value: [7] }], { replace: true }),
      greyTiff([{ tag: 279, type: LONG, value: [4096] }], { replace: true }),
      // Old-style JPEG (compression 6, TIFF 6.0 section 22) is obsolete: salvaged, not rewritten.
      greyTiff([{ tag: 259, type: SHORT, value: [6] }], { replace: true }),
    ];
    for (const hostile of cases) {
      expect(findingsOf(tiffFormat.walk(hostile)).length).toBeGreaterThan(0);
      expect(() => strip(hostile)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(unsupported|truncated|malformed)$/) }));
      expect(() => stripMetadata(hostile)).toThrow(DeidError);
    }
  });

  test('two pages sharing one strip are fine; overlapping structures are not', async () => {
    const shared = writeTiff([{ entries: greyEntries(), next: 1 }, { entries: greyEntries() }], { data: new Uint8Array(64).fill(5) });
    expect(findingsOf(tiffFormat.walk(shared))).toEqual([]);
    // StripOffsets pointing into the IFD itself.
    const overlap = greyTiff();
    new DataView(overlap.buffer).setUint32(entryOffset(overlap, 273) + 8, 8, true);
    expect(findingsOf(tiffFormat.walk(overlap)).map((f) => f.detail)).toContain('kept structures overlap (each byte belongs to one structure)');
    const out = strip(overlap).bytes;
    expect(findingsOf(tiffFormat.walk(out))).toEqual([]);
    expectIdempotent(tiffFormat, out);
  });

  test('big-endian files stay big-endian', async () => {
    const hostile = greyTiff([{ tag: 315, type: ASCII, value: SECRET }], { little: false });
    const out = await expectLosslessStrip('big-endian', hostile, SECRET);
    expect(Array.from(out.subarray(0, 4))).toEqual([0x4d, 0x4d, 0, 42]);
  });
});

/** An 8x8 grey page whose one strip is `strip`, coded with `compression`. */
function codedGrey(compression: number, strip: Uint8Array, extra: TiffEntrySpec[] = []): Uint8Array {
  return greyTiff([{ tag: 259, type: SHORT, value: [compression] }, { tag: 279, type: LONG, value: [strip.length] }, ...extra], { data: strip, replace: true });
}

/** The coded strip libvips writes for an 8x8 grey picture with these options. */
async function libvipsStrip(options: sharp.TiffOptions): Promise<Uint8Array> {
  const raw = Buffer.from(new Uint8Array(64).map((_, i) => (i * 37) & 0xff));
  // One grey band without a predictor, as codedGrey's page says: libvips would otherwise write
  // 3 bands (192 bytes, more than the grey strip holds) with horizontal differencing.
  const tiff = new Uint8Array(await sharp(raw, { raw: { width: 8, height: 8, channels: 1 } }).toColourspace('b-w').tiff({ predictor: 'none', ...options }).toBuffer());
  const [chunk] = analyseTiff(tiff).pages[0].chunks;
  return tiff.slice(chunk.start, chunk.start + chunk.length);
}

describe('inside the coded strips: nothing after the codec\'s own end, no JPEG APPn/COM (issue 13)', () => {
  const secret = latin1(SECRET);

  test.each([
    ['LZW (section 13: ends at EndOfInformation)', 5, () => libvipsStrip({ compression: 'lzw' })],
    ['deflate (zlib stream end)', 8, () => libvipsStrip({ compression: 'deflate' })],
    // PackBits (section 9): each row one literal run of 8 bytes.
    ['PackBits (section 9: ends when the strip is full)', 32773, async () => concatBytes(...Array.from({ length: 8 }, (_, r) => new Uint8Array([7, ...Array.from({ length: 8 }, (_, c) => (r * 8 + c) * 3)])))],
  ] as const)('%s', async (name, compression, make) => {
    const strip = await make();
    const clean = codedGrey(compression, strip);
    expect({ name, findings: findingsOf(tiffFormat.walk(clean)) }).toEqual({ name, findings: [] });
    const hostile = codedGrey(compression, concatBytes(strip, secret));
    expect(findingsOf(tiffFormat.walk(hostile)).map((f) => f.detail)).toEqual([expect.stringMatching(new RegExp(`^${secret.length} bytes after the end of the`))]);
    const out = await expectLosslessStrip(name, hostile, SECRET);
    expect(codedData(out)).toEqual([Buffer.from(strip)]);
  });

  test('a JPEG strip: a COM segment with text is dropped, the coded data kept, same pixels', async () => {
    const raw = Buffer.from(new Uint8Array(64).map((_, i) => (i * 37) & 0xff));
    const jpeg = new Uint8Array(await sharp(raw, { raw: { width: 8, height: 8, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 90 }).toBuffer());
    // A COM segment is put right after SOI (libvips writes no APPn here).
    const com = concatBytes(new Uint8Array([0xff, 0xfe, 0, secret.length + 2]), secret);
    const strip = concatBytes(jpeg.subarray(0, 2), com, jpeg.subarray(2), secret);
    const hostile = codedGrey(7, strip);
    const details = findingsOf(tiffFormat.walk(hostile)).map((f) => f.detail);
    expect(details).toEqual([`${secret.length} bytes after the end of the JPEG data`, '1 APPn/COM segment(s) inside the JPEG data (TIFF Technical Note 2)']);
    const out = await expectLosslessStrip('jpeg strip', hostile, SECRET);
    const [kept] = codedData(out);
    // What remains is libvips' JPEG: it starts SOI, DQT.
    expect(Array.from(kept.subarray(0, 4))).toEqual([0xff, 0xd8, 0xff, 0xdb]);
    expect(kept.subarray(kept.length - 2)).toEqual(Buffer.from([0xff, 0xd9]));
  });
});

/** LZW codes (TIFF 6.0 section 13, 9 bits, MSB first): Clear, each byte as a literal, then EndOfInformation if asked. */
function lzwLiterals(data: Uint8Array, endOfInformation: boolean): Uint8Array {
  const codes = [256, ...data, ...(endOfInformation ? [257] : [])];
  const bits = codes.flatMap((c) => Array.from({ length: 9 }, (_, i) => (c >> (8 - i)) & 1));
  while (bits.length % 8 !== 0) bits.push(0);
  return Uint8Array.from({ length: bits.length / 8 }, (_, i) => bits.slice(i * 8, i * 8 + 8).reduce((n, b) => (n << 1) | b, 0));
}

describe('attack-b: strips whose coded end is not where the codec puts it', () => {
  const secret = latin1(SECRET);
  const pixels = new Uint8Array(64).map((_, i) => (i * 7) & 0xff);

  test('LZW without EndOfInformation (TIFF 6.0 section 13): text after the last code is refused, never vouched for', async () => {
    // libtiff stops once the strip is full and reads nothing after: the text is invisible to it.
    const hostile = codedGrey(5, concatBytes(lzwLiterals(pixels, false), secret));
    expect(libtiffComplaints(hostile)).toBe('');
    expect((await decodeAll(hostile)).length).toBeGreaterThan(0);
    expect(findingsOf(tiffFormat.walk(hostile)).map((f) => f.detail)).toEqual([expect.stringMatching(/^no LZW end where TIFF 6.0 section 13 puts it/)]);
    expect(() => strip(hostile)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    // The same stream with its EndOfInformation is clean.
    expect(findingsOf(tiffFormat.walk(codedGrey(5, lzwLiterals(pixels, true))))).toEqual([]);
  });

  test.each([2, 3, 4, 34712, 50000])('compression %i, whose end is not located here: refused, not vouched for', (compression) => {
    const hostile = codedGrey(compression, concatBytes(pixels, secret));
    expect(findingsOf(tiffFormat.walk(hostile)).map((f) => f.detail)).toEqual([expect.stringMatching(/cannot be located/)]);
    expect(() => strip(hostile)).toThrow(expect.objectContaining({ code: 'unsupported' }));
  });

  test('deflate or LZW data that decodes to more bytes than the strip holds: refused (libtiff stops when the strip is full)', async () => {
    // The text is inside the coded stream, after the 64 bytes of pixels: a stored deflate block
    // keeps it as plain text, LZW literals as 9-bit codes. libtiff reads neither and says nothing.
    const more = concatBytes(pixels, secret);
    const lzw = lzwLiterals(more, true);
    for (const [compression, data] of [[8, new Uint8Array(deflateSync(more, { level: 0 }))], [5, lzw]] as const) {
      const hostile = codedGrey(compression, data);
      expect(libtiffComplaints(hostile)).toBe('');
      expect(findingsOf(tiffFormat.walk(hostile)).map((f) => f.detail)).toEqual([expect.stringMatching(/data decodes to more than the 64 bytes the strip holds/)]);
      expect(() => strip(hostile)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    }
    // Exactly the strip's bytes: clean.
    expect(findingsOf(tiffFormat.walk(codedGrey(8, new Uint8Array(deflateSync(pixels, { level: 0 })))))).toEqual([]);
  });

  test('uncompressed YCbCr (TIFF 6.0 section 21): bytes after the sampling blocks are found and cut', async () => {
    const ycc = (subsampling: number[], data: Uint8Array) => greyTiff([
      { tag: 258, type: SHORT, value: [8, 8, 8] }, { tag: 262, type: SHORT, value: [6] }, { tag: 277, type: SHORT, value: [3] },
      { tag: 279, type: LONG, value: [data.length] }, ...(subsampling.length > 0 ? [{ tag: 530, type: SHORT, value: subsampling }] : []),
    ], { data, replace: true });
    // 8x8: (1,1) is 64 blocks of 3 bytes; (2,2), also the default, is 16 blocks of 4 + 2.
    for (const [subsampling, size] of [[[1, 1], 192], [[2, 2], 96], [[], 96], [[2, 1], 128]] as const) {
      const coded = new Uint8Array(size).map((_, i) => (i * 13) & 0xff);
      const clean = ycc([...subsampling], coded);
      expect({ subsampling, findings: findingsOf(tiffFormat.walk(clean)) }).toEqual({ subsampling, findings: [] });
      const hostile = ycc([...subsampling], concatBytes(coded, secret));
      expect(findingsOf(tiffFormat.walk(hostile)).map((f) => f.detail)).toEqual([`${secret.length} bytes after the end of the uncompressed data`]);
      const out = strip(hostile).bytes;
      expect(Buffer.from(out).includes(SECRET)).toBe(false);
      expect(codedData(out)).toEqual([Buffer.from(coded)]);
      expect(findingsOf(tiffFormat.walk(out))).toEqual([]);
    }
  });
});

describe('ICC profiles (tag 34675) go through cleanIcc (COORD contract 1, issue 8)', () => {
  test('libvips sRGB and P3 profiles become cleanIcc\'s copies; the samples are untouched; the copy is clean', async () => {
    for (const space of ['srgb', 'p3'] as const) {
      const image = sharp(noiseRgb(16, 8), { raw: { width: 16, height: 8, channels: 3 } }).withIccProfile(space);
      const input = new Uint8Array(await image.tiff({ compression: 'lzw' }).toBuffer());
      const kinds = new Set(findingsOf(tiffFormat.walk(input)).map((f) => f.kind));
      expect([...kinds]).toEqual(['icc']);
      const out = await expectLosslessStrip(space, input);
      // libvips reads both profiles: the output's is cleanIcc's copy of the input's, and clean.
      const [before, after] = await Promise.all([sharp(input).metadata(), sharp(out).metadata()]);
      const clean = cleanIcc(new Uint8Array(before.icc as Buffer));
      expect(clean.kind).not.toBe('convert');
      expect(Buffer.compare(after.icc as Buffer, Buffer.from((clean as { bytes: Uint8Array }).bytes))).toBe(0);
      expect(iccFindings(new Uint8Array(after.icc as Buffer), 'out')).toEqual([]);
      expect(strip(input).removed).toEqual(['icc']);
    }
  });

  test('a CMYK profile needs a pixel conversion: strip refuses with needs-conversion, nothing half-done', async () => {
    const cmyk = new Uint8Array(await sharp(noiseRgb(16, 8), { raw: { width: 16, height: 8, channels: 3 } }).toColourspace('cmyk').withIccProfile('cmyk').tiff().toBuffer());
    expect(findingsOf(tiffFormat.walk(cmyk)).some((f) => f.kind === 'icc' && /converted/.test(f.detail))).toBe(true);
    expect(() => strip(cmyk)).toThrow(expect.objectContaining({ code: 'needs-conversion' }));
  });

  test('a profile that does not describe the samples (gray profile on an RGB page) is dropped', async () => {
    const profile = canonicalProfile('gray-gamma22');
    // The canonical gray profile on a gray page is clean and kept as it is.
    const fitting = greyTiff([{ tag: 34675, type: UNDEFINED, value: profile }]);
    expect(findingsOf(tiffFormat.walk(fitting))).toEqual([]);
    const planted = writeTiff([{ entries: [
      { tag: 256, type: SHORT, value: [8] }, { tag: 257, type: SHORT, value: [8] }, { tag: 258, type: SHORT, value: [8, 8, 8] },
      { tag: 259, type: SHORT, value: [1] }, { tag: 262, type: SHORT, value: [2] }, { tag: 273, type: LONG, value: { dataOffset: 0 } },
      { tag: 277, type: SHORT, value: [3] }, { tag: 278, type: SHORT, value: [8] }, { tag: 279, type: LONG, value: [192] },
      { tag: 34675, type: UNDEFINED, value: profile },
    ] }], { data: new Uint8Array(192).fill(77) });
    expect(findingsOf(tiffFormat.walk(planted)).map((f) => f.detail)).toEqual([expect.stringMatching(/does not describe this page/)]);
    const out = await expectLosslessStrip('gray profile on rgb', planted);
    expect((await sharp(out).metadata()).icc).toBeUndefined();
  });
});

function greyEntries() {
  return [
    { tag: 256, type: SHORT, value: [8] },
    { tag: 257, type: SHORT, value: [8] },
    { tag: 258, type: SHORT, value: [8] },
    { tag: 259, type: SHORT, value: [1] },
    { tag: 262, type: SHORT, value: [1] },
    { tag: 273, type: LONG, value: { dataOffset: 0 } },
    { tag: 277, type: SHORT, value: [1] },
    { tag: 278, type: SHORT, value: [8] },
    { tag: 279, type: LONG, value: [64] },
  ];
}

describe('properties (issue 13): verify clean <=> strip is the identity', () => {
  test('on mutations of clean and planted files: clean walk => identical strip; findings => strip differs or refuses; only DeidError', async () => {
    const seeds = [await sharpTiff({ compression: 'lzw' }), await sharpTiff({ tile: true, tileWidth: 16, tileHeight: 16 }), greyTiff([{ tag: 315, type: ASCII, value: SECRET }]), bigTiff(2, [ascii(305, 'x')])];
    const outcomes = { clean: 0, rewritten: 0, refused: 0 };
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), (pick, mutations) => {
        const bytes = mutateAll(seeds, pick, mutations);
        let findings: number;
        try {
          findings = findingsOf(tiffFormat.walk(bytes)).length;
        } catch (e) {
          expect(e).toBeInstanceOf(DeidError);
          expect(() => strip(bytes)).toThrow(DeidError);
          outcomes.refused++;
          return;
        }
        let out: Uint8Array;
        try {
          out = strip(bytes).bytes;
        } catch (e) {
          expect(e).toBeInstanceOf(DeidError);
          expect(findings).toBeGreaterThan(0);
          outcomes.refused++;
          return;
        }
        const identical = Buffer.from(out).equals(Buffer.from(bytes));
        expect({ findings: findings > 0, identical }).toEqual({ findings: findings > 0, identical: findings === 0 });
        expect(findingsOf(tiffFormat.walk(out))).toEqual([]);
        expectIdempotent(tiffFormat, out);
        outcomes[findings === 0 ? 'clean' : 'rewritten']++;
      }),
      { numRuns: 300 },
    );
    // Every branch of the property was exercised.
    expect(outcomes.clean).toBeGreaterThan(10);
    expect(outcomes.rewritten).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(10);
  });
});
