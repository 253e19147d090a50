/**
 * WebP "allowlist by need" (issue 13.1): one bitstream per image, ALPH only before a VP8 in the
 * extended format and only once, no animation chunks in a still, VP8X flags that match what is
 * kept, nothing after a VP8L or ALPH bitstream's end, nothing after the RIFF. Hostile files are
 * built byte by byte around sharp-made bitstreams; sharp (libwebp) is the decoding oracle, and
 * libwebp's encoder is the oracle for where a lossless bitstream ends.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { webpFormat } from '../../src/core/metadata/webp';
import { vp8lExtent } from '../../src/core/metadata/webp-vp8l';
import { latin1, riffChunk, vp8xChunk, webpChunks, webpFile } from '../helpers/chunks';
import { expectWalkAndStripAgree, findingsOf, mutateAll, mutationArbitrary } from '../helpers/container';
import { concatBytes, noiseRgb } from '../helpers/plant';

const strip = webpFormat.strip as NonNullable<typeof webpFormat.strip>;
const SECRET = 'Patient John Smith MRN 4471';
const FLAG = { ICC: 0x20, ALPHA: 0x10, EXIF: 0x08, XMP: 0x04, ANIMATION: 0x02 };
const W = 12;
const H = 8;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function has(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes).includes(Buffer.from(text, 'latin1'));
}

/** Decoded RGBA (ensureAlpha: a flag that announced alpha but had none must not count as a change). */
async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).ensureAlpha().raw().toBuffer();
}

function rgba(width: number, height: number, seed: number): Buffer {
  const rgb = noiseRgb(width, height, seed);
  const out = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    out.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    out[i * 4 + 3] = (i * 29) & 0xff;
  }
  return out;
}

/** The payload chunk (header included) of a sharp-made WebP's image, by FourCC. */
function chunkOf(webp: Uint8Array, id: string): Uint8Array {
  const c = webpChunks(webp).find((x) => x.id === id);
  if (!c) throw new Error(`no ${id}`);
  return webp.subarray(c.offset, c.end);
}

function payloadOf(chunk: Uint8Array): Uint8Array {
  const size = chunk[4] | (chunk[5] << 8) | (chunk[6] << 16) | (chunk[7] << 24);
  return chunk.subarray(8, 8 + size);
}

let lossless: Uint8Array; // simple VP8L, with alpha
let lossy: Uint8Array; // simple VP8
let lossyAlpha: Uint8Array; // VP8X + ALPH + VP8
let vp8l: Uint8Array;
let vp8: Uint8Array;
let alph: Uint8Array;

beforeAll(async () => {
  lossless = new Uint8Array(await sharp(rgba(W, H, 3), { raw: { width: W, height: H, channels: 4 } }).webp({ lossless: true }).toBuffer());
  lossy = new Uint8Array(await sharp(noiseRgb(W, H, 4), { raw: { width: W, height: H, channels: 3 } }).webp().toBuffer());
  lossyAlpha = new Uint8Array(await sharp(rgba(W, H, 5), { raw: { width: W, height: H, channels: 4 } }).webp().toBuffer());
  vp8l = chunkOf(lossless, 'VP8L');
  vp8 = chunkOf(lossyAlpha, 'VP8 ');
  alph = chunkOf(lossyAlpha, 'ALPH');
});

async function expectCaught(name: string, bytes: Uint8Array, detail: RegExp, secret: string | null = SECRET): Promise<Uint8Array> {
  const found = findingsOf(webpFormat.walk(bytes));
  expect({ name, details: found.map((f) => f.detail) }).toEqual({ name, details: expect.arrayContaining([expect.stringMatching(detail)]) });
  expect(JSON.stringify(found)).not.toContain('John');
  const out = strip(bytes).bytes;
  if (secret) expect({ name, leaked: has(out, secret) }).toEqual({ name, leaked: false });
  expect({ name, left: findingsOf(webpFormat.walk(out)) }).toEqual({ name, left: [] });
  expect(same(strip(out).bytes, out)).toBe(true);
  // Many hostile layouts are refused by libwebp outright: then the output must decode at least.
  const before = await pixels(bytes).catch(() => null);
  const after = await pixels(out);
  if (before) expect({ name, samePixels: after.equals(before) }).toEqual({ name, samePixels: true });
  return out;
}

