/**
 * PNG "allowlist by need" (issue 13.1): every chunk strip keeps must be one a decoder needs, in
 * the place and number PNG 3rd ed. 5.6 allows, applicable to this image; value-free chunks are
 * canonical or gone; verify's verdict and strip agree (clean <=> strip is the identity).
 * Hostile files are built byte by byte; sharp (libspng/libpng) is the decoding oracle.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { pngFormat } from '../../src/core/metadata/png';
import { be32, latin1, pngChunk, pngChunks } from '../helpers/chunks';
import { expectWalkAndStripAgree, findingsOf, mutateAll, mutationArbitrary } from '../helpers/container';
import { concatBytes } from '../helpers/plant';

const strip = pngFormat.strip as NonNullable<typeof pngFormat.strip>;
const SECRET = 'Patient John Smith MRN 4471';
const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = pngChunk('IEND', new Uint8Array(0));
const PHYS = pngChunk('pHYs', new Uint8Array([0, 0, 0x03, 0xe8, 0, 0, 0x03, 0xe8, 1]));

function ihdr(width: number, height: number, depth: number, colour: number): Uint8Array {
  return pngChunk('IHDR', concatBytes(be32(width), be32(height), new Uint8Array([depth, colour, 0, 0, 0])));
}

function png(...chunks: Uint8Array[]): Uint8Array {
  return concatBytes(SIGNATURE, ...chunks);
}

/** Filtered rows (filter 0) of a width x height image with `channels` 8-bit samples. */
function rows(width: number, height: number, channels: number, seed = 7): Uint8Array {
  const stride = 1 + width * channels;
  const out = new Uint8Array(height * stride);
  for (let i = 0; i < out.length; i++) out[i] = i % stride === 0 ? 0 : (i * seed * 31 + (i >> 3)) & 0xff;
  return out;
}

const W = 6;
const H = 5;
const RGB_HEAD = ihdr(W, H, 8, 2);
const RGB_IDAT = pngChunk('IDAT', deflateSync(rows(W, H, 3)));
/** A clean RGB PNG: IHDR, sRGB, gAMA, cHRM (the sRGB values), canonical pHYs, IDAT, IEND. */
const SRGB = pngChunk('sRGB', new Uint8Array([0]));
const GAMA = pngChunk('gAMA', be32(45455));
const CHRM = pngChunk('cHRM', concatBytes(...[31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000].map(be32)));
const CLEAN = png(RGB_HEAD, SRGB, GAMA, CHRM, PHYS, RGB_IDAT, IEND);

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function has(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes).includes(Buffer.from(text, 'latin1'));
}

async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).raw().toBuffer();
}

/** Found, dropped, the result clean, idempotent, free of the secret, and decoding to the same pixels. */
async function expectCaught(name: string, bytes: Uint8Array, detail: RegExp, secret: string | null = SECRET): Promise<Uint8Array> {
  const found = findingsOf(pngFormat.walk(bytes));
  expect({ name, details: found.map((f) => f.detail) }).toEqual({ name, details: expect.arrayContaining([expect.stringMatching(detail)]) });
  if (secret) expect(JSON.stringify(found)).not.toContain('John');
  const out = strip(bytes).bytes;
  if (secret) expect({ name, leaked: has(out, secret) }).toEqual({ name, leaked: false });
  expect({ name, left: findingsOf(pngFormat.walk(out)) }).toEqual({ name, left: [] });
  expect(same(strip(out).bytes, out)).toBe(true);
  expect((await pixels(out)).equals(await pixels(bytes))).toBe(true);
  return out;
}

test('the clean hand-built file is clean and strips to itself', async () => {
  expect(findingsOf(pngFormat.walk(CLEAN))).toEqual([]);
  expect(same(strip(CLEAN).bytes, CLEAN)).toBe(true);
  expect((await pixels(CLEAN)).length).toBe(W * H * 3);
});

describe('number and order (PNG 5.6)', () => {
  test('a second IHDR after IDAT carrying 100 KB of text', async () => {
    const text = concatBytes(latin1(SECRET), new Uint8Array(100_000).fill(0x41));
    await expectCaught('ihdr2', png(RGB_HEAD, RGB_IDAT, pngChunk('IHDR', text), IEND), /second IHDR/);
    await expectCaught('ihdr2-valid', png(RGB_HEAD, RGB_IDAT, ihdr(W, H, 8, 2), IEND), /second IHDR/, null);
  });

  test.each(['cHRM', 'gAMA', 'sRGB', 'pHYs', 'tRNS'])('a repeated %s is dropped, the first kept', async (type) => {
    const first = { cHRM: CHRM, gAMA: GAMA, sRGB: SRGB, pHYs: PHYS, tRNS: pngChunk('tRNS', new Uint8Array([0, 1, 0, 2, 0, 3])) }[type] as Uint8Array;
    // The repeat holds different (valid-shaped) values: two bytes of the secret in its first field.
    const second = first.slice();
    second[8] ^= 0x4a;
    const repaired = pngChunk(type, second.subarray(8, second.length - 4));
    const bytes = png(RGB_HEAD, SRGB, first, repaired, RGB_IDAT, IEND);
    const out = await expectCaught(type, type === 'sRGB' ? png(RGB_HEAD, first, repaired, RGB_IDAT, IEND) : bytes, new RegExp(`second ${type}`), null);
    expect(pngChunks(out).filter((c) => c.type === type)).toHaveLength(1);
  });

  test('a repeated bKGD: both go (bKGD never changes decoded pixels)', async () => {
    const bkgd = pngChunk('bKGD', new Uint8Array([0, 0x4a, 0, 0x53, 0, 0x4d]));
    const out = await expectCaught('bkgd', png(RGB_HEAD, bkgd, bkgd, RGB_IDAT, IEND), /bKGD/, null);
    expect(same(out, png(RGB_HEAD, RGB_IDAT, IEND))).toBe(true);
  });

  test('colour chunks after PLTE or after IDAT are out of place (libpng ignores them)', async () => {
    const plte = pngChunk('PLTE', new Uint8Array([1, 2, 3, 4, 5, 6]));
    const idx = png(ihdr(2, 2, 1, 3), plte, GAMA, pngChunk('IDAT', deflateSync(new Uint8Array([0, 0x40, 0, 0x80]))), IEND);
    await expectCaught('gama-after-plte', idx, /gAMA chunk after PLTE/, null);
    await expectCaught('gama-after-idat', png(RGB_HEAD, RGB_IDAT, GAMA, IEND), /gAMA chunk after the image data/, null);
    await expectCaught('phys-after-idat', png(RGB_HEAD, RGB_IDAT, PHYS, IEND), /pHYs chunk after the image data/, null);
    const trnsFirst = png(ihdr(2, 2, 1, 3), pngChunk('tRNS', new Uint8Array([0])), plte, pngChunk('IDAT', deflateSync(new Uint8Array([0, 0x40, 0, 0x80]))), IEND);
    await expectCaught('trns-before-plte', trnsFirst, /tRNS chunk before PLTE/, null);
  });

  test('an IDAT after the image data ended (another chunk between) is dropped', async () => {
    await expectCaught('idat-late', png(RGB_HEAD, RGB_IDAT, PHYS, pngChunk('IDAT', SECRET), IEND), /IDAT chunk after the image data ended/);
  });

  test('chunks and bytes after IEND are a trailer', async () => {
    const bytes = concatBytes(CLEAN, pngChunk('tEXt', `Comment\0${SECRET}`), latin1(SECRET));
    expect(findingsOf(pngFormat.walk(bytes)).map((f) => f.kind)).toEqual(['trailer']);
    expect(same(strip(bytes).bytes, CLEAN)).toBe(true);
  });
});