describe('where a lossless bitstream ends (RFC 9649 section 3)', () => {
  test('the parser ends exactly where libwebp\'s encoder ended, on varied images', async () => {
    const images: Array<Promise<Buffer>> = [];
    for (const [w, h, seed] of [[1, 1, 1], [37, 5, 2], [64, 48, 3], [200, 3, 4], [5, 120, 5]] as const) {
      images.push(sharp(rgba(w, h, seed), { raw: { width: w, height: h, channels: 4 } }).webp({ lossless: true }).toBuffer());
      images.push(sharp(noiseRgb(w, h, seed), { raw: { width: w, height: h, channels: 3 } }).webp({ lossless: true, effort: 0 }).toBuffer());
      images.push(sharp(noiseRgb(w, h, seed), { raw: { width: w, height: h, channels: 3 } }).webp({ lossless: true, effort: 6 }).toBuffer());
    }
    // Few colours (colour indexing with pixel bundling), flat areas (long backward references).
    images.push(sharp({ create: { width: 90, height: 60, channels: 3, background: '#336699' } }).webp({ lossless: true }).toBuffer());
    images.push(sharp(noiseRgb(64, 64, 9).map((v) => (v & 0x80 ? 255 : 0)), { raw: { width: 64, height: 64, channels: 3 } }).webp({ lossless: true }).toBuffer());
    images.push(sharp(noiseRgb(33, 17, 9).map((v) => v & 0xc0), { raw: { width: 33, height: 17, channels: 3 } }).webp({ nearLossless: true, quality: 60 }).toBuffer());
    for (const webp of await Promise.all(images)) {
      const payload = payloadOf(chunkOf(new Uint8Array(webp), 'VP8L'));
      expect(vp8lExtent(payload, 0, payload.length).length).toBe(payload.length);
    }
  });

  test('bytes appended inside the VP8L chunk after the bitstream are found and cut', async () => {
    const planted = webpFile([riffChunk('VP8L', concatBytes(payloadOf(vp8l), latin1(SECRET)))]);
    const out = await expectCaught('vp8l-tail', planted, /bytes after the end of the lossless bitstream/);
    expect(same(out, lossless)).toBe(true);
  });

  test('bytes appended inside a lossless ALPH after its stream are found and cut', async () => {
    const planted = webpFile([chunkOf(lossyAlpha, 'VP8X'), riffChunk('ALPH', concatBytes(payloadOf(alph), latin1(SECRET))), vp8]);
    expect(payloadOf(alph)[0] & 3).toBe(1);
    const out = await expectCaught('alph-tail', planted, /bytes after the end of the alpha data/);
    expect(same(out, lossyAlpha)).toBe(true);
  });

  test('a truncated or damaged lossless stream is refused, never passed', () => {
    const cut = webpFile([riffChunk('VP8L', payloadOf(vp8l).subarray(0, payloadOf(vp8l).length - 3))]);
    expect(() => webpFormat.walk(cut)).toThrow(DeidError);
  });
});

describe('where a lossy bitstream ends (RFC 6386: modes and DCT tokens read to the last macroblock)', () => {
  test('libwebp-made frames of many sizes and qualities are clean and strip to themselves', async () => {
    const made: Array<Promise<Buffer>> = [];
    for (const [w, h, q] of [[1, 1, 80], [17, 200, 100], [64, 64, 5], [333, 211, 90], [160, 120, 50]] as const) {
      made.push(sharp(noiseRgb(w, h, w + h), { raw: { width: w, height: h, channels: 3 } }).webp({ quality: q }).toBuffer());
      made.push(sharp(rgba(w, h, q), { raw: { width: w, height: h, channels: 4 } }).webp({ quality: q, effort: 0 }).toBuffer());
    }
    made.push(sharp({ create: { width: 300, height: 200, channels: 3, background: '#446688' } }).webp().toBuffer());
    for (const webp of await Promise.all(made)) {
      const bytes = new Uint8Array(webp);
      expect(findingsOf(webpFormat.walk(bytes))).toEqual([]);
      expect(same(strip(bytes).bytes, bytes)).toBe(true);
    }
  });

  test('bytes appended inside the VP8 chunk after the last partition are found and cut', async () => {
    const payload = payloadOf(chunkOf(lossy, 'VP8 '));
    const planted = webpFile([riffChunk('VP8 ', concatBytes(payload, latin1(SECRET)))]);
    // At most the encoder's two flush bytes past the decoder's reach stay (webp-vp8.ts).
    const out = await expectCaught('vp8-tail', planted, /bytes after the end of the VP8 bitstream/);
    expect(out.length).toBeLessThanOrEqual(lossy.length + 2);
    const inFrame = webpFile([chunkOf(lossyAlpha, 'VP8X'), alph, riffChunk('VP8 ', concatBytes(payloadOf(vp8), latin1(SECRET)))]);
    expect((await expectCaught('vp8-tail-alpha', inFrame, /VP8 bitstream/)).length).toBeLessThanOrEqual(lossyAlpha.length + 2);
  });

  test('bytes hidden in the first partition (its size in the frame tag grown) are found and cut', async () => {
    const payload = payloadOf(chunkOf(lossy, 'VP8 '));
    const tag = payload[0] | (payload[1] << 8) | (payload[2] << 16);
    const first = tag >>> 5;
    const grown = concatBytes(payload.subarray(0, 10 + first), latin1(SECRET), payload.subarray(10 + first));
    const newTag = (tag & 0x1f) | ((first + SECRET.length) << 5);
    grown.set([newTag & 0xff, (newTag >> 8) & 0xff, (newTag >> 16) & 0xff], 0);
    const planted = webpFile([riffChunk('VP8 ', grown)]);
    expect((await expectCaught('vp8-first', planted, /bytes after the end of the VP8 bitstream/)).length).toBeLessThanOrEqual(lossy.length + 2);
  });

  test('a VP8 frame cut short is refused, never passed', () => {
    const payload = payloadOf(chunkOf(lossy, 'VP8 '));
    expect(() => webpFormat.walk(webpFile([riffChunk('VP8 ', payload.subarray(0, payload.length - 12))]))).toThrow(DeidError);
  });
});

describe('chunks by need (RFC 9649 2.5-2.7)', () => {
  test('sharp-made files are clean and strip to themselves', () => {
    for (const f of [lossless, lossy, lossyAlpha]) {
      expect(findingsOf(webpFormat.walk(f))).toEqual([]);
      expect(same(strip(f).bytes, f)).toBe(true);
    }
  });

  test('ALPH in a simple-format WebP is dropped', async () => {
    const planted = webpFile([vp8, riffChunk('ALPH', concatBytes(new Uint8Array([0]), latin1(SECRET)))]);
    const out = await expectCaught('alph-simple', planted, /simple-format/);
    expect(same(out, webpFile([vp8]))).toBe(true);
  });

  test('ALPH after the bitstream, a second ALPH, ALPH with VP8L: dropped', async () => {
    const vp8x = chunkOf(lossyAlpha, 'VP8X');
    const after = webpFile([vp8x, alph, vp8, riffChunk('ALPH', concatBytes(new Uint8Array([0]), latin1(SECRET.repeat(4))))]);
    expect(same(await expectCaught('alph-after', after, /ALPH after the image bitstream/), lossyAlpha)).toBe(true);
    const twice = webpFile([vp8x, alph, riffChunk('ALPH', concatBytes(new Uint8Array([0]), latin1(SECRET.repeat(4)))), vp8]);
    expect(same(await expectCaught('alph-twice', twice, /a second ALPH/), lossyAlpha)).toBe(true);
    const withLossless = webpFile([vp8xChunk(FLAG.ALPHA, W, H), riffChunk('ALPH', concatBytes(new Uint8Array([0]), latin1(SECRET.repeat(4)))), vp8l]);
    await expectCaught('alph-vp8l', withLossless, /ALPH with a lossless bitstream/);
  });

  test('ANIM and ANMF in a still WebP are dropped', async () => {
    const anmf = riffChunk('ANMF', concatBytes(new Uint8Array(16), latin1(SECRET)));
    const planted = webpFile([vp8xChunk(FLAG.ALPHA, W, H), riffChunk('ANIM', new Uint8Array([255, 255, 255, 255, 0, 0])), anmf, vp8l]);
    const out = await expectCaught('anim-still', planted, /in a still image/);
    expect(webpChunks(out).map((c) => c.id)).toEqual(['VP8X', 'VP8L']);
  });

  test('a second bitstream (text dressed as VP8L) is dropped', async () => {
    const planted = webpFile([vp8xChunk(FLAG.ALPHA, W, H), vp8l, riffChunk('VP8L', latin1(SECRET))]);
    await expectCaught('vp8l-twice', planted, /a second image bitstream/);
  });

  test.each([
    ['animation flag on a still', FLAG.ALPHA | FLAG.ANIMATION],
    ['ICC flag without ICCP', FLAG.ALPHA | FLAG.ICC],
    ['EXIF and XMP flags without chunks', FLAG.ALPHA | FLAG.EXIF | FLAG.XMP],
  ])('VP8X flags disagreeing with the chunks: %s', async (_name, flags) => {
    const planted = webpFile([vp8xChunk(flags, W, H), vp8l]);
    const out = await expectCaught(`flags-${flags}`, planted, /VP8X flags disagree/, null);
    expect(out[20]).toBe(FLAG.ALPHA);
  });

  test('an alpha flag over an opaque lossy image goes; a clear flag over alpha data stays (decoders then show no alpha)', async () => {
    const opaque = webpFile([vp8xChunk(FLAG.ALPHA, W, H), chunkOf(lossy, 'VP8 ')]);
    const out = await expectCaught('alpha-flag', opaque, /VP8X flags disagree/, null);
    expect(out[20]).toBe(0);
    const hidden = webpFile([vp8xChunk(0, W, H), vp8l]);
    expect(findingsOf(webpFormat.walk(hidden))).toEqual([]);
  });

  test('canvas size differing from the image is malformed (libwebp refuses it)', () => {
    expect(() => webpFormat.walk(webpFile([vp8xChunk(FLAG.ALPHA, W + 1, H), vp8l]))).toThrow(DeidError);
  });

  test('VP8 upscaling bits (ignored by decoders) are cleared', async () => {
    const payload = payloadOf(chunkOf(lossy, 'VP8 ')).slice();
    payload[7] |= 0x80;
    payload[9] |= 0x40;
    const out = await expectCaught('scale', webpFile([riffChunk('VP8 ', payload)]), /upscaling/, null);
    expect(same(out, lossy)).toBe(true);
  });
});