describe('applicable to this image', () => {
  test('PLTE in a truecolour image (a 768-byte suggested palette) is dropped', async () => {
    const palette = concatBytes(latin1(SECRET), new Uint8Array(768 - SECRET.length));
    const out = await expectCaught('plte-rgb', png(RGB_HEAD, pngChunk('PLTE', palette), RGB_IDAT, IEND), /suggested palette/);
    expect(same(out, png(RGB_HEAD, RGB_IDAT, IEND))).toBe(true);
  });

  test('PLTE in a grayscale image is dropped, not fatal', async () => {
    const gray = png(ihdr(W, H, 8, 0), pngChunk('PLTE', latin1('JSM')), pngChunk('IDAT', deflateSync(rows(W, H, 1))), IEND);
    await expectCaught('plte-gray', gray, /PLTE in a grayscale image/, 'JSM');
  });

  test('tRNS in an image with an alpha channel is dropped', async () => {
    const rgba = png(ihdr(W, H, 8, 6), pngChunk('tRNS', latin1('JSMITH')), pngChunk('IDAT', deflateSync(rows(W, H, 4))), IEND);
    await expectCaught('trns-alpha', rgba, /tRNS/, 'JSMITH');
  });

  test('sBIT is dropped; pHYs is rewritten canonically; gAMA/cHRM are made to agree with sRGB', async () => {
    await expectCaught('sbit', png(RGB_HEAD, pngChunk('sBIT', latin1('JSM')), RGB_IDAT, IEND), /sBIT/, 'JSM');
    const odd = png(RGB_HEAD, pngChunk('pHYs', concatBytes(latin1('JOHNSMIT'), new Uint8Array([0]))), RGB_IDAT, IEND);
    const out = await expectCaught('phys', odd, /pHYs/, 'JOHN');
    expect(same(out, png(RGB_HEAD, PHYS, RGB_IDAT, IEND))).toBe(true);
    const gama = png(RGB_HEAD, SRGB, pngChunk('gAMA', latin1('JSMI')), pngChunk('cHRM', concatBytes(latin1(SECRET), new Uint8Array(32 - SECRET.length))), RGB_IDAT, IEND);
    expect(same(await expectCaught('srgb-gama', gama, /disagreeing with sRGB/), png(RGB_HEAD, SRGB, GAMA, CHRM, RGB_IDAT, IEND))).toBe(true);
  });
});