describe('RIFF size tricks (RFC 9649 2.4)', () => {
  test('a RIFF size that stops early hides a trailer: found and dropped', async () => {
    const planted = concatBytes(lossless, riffChunk('XMP ', SECRET), latin1(SECRET));
    expect(findingsOf(webpFormat.walk(planted)).map((f) => f.kind)).toEqual(['trailer']);
    expect(same(strip(planted).bytes, lossless)).toBe(true);
  });

  test('a RIFF size beyond the file is truncated; one that cuts a chunk is truncated', () => {
    const long = lossless.slice();
    new DataView(long.buffer).setUint32(4, lossless.length + 100, true);
    expect(() => webpFormat.walk(long)).toThrow(expect.objectContaining({ code: 'truncated' }));
    const short = lossless.slice();
    new DataView(short.buffer).setUint32(4, lossless.length - 8 - 6, true);
    expect(() => webpFormat.walk(short)).toThrow(DeidError);
  });

  test('a RIFF size covering extra chunks: the chunks are findings, the size rewritten', async () => {
    const planted = webpFile([vp8l, riffChunk('JUNK', SECRET)]);
    expect(same(await expectCaught('riff-extra', planted, /JUNK/), lossless)).toBe(true);
  });
});

describe('the verdict and the strip agree (properties)', () => {
  test('random chunk sequences and mutations: clean <=> strip is the identity', () => {
    const pool = (): Array<fc.Arbitrary<Uint8Array>> => [
      fc.constant(vp8l), fc.constant(vp8), fc.constant(alph),
      fc.constant(riffChunk('ANIM', new Uint8Array([255, 255, 255, 255, 0, 0]))),
      fc.constant(riffChunk('EXIF', SECRET)), fc.constant(riffChunk('ZZZZ', SECRET)),
      fc.constantFrom(0, FLAG.ALPHA, FLAG.ALPHA | FLAG.EXIF, FLAG.ANIMATION).map((f) => vp8xChunk(f, W, H)),
    ];
    const file = fc.array(fc.oneof(...pool()), { minLength: 1, maxLength: 4 }).map((chunks) => webpFile(chunks));
    const seeds = () => [lossless, lossy, lossyAlpha];
    const input = fc.oneof(file, fc.tuple(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 2 })).map(([pick, ms]) => mutateAll(seeds(), pick, ms)));
    const outcomes = { clean: 0, found: 0, refused: 0 };
    fc.assert(fc.property(input, (bytes) => expectWalkAndStripAgree(webpFormat, bytes, outcomes)), { numRuns: 300 });
    expect(outcomes.clean).toBeGreaterThan(3);
    expect(outcomes.found).toBeGreaterThan(5);
    // Nothing in this pool needs a colour conversion: every file the walk reads is stripped.
    expect(outcomes.refused).toBe(0);
  });
});