describe('what the decoded rows use: palette entries, bits after the last pixel', () => {
  const dataOf = (bytes: Uint8Array, type: string): Uint8Array => {
    const c = pngChunks(bytes).find((x) => x.type === type)!;
    return bytes.subarray(c.offset + 8, c.end - 4);
  };
  /** Filtered rows (filter 0) of palette indices `0, 1, .., colours-1, 0, ..` at 8 bits. */
  function indexRows(width: number, height: number, colours: number): Uint8Array {
    const out = new Uint8Array(height * (1 + width));
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * (1 + width) + 1 + x] = (x + y) % colours;
    return out;
  }
  const head = ihdr(W, H, 8, 3);
  const idat = pngChunk('IDAT', deflateSync(indexRows(W, H, 3)));
  const used = Uint8Array.of(255, 0, 0, 0, 128, 0, 0, 0, 255);

  test('a palette no longer than the pixels use is clean; so are sharp palette PNGs, but for the spare bits of 4-bit rows', async () => {
    const clean = png(head, pngChunk('PLTE', used), pngChunk('tRNS', Uint8Array.of(255, 128)), idat, IEND);
    expect(findingsOf(pngFormat.walk(clean))).toEqual([]);
    expect(same(strip(clean).bytes, clean)).toBe(true);
    // 37 pixels wide: 1-, 2- and 4-bit rows end inside a byte. libspng (in sharp) leaves bits of
    // the next pixel after the last one of a 4-bit row: found, and the strip clears them.
    const found = new Map<number, string[]>();
    for (const colours of [2, 4, 16, 200]) {
      const data = Buffer.alloc(37 * 30 * 4);
      for (let i = 0; i < 37 * 30; i++) data.writeUInt32BE((((i * 2654435761) >>> 0) % colours) * 0x01030507 + 0xff, i * 4);
      const out = new Uint8Array(await sharp(data, { raw: { width: 37, height: 30, channels: 4 } }).png({ palette: true, colours, dither: 0 }).toBuffer());
      expect(pngChunks(out).some((c) => c.type === 'PLTE')).toBe(true);
      found.set(dataOf(out, 'IHDR')[8], findingsOf(pngFormat.walk(out)).map((f) => f.detail));
      const stripped = strip(out).bytes;
      expect(findingsOf(pngFormat.walk(stripped))).toEqual([]);
      expect((await pixels(stripped)).equals(await pixels(out))).toBe(true);
    }
    expect(Object.fromEntries(found)).toEqual({ 1: [], 2: [], 4: [expect.stringMatching(/^bits set after the last pixel of \d+ scanline/)], 8: [] });
  });

  test('a name in palette entries past the highest used index: PLTE cut to what the pixels use', async () => {
    const planted = png(head, pngChunk('PLTE', concatBytes(used, latin1(SECRET.padEnd(30, ' ')))), idat, IEND);
    const out = await expectCaught('tail', planted, /^10 palette entries no pixel uses/);
    expect(same(out, png(head, pngChunk('PLTE', used), idat, IEND))).toBe(true);
  });

  test('a name in an unused entry between used ones, and in its tRNS alpha: zeroed / opaque', async () => {
    // The pixels use indices 0 and 3 only.
    const rows3 = deflateSync(indexRows(W, H, 3).map((v, i) => (i % (1 + W) === 0 || v === 0 ? 0 : 3)));
    const palette = concatBytes(used.subarray(0, 3), latin1('JS1'), latin1('JS2'), used.subarray(6, 9));
    const planted = png(head, pngChunk('PLTE', palette), pngChunk('tRNS', Uint8Array.of(255, 0x4a, 0x53, 200)), pngChunk('IDAT', rows3), IEND);
    const out = await expectCaught('middle', planted, /^2 palette entries no pixel uses/, 'JS1');
    expect(findingsOf(pngFormat.walk(planted)).map((f) => f.detail)).toEqual(['2 palette entries no pixel uses (free bytes)', 'transparency of palette entries no pixel uses']);
    expect(Array.from(dataOf(out, 'PLTE'))).toEqual([255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255]);
    expect(Array.from(dataOf(out, 'tRNS'))).toEqual([255, 255, 255, 200]);
  });

  test('one pixel indexing past the palette\'s end does not keep a name in the entries no pixel uses', async () => {
    // PNG 11.2.3: an out-of-range index is an error; libspng (sharp) and libpng draw it black. The
    // entries below it that no pixel uses were left alone (verify: clean, the name kept by strip).
    const rowsPast = indexRows(W, H, 3).map((v, i) => (i === (1 + W) * H - 1 ? 4 : i % (1 + W) === 0 || v !== 1 ? 0 : 2));
    const palette = concatBytes(used.subarray(0, 3), latin1('JS1'), used.subarray(6, 9), latin1('JS2'));
    const planted = png(head, pngChunk('PLTE', palette), pngChunk('IDAT', deflateSync(rowsPast)), IEND);
    const decoded = await pixels(planted);
    expect(Array.from(decoded.subarray(decoded.length - 3))).toEqual([0, 0, 0]);
    const out = await expectCaught('past the end', planted, /^2 palette entries no pixel uses/, 'JS1');
    expect(has(out, 'JS2')).toBe(false);
    expect(Array.from(dataOf(out, 'PLTE'))).toEqual([255, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0]);
  });

  test('interlaced and 2-bit palette images count the pixels of every pass', async () => {
    // 2-bit indices: a 5x3 image whose pixels use indices 0-2 (index 3 only in the last row).
    const packed = [[0, 1, 2, 1, 0], [2, 2, 1, 0, 1], [0, 0, 0, 0, 3]].map((r) => Uint8Array.of(0, (r[0] << 6) | (r[1] << 4) | (r[2] << 2) | r[3], r[4] << 6));
    const four = png(ihdr(5, 3, 2, 3), pngChunk('PLTE', concatBytes(used, latin1('xyz'))), pngChunk('IDAT', deflateSync(concatBytes(...packed))), IEND);
    expect(findingsOf(pngFormat.walk(four))).toEqual([]);
    const interlaced = new Uint8Array(await sharp(Buffer.from(Array.from({ length: 9 * 9 * 3 }, (_, i) => ((i / 3) | 0) % 3 === 0 ? 255 : 0)), { raw: { width: 9, height: 9, channels: 3 } }).png({ palette: true, progressive: true }).toBuffer());
    expect(dataOf(interlaced, 'IHDR')[12]).toBe(1);
    expect(findingsOf(pngFormat.walk(interlaced))).toEqual([]);
  });

  test('bits set after the last pixel of 1-bit scanlines: found; the strip recompresses the rows without them', async () => {
    // 1-bit gray, 9 pixels wide: two bytes a row, the second holds one pixel and 7 spare bits;
    // the second row Up-filtered, so its spare bits depend on the first row's.
    const clean = png(ihdr(9, 2, 1, 0), pngChunk('IDAT', deflateSync(Uint8Array.of(0, 0b10110011, 0x80, 0, 0b01001100, 0x80))), IEND);
    const planted = png(ihdr(9, 2, 1, 0), pngChunk('IDAT', deflateSync(Uint8Array.of(0, 0b10110011, 0x80 | 0x4a, 2, (0b01001100 - 0b10110011) & 0xff, 0x53 - 0x4a))), IEND);
    expect(findingsOf(pngFormat.walk(clean))).toEqual([]);
    expect((await pixels(planted)).equals(await pixels(clean))).toBe(true);
    expect(findingsOf(pngFormat.walk(planted)).map((f) => f.detail)).toEqual(['bits set after the last pixel of 2 scanline(s) (never decoded)']);
    const out = await expectCaught('spare bits', planted, /bits set after the last pixel/, null);
    expect(strip(planted).notes).toEqual(['cleared the spare bits after each scanline (image data recompressed, pixels unchanged)']);
    const idat = dataOf(out, 'IDAT');
    expect(Array.from(inflateSync(idat))).toEqual([0, 0b10110011, 0x80, 0, 0b01001100, 0x80]);
  });
});

describe('APNG (PNG 3rd ed. 11.3.6)', () => {
  const fctl = (seq: number, w: number, h: number, x = 0, y = 0) => pngChunk('fcTL', concatBytes(be32(seq), be32(w), be32(h), be32(x), be32(y), new Uint8Array([0, 1, 0, 10, 0, 0])));
  const fdat = (seq: number, data: Uint8Array) => pngChunk('fdAT', concatBytes(be32(seq), data));
  const actl = (frames: number) => pngChunk('acTL', concatBytes(be32(frames), be32(0)));
  const frame = deflateSync(rows(3, 2, 3, 11));

  test('a valid animation is clean and kept whole', () => {
    const anim = png(RGB_HEAD, actl(2), fctl(0, W, H), RGB_IDAT, fctl(1, 3, 2, 1, 1), fdat(2, frame), IEND);
    expect(findingsOf(pngFormat.walk(anim))).toEqual([]);
    expect(same(strip(anim).bytes, anim)).toBe(true);
  });

  test.each([
    ['fcTL without acTL', () => png(RGB_HEAD, fctl(0, W, H), RGB_IDAT, fctl(1, 3, 2), fdat(2, frame), IEND), /without an acTL/],
    ['fcTL text without acTL', () => png(RGB_HEAD, RGB_IDAT, pngChunk('fcTL', concatBytes(be32(0), latin1(SECRET).subarray(0, 22))), IEND), /without an acTL|unexpected length/],
    ['fdAT before IDAT', () => png(RGB_HEAD, actl(1), fctl(0, W, H), fdat(1, frame), RGB_IDAT, IEND), /fdAT outside a frame/],
    ['fdAT holding text as a frame of its own', () => png(RGB_HEAD, actl(1), fctl(0, W, H), RGB_IDAT, fdat(1, latin1(SECRET)), IEND), /fdAT outside a frame/],
    ['sequence gap', () => png(RGB_HEAD, actl(2), fctl(0, W, H), RGB_IDAT, fctl(1, 3, 2), fdat(5, frame), IEND), /sequence/],
    ['frame count disagrees', () => png(RGB_HEAD, actl(3), fctl(0, W, H), RGB_IDAT, fctl(1, 3, 2), fdat(2, frame), IEND), /frame count/],
    ['frame outside the canvas', () => png(RGB_HEAD, actl(2), fctl(0, W, H), RGB_IDAT, fctl(1, 3, 2, W, 0), fdat(2, frame), IEND), /outside the canvas/],
    ['acTL after IDAT', () => png(RGB_HEAD, RGB_IDAT, actl(1), fctl(0, 3, 2), fdat(1, frame), IEND), /acTL after the image data|after the image data/],
  ])('%s: the animation is dropped, the still image kept', async (name, build, detail) => {
    const bytes = build();
    const out = await expectCaught(name, bytes, detail, null);
    expect(pngChunks(out).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(has(out, SECRET)).toBe(false);
  });
});

describe('damage decoders tolerate (issue 8.2)', () => {
  test('an ancillary chunk with a bad CRC is dropped with a note, not fatal', async () => {
    const bytes = png(RGB_HEAD, pngChunk('gAMA', be32(45455), { badCrc: true }), RGB_IDAT, IEND);
    const result = strip(bytes);
    expect(same(result.bytes, png(RGB_HEAD, RGB_IDAT, IEND))).toBe(true);
    expect(result.notes).toEqual(['dropped a damaged gAMA chunk (bad CRC)']);
    expect(findingsOf(pngFormat.walk(bytes)).map((f) => f.detail)).toEqual(['gAMA chunk with a bad CRC (damaged)']);
    expect((await pixels(result.bytes)).equals(await pixels(bytes))).toBe(true);
  });

  test('a critical chunk with a bad CRC is malformed', () => {
    expect(() => pngFormat.walk(png(RGB_HEAD, pngChunk('IDAT', deflateSync(rows(W, H, 3)), { badCrc: true }), IEND))).toThrow(expect.objectContaining({ code: 'malformed' }));
  });
});

/**
 * Random files from a grammar of chunks, valid and invalid, in random order: whatever verify
 * calls clean strips to itself byte for byte, whatever it reports strips to something else
 * (or is refused), and every strip output is clean and stable.
 */
describe('the verdict and the strip agree (properties)', () => {
  const colourTypes: Array<[number, number]> = [[0, 1], [2, 3], [3, 1], [4, 2], [6, 4]];
  const optional = (colour: number): Array<fc.Arbitrary<Uint8Array>> => [
    fc.constant(SRGB), fc.constant(GAMA), fc.constant(CHRM), fc.constant(PHYS),
    fc.constant(pngChunk('cICP', new Uint8Array([1, 13, 0, 1]))),
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((d) => pngChunk('gAMA', d)),
    fc.uint8Array({ minLength: 9, maxLength: 9 }).map((d) => pngChunk('pHYs', d)),
    fc.uint8Array({ minLength: 1, maxLength: 6 }).map((d) => pngChunk(colour === 3 ? 'tRNS' : 'bKGD', d)),
    fc.constant(pngChunk('tRNS', colour === 0 ? new Uint8Array([0, 9]) : new Uint8Array([0, 1, 0, 2, 0, 3]))),
    fc.uint8Array({ maxLength: 12 }).map((d) => pngChunk('PLTE', d.subarray(0, d.length - (d.length % 3)))),
    fc.constant(pngChunk('tEXt', `Comment\0${SECRET}`)),
    fc.constant(pngChunk('IHDR', latin1(SECRET))),
  ];
  const file = fc.constantFrom(...colourTypes).chain(([colour, channels]) =>
    fc.record({
      colour: fc.constant(colour),
      channels: fc.constant(channels),
      w: fc.integer({ min: 1, max: 9 }),
      h: fc.integer({ min: 1, max: 6 }),
      before: fc.array(fc.oneof(...optional(colour)), { maxLength: 4 }),
      after: fc.array(fc.oneof(...optional(colour)), { maxLength: 2 }),
      level: fc.integer({ min: 0, max: 9 }),
      splits: fc.array(fc.nat(), { maxLength: 3 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    }),
  ).map(({ colour, channels, w, h, before, after, level, splits, seed }) => {
    const depth = 8;
    const z = deflateSync(rows(w, h, channels, seed), { level });
    const cuts = [...new Set(splits.map((s) => s % (z.length + 1)))].sort((a, b) => a - b);
    const idats = [0, ...cuts, z.length].slice(1).map((end, i, arr) => pngChunk('IDAT', z.subarray(i === 0 ? 0 : arr[i - 1] ?? 0, end)));
    const palette = colour === 3 ? [pngChunk('PLTE', new Uint8Array(256 * 3).map((_, i) => (i * seed) & 0xff))] : [];
    return png(ihdr(w, h, depth, colour), ...before.slice(0, 2), ...palette, ...before.slice(2), ...idats, ...after, IEND);
  });

  test('random files: clean <=> strip is the identity', () => {
    const outcomes = { clean: 0, found: 0 };
    fc.assert(fc.property(file, (bytes) => expectWalkAndStripAgree(pngFormat, bytes, outcomes)), { numRuns: 300 });
    expect(outcomes.clean).toBeGreaterThan(5);
    expect(outcomes.found).toBeGreaterThan(5);
  });

  test('random mutations of clean files: a finding, a refusal, or a byte-identical strip', () => {
    const outcomes = { clean: 0, found: 0 };
    const seeds = [CLEAN, png(ihdr(2, 2, 1, 3), pngChunk('PLTE', new Uint8Array([1, 2, 3, 4, 5, 6])), pngChunk('tRNS', new Uint8Array([0])), pngChunk('IDAT', deflateSync(new Uint8Array([0, 0x40, 0, 0x80]))), IEND)];
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 2 }), (pick, ms) => expectWalkAndStripAgree(pngFormat, mutateAll(seeds, pick, ms), outcomes)),
      { numRuns: 400 },
    );
    expect(outcomes.found).toBeGreaterThan(5);
  });
});
