/**
 * WebP under WalkOptions.scanData: bits inside the coded image libwebp's decoder never turns into
 * a pixel (RFC 9649 section 3 / src/dec/vp8l_dec.c for lossless; RFC 6386 13.4 for the lossy
 * token probabilities). Hostile files are written bit by bit (test/helpers/webp-build.ts), each
 * with a clean twin; sharp (libwebp) is the oracle that both decode to the same pixels. Real
 * encoder output (sharp/libwebp at many settings) stays clean, and plain mode does not look.
 */
import * as path from 'node:path';
import sharp from 'sharp';
import type { WalkOptions } from '../../src/core/metadata/types';
import { webpFormat } from '../../src/core/metadata/webp';
import { COEFF_UPDATE_PROBS, DEFAULT_COEFF_PROBS } from '../../src/core/metadata/webp-vp8';
import { decodeVp8lStream, readVp8lHeader } from '../../src/core/metadata/webp-vp8l';
import { Vp8lChecks } from '../../src/core/metadata/webp-vp8l-unused';
import { riffChunk, vp8xChunk, webpChunks, webpFile } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { CORPUS } from '../helpers/paths';
import { concatBytes, noiseRgb } from '../helpers/plant';
import { BitWriter, BoolEncoder, constantImage, emptyCode, vp8lHeader, vp8lFile, opaqueMarkedVp8l } from '../helpers/webp-build';

const strip = webpFormat.strip as NonNullable<typeof webpFormat.strip>;
const DEEP = { scanData: true };
const W = 8;
const H = 6;
/** "JD" and friends: values a writer chose, where libwebp never looks. */
const J = 0x4a;
const D = 0x44;

async function rgba(file: Uint8Array): Promise<Buffer> {
  return sharp(file).ensureAlpha().raw().toBuffer();
}

function details(file: Uint8Array, options: WalkOptions = DEEP): string[] {
  return findingsOf(webpFormat.walk(file, options)).map((f) => f.detail);
}

/**
 * A hostile file and its clean twin: libwebp decodes them to the same pixels; plain mode sees
 * nothing; scanData names what is free; strip refuses the hostile one and keeps the twin.
 */
async function expectFreeBits(hostile: Uint8Array, clean: Uint8Array, detail: RegExp): Promise<void> {
  expect((await rgba(hostile)).equals(await rgba(clean))).toBe(true);
  expect(details(clean)).toEqual([]);
  expect(details(hostile, {})).toEqual([]);
  expect(details(hostile)).toEqual([expect.stringMatching(detail)]);
  expect(() => strip(hostile, DEEP)).toThrow(expect.objectContaining({ code: 'not-clean', message: expect.stringMatching(detail) }));
  expect(Buffer.from(strip(clean, DEEP).bytes).equals(Buffer.from(clean))).toBe(true);
  // Plain strip keeps the coded data as it is.
  expect(Buffer.from(strip(hostile).bytes).equals(Buffer.from(hostile))).toBe(true);
}

/**
 * Free bits a lossless rewrite drops (prefix codes no symbol is read with, padding): strip
 * writes the stream again without them; libwebp decodes the output to the same pixels.
 */
async function expectRewritten(hostile: Uint8Array, clean: Uint8Array, detail: RegExp): Promise<Uint8Array> {
  expect((await rgba(hostile)).equals(await rgba(clean))).toBe(true);
  expect(details(clean)).toEqual([]);
  expect(details(hostile, {})).toEqual([]);
  expect(details(hostile)).toEqual([expect.stringMatching(detail)]);
  const out = strip(hostile, DEEP);
  expect(out.notes).toEqual(['rewrote the lossless stream without bits no pixel reads (unread prefix codes as empty codes, zero padding; pixels unchanged)']);
  expect(details(out.bytes)).toEqual([]);
  expect((await rgba(out.bytes)).equals(await rgba(hostile))).toBe(true);
  expect(Buffer.from(strip(hostile).bytes).equals(Buffer.from(hostile))).toBe(true);
  return out.bytes;
}

describe('lossless (VP8L): bits libwebp reads no pixel from', () => {
  /** A predictor transform (3.3.1) whose image is `mode` everywhere, residuals `residual`. */
  const predicted = (mode: number, residual: number, alpha = false) => vp8lFile((w) => {
    vp8lHeader(w, W, H, alpha);
    w.put(1, 1).put(0, 2).put(0, 3); // PREDICTOR, size bits 2
    constantImage(w, { argb: mode });
    w.put(0, 1);
    constantImage(w, { argb: residual, main: true });
  });

  test('predictor image: only green & 15 is the mode; alpha, red, blue and the high green bits are free', async () => {
    // Mode 11 (Select) both times: green 0x0b and 0x5b read the same to libwebp.
    await expectFreeBits(predicted(((J << 24) | (D << 16) | (0x5b << 8) | 0x53) >>> 0, 0x00102030), predicted(0xff000b00, 0x00102030), /predictor-image pixel\(s\) with bits besides the mode/);
  });

  test('predictor modes 14 and 15 are mode 0 to libwebp (a sentinel): free', async () => {
    await expectFreeBits(predicted(0xff000e00, 0x00102030), predicted(0xff000000, 0x00102030), /predictor-image pixel/);
  });

  test('colour-transform image: alpha is never read', async () => {
    const crossed = (element: number) => vp8lFile((w) => {
      vp8lHeader(w, W, H, false);
      w.put(1, 1).put(1, 2).put(0, 3); // CROSS_COLOR, size bits 2
      constantImage(w, { argb: element });
      w.put(0, 1);
      constantImage(w, { argb: 0xff80a0c0, main: true });
    });
    await expectFreeBits(crossed(((J << 24) | 0x112233) >>> 0), crossed(0xff112233), /colour-transform pixel\(s\) with alpha not 255/);
  });

  /** Colour indexing (3.3.4): `colours` entries, each the constant `delta` added once more; main image `packed`. */
  const indexed = (width: number, colours: number, packed: number) => vp8lFile((w) => {
    vp8lHeader(w, width, H, true);
    w.put(1, 1).put(3, 2).put(colours - 1, 8);
    constantImage(w, { argb: 0x40302010 });
    w.put(0, 1);
    constantImage(w, { argb: packed, main: true });
  });

  test('colour indexing: a colour-table entry no pixel uses is free', async () => {
    // Two colours (1 bit per index, 8 per byte) against three (2 bits, 4 per byte): the same pixels.
    await expectFreeBits(indexed(W, 3, 0xff001100), indexed(W, 2, 0xff005500), /1 colour-table entr\(ies\) no pixel uses/);
  });

  test('colour indexing: alpha, red and blue of the index image are never read', async () => {
    await expectFreeBits(indexed(W, 2, ((J << 24) | (D << 16) | 0x5553) >>> 0), indexed(W, 2, 0xff005500), /colour-index pixel\(s\) with alpha, red or blue/);
  });

  test('colour indexing: bundled indices past the end of a row are never read', async () => {
    // Width 7: the eighth 1-bit index of each byte is past the row.
    await expectFreeBits(indexed(7, 2, 0xff00d500), indexed(7, 2, 0xff005500), /bundled index\(es\) past the end of a row/);
  });

  /** A main image with an entropy image (3.6.1) of constant `meta` and the groups given. */
  const grouped = (meta: number, groups: Array<(w: BitWriter) => void>) => vp8lFile((w) => {
    vp8lHeader(w, W, H, false);
    w.put(0, 1); // no transform
    w.put(0, 1); // no colour cache
    w.put(1, 1).put(0, 3); // meta prefix codes, bits 2
    constantImage(w, { argb: meta });
    for (const g of groups) g(w);
  });
  const group = (argb: number, distance?: number) => (w: BitWriter) => {
    // constantImage without its cache and meta bits: the five codes only.
    const codes = new BitWriter();
    constantImage(codes, { argb, distance });
    const bytes = codes.done();
    for (let i = 1; i < codes.length; i++) w.put((bytes[i >> 3] >> (i & 7)) & 1, 1);
  };

  test('a prefix code group no pixel refers to is free (all max+1 groups are read): strip writes its codes empty', async () => {
    const hostile = grouped(0x00000100, [group(((J << 24) | (D << 16) | 0x5a53) >>> 0, 39), group(0xff102030)]);
    const out = await expectRewritten(hostile, grouped(0, [group(0xff102030)]), /5 prefix code\(s\) no symbol is read with \(in 1 group\(s\) no pixel refers to\)/);
    // What is left of group 0 is five empty codes: the same file as one written with them.
    expect(Buffer.from(out).equals(Buffer.from(grouped(0x00000100, [(w) => { for (let i = 0; i < 5; i++) emptyCode(w); }, group(0xff102030)])))).toBe(true);
  });

  test('entropy image: only red and green name the group; alpha and blue are free', async () => {
    await expectFreeBits(grouped(((J << 24) | 0x53) >>> 0, [group(0xff102030)]), grouped(0, [group(0xff102030)]), /entropy-image pixel\(s\) with alpha or blue set/);
  });

  test('a prefix code no symbol is read with (the distance code of an image without back-references) is free', async () => {
    const main = (distance?: number) => vp8lFile((w) => {
      vp8lHeader(w, W, H, false);
      w.put(0, 1);
      constantImage(w, { argb: 0xff102030, main: true, distance });
    });
    // Any symbol of the 40-code distance alphabet (3.7.2.2): 39 here. Strip writes libwebp's empty code.
    const out = await expectRewritten(main(39), main(), /1 prefix code\(s\) no symbol is read with/);
    expect(Buffer.from(out).equals(Buffer.from(main()))).toBe(true);
  });

  test('alpha in an image whose header says it has none: sharp (libwebp WebPGetFeatures has_alpha) drops it', async () => {
    const opaque = (argb: number) => opaqueMarkedVp8l(W, H, argb);
    const hostile = opaque(((J << 24) | 0x102030) >>> 0);
    expect((await sharp(hostile).metadata()).channels).toBe(3);
    await expectFreeBits(hostile, opaque(0xff102030), /48 pixel\(s\) with alpha below 255 in an image marked opaque/);
  });

  test('bits set after the last code, in the final byte', async () => {
    const clean = vp8lFile((w) => {
      vp8lHeader(w, W, H, false);
      w.put(0, 1);
      constantImage(w, { argb: 0xff102030, main: true });
      expect(w.length % 8).not.toBe(0);
    });
    const hostile = clean.slice();
    const last = webpChunks(hostile)[0].dataEnd - 1;
    hostile[last] |= 0x80;
    expect(Buffer.from(await expectRewritten(hostile, clean, /bits set after the last code/)).equals(Buffer.from(clean))).toBe(true);
  });

  test('ALPH (lossless alpha of a lossy image): only green is alpha; alpha, red and blue are free', async () => {
    const base = new Uint8Array(await sharp(noiseRgb(W, H, 3), { raw: { width: W, height: H, channels: 3 } }).ensureAlpha(0.5).webp({ quality: 80 }).toBuffer());
    const chunks = webpChunks(base);
    expect(chunks.map((c) => c.id)).toEqual(['VP8X', 'ALPH', 'VP8 ']);
    const withAlpha = (argb: number) => {
      const w = new BitWriter();
      w.put(0, 1);
      constantImage(w, { argb, main: true });
      return webpFile(chunks.map((c) => (c.id === 'ALPH' ? riffChunk('ALPH', concatBytes(Uint8Array.of(1), w.done())) : base.subarray(c.offset, c.end))));
    };
    await expectFreeBits(withAlpha(((J << 24) | (D << 16) | 0x9953) >>> 0), withAlpha(0x00009900), /bits no decoder uses inside the lossless alpha data \(48 alpha-stream pixel/);
  });
});

describe('lossless (VP8L) real encoder output stays clean, and the pixels the checks read are libwebp\'s', () => {
  const rgb = noiseRgb(97, 61, 9);
  const raw = { raw: { width: 97, height: 61, channels: 3 as const } };
  const images = async (): Promise<Array<[string, sharp.Sharp]>> => {
    const withAlpha = Buffer.alloc(97 * 61 * 4);
    for (let i = 0; i < 97 * 61; i++) {
      rgb.copy(withAlpha, i * 4, i * 3, i * 3 + 3);
      withAlpha[i * 4 + 3] = (i * 7) % 251;
    }
    const palette = (colours: number) => sharp(rgb, raw).png({ palette: true, colours }).toBuffer();
    return [
      ['photo-like', sharp(rgb, raw)],
      ['with alpha', sharp(withAlpha, { raw: { width: 97, height: 61, channels: 4 } })],
      ['2 colours', sharp(await palette(2))],
      ['4 colours', sharp(await palette(4))],
      ['16 colours', sharp(await palette(16))],
      ['200 colours', sharp(await palette(200))],
    ];
  };
  const settings: Array<[string, sharp.WebpOptions]> = [
    ['lossless', { lossless: true }],
    ['lossless effort 0', { lossless: true, effort: 0 }],
    ['lossless effort 6', { lossless: true, effort: 6 }],
    ['near-lossless 60', { nearLossless: true, quality: 60 }],
    ['lossless effort 3', { lossless: true, effort: 3 }],
    ['lossy 80 (lossless alpha)', { quality: 80 }],
    ['lossy 30, alpha quality 50', { quality: 30, alphaQuality: 50 }],
  ];

  test('every image at every setting: no finding under scanData, strip is the identity, decoded pixels equal sharp\'s', async () => {
    let checked = 0;
    for (const [name, image] of await images()) {
      for (const [setting, options] of settings) {
        const file = new Uint8Array(await image.clone().webp(options).toBuffer());
        expect({ name, setting, findings: details(file) }).toEqual({ name, setting, findings: [] });
        expect(Buffer.from(strip(file, DEEP).bytes).equals(Buffer.from(file))).toBe(true);
        const vp8l = webpChunks(file).find((c) => c.id === 'VP8L');
        if (!vp8l) continue;
        const header = readVp8lHeader(file, vp8l.dataStart, vp8l.dataEnd);
        const checks = new Vp8lChecks(header.width, header.height, { alph: false, alphaHint: header.alphaUsed }, true);
        decodeVp8lStream(file, vp8l.dataStart + 5, vp8l.dataEnd, header.width, header.height, checks);
        const pixels = checks.pixels as Uint32Array;
        const reference = await sharp(file).ensureAlpha().raw().toBuffer();
        const ours = Buffer.alloc(pixels.length * 4);
        pixels.forEach((p, i) => ours.set([(p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff, p >>> 24], i * 4));
        expect({ name, setting, same: ours.equals(reference) }).toEqual({ name, setting, same: true });
        checked++;
      }
    }
    expect(checked).toBe(6 * 5);
  });
});

test('a camera photo through libwebp at effort 6, whose entropy image leaves prefix code groups no tile refers to (written as empty codes): clean, strip the identity', async () => {
  // 87_OSError.jpg at 800 px: libwebp leaves 2 groups no tile refers to (counted while writing
  // this test); it writes each as five empty codes, the form the rule accepts.
  const file = new Uint8Array(await sharp(path.join(CORPUS, 'jpg/tests/87_OSError.jpg')).resize(800).webp({ lossless: true, effort: 6 }).toBuffer());
  expect(details(file)).toEqual([]);
  expect(Buffer.from(strip(file, DEEP).bytes).equals(Buffer.from(file))).toBe(true);
}, 30_000);

describe('animations (ANMF frames)', () => {
  test('sharp animations, lossless and lossy with alpha, are clean under scanData', async () => {
    const frames: Buffer[] = [];
    for (let f = 0; f < 3; f++) frames.push(await sharp(noiseRgb(40, 24, f + 1), { raw: { width: 40, height: 24, channels: 3 } }).ensureAlpha(f === 1 ? 0.5 : 1).png().toBuffer());
    for (const options of [{ lossless: true }, { quality: 75 }, { lossless: true, effort: 6 }]) {
      const file = new Uint8Array(await sharp(frames, { join: { animated: true } }).webp({ ...options, loop: 0, delay: [100, 100, 100] }).toBuffer());
      expect(webpChunks(file).filter((c) => c.id === 'ANMF')).toHaveLength(3);
      expect({ options, findings: details(file) }).toEqual({ options, findings: [] });
    }
  });

  test('a frame hiding bits is found and strip refuses the whole file', () => {
    const le24 = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, n >> 16);
    const frame = (argb: number) => {
      const w = new BitWriter();
      vp8lHeader(w, W, H, false);
      w.put(0, 1);
      constantImage(w, { argb, main: true });
      return riffChunk('ANMF', concatBytes(le24(0), le24(0), le24(W - 1), le24(H - 1), le24(100), Uint8Array.of(0), riffChunk('VP8L', w.done())));
    };
    const anim = (argb: number) => webpFile([vp8xChunk(0x02, W, H), riffChunk('ANIM', Uint8Array.of(255, 255, 255, 255, 0, 0)), frame(0xff102030), frame(argb)]);
    expect(details(anim(0xff405060))).toEqual([]);
    const hostile = anim(0x4a405060);
    expect(details(hostile, {})).toEqual([]);
    expect(details(hostile)).toEqual([expect.stringMatching(/pixel\(s\) with alpha below 255 in an image marked opaque/)]);
    expect(findingsOf(webpFormat.walk(hostile, DEEP))[0].where).toMatch(/^ANMF @ \d+ chunk VP8L @ \d+$/);
    expect(() => strip(hostile, DEEP)).toThrow(expect.objectContaining({ code: 'not-clean' }));
  });
});

describe('lossy (VP8): token probability updates no coefficient reads', () => {
  /**
   * A 16x16 key frame (RFC 6386 9, 19.2): one macroblock, DC prediction, every block ends at
   * its first token (EOB), so only three token probabilities are ever read. `updates` are
   * [index, value] pairs of the 1056 coefficient probabilities (13.4).
   */
  function frame(updates: ReadonlyArray<[number, number]>): Uint8Array {
    const probs = DEFAULT_COEFF_PROBS.slice();
    const first = new BoolEncoder();
    first.literal(0, 2); // colour space, clamping
    first.literal(0, 1); // no segmentation
    first.literal(0, 1).literal(0, 6).literal(0, 3); // filter type, level, sharpness
    first.literal(0, 1); // no loop filter deltas
    first.literal(0, 2); // one token partition
    first.literal(40, 7);
    for (let i = 0; i < 5; i++) first.literal(0, 1); // no quantizer deltas
    first.literal(0, 1); // refresh_entropy_probs
    const update = new Map(updates);
    for (let i = 0; i < probs.length; i++) {
      const value = update.get(i);
      first.bool(COEFF_UPDATE_PROBS[i], value === undefined ? 0 : 1);
      if (value !== undefined) {
        first.literal(value, 8);
        probs[i] = value;
      }
    }
    first.literal(1, 1).literal(200, 8); // mb_no_coeff_skip, prob_skip_false
    first.bool(200, 0); // not skipped
    first.bool(145, 1).bool(156, 0).bool(163, 0); // 16x16 DC_PRED
    first.bool(142, 0); // chroma DC_PRED
    const node = (type: number, band: number) => ((type * 8 + band) * 3) * 11;
    const tokens = new BoolEncoder();
    tokens.bool(probs[node(1, 0)], 0); // Y2: EOB
    for (let i = 0; i < 16; i++) tokens.bool(probs[node(0, 1)], 0); // Y from coefficient 1: EOB
    for (let i = 0; i < 8; i++) tokens.bool(probs[node(2, 0)], 0); // U, V: EOB
    const part1 = first.done();
    const part2 = tokens.done();
    const tag = (part1.length << 5) | (1 << 4); // key frame, version 0, shown
    const header = Uint8Array.of(tag & 0xff, (tag >> 8) & 0xff, tag >> 16, 0x9d, 0x01, 0x2a, 16, 0, 16, 0);
    return webpFile([riffChunk('VP8 ', concatBytes(header, part1, part2))]);
  }
  // Read: (Y after Y2, band 1, context 0, node 0). Never read: (chroma, band 7, context 2, node 10) and the like.
  const READ = ((0 * 8 + 1) * 3 + 0) * 11;
  const UNREAD = [((2 * 8 + 7) * 3 + 2) * 11 + 10, ((3 * 8 + 4) * 3 + 1) * 11 + 3];

  test('the hand-built frame decodes to flat grey in libwebp, with or without a read update', async () => {
    for (const file of [frame([]), frame([[READ, 17]])]) {
      const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([16, 16, 3]);
      expect(new Set(data).size).toBe(1);
    }
  });

  test('an update of a probability no token reads is free: found under scanData, strip refuses', async () => {
    const hostile = frame([[READ, 17], [UNREAD[0], J], [UNREAD[1], D]]);
    await expectFreeBits(hostile, frame([[READ, 17]]), /2 token probability update\(s\) for contexts no coefficient reads/);
  });

  test('real encoder output: libwebp at several qualities and efforts is clean', async () => {
    const rgb = noiseRgb(203, 97, 4);
    for (const options of [{ quality: 5 }, { quality: 50 }, { quality: 95 }, { quality: 100 }, { quality: 75, effort: 0 }, { quality: 75, effort: 6 }, { quality: 60, smartSubsample: true }, { quality: 80, preset: 'text' as const }]) {
      const file = new Uint8Array(await sharp(rgb, { raw: { width: 203, height: 97, channels: 3 } }).webp(options).toBuffer());
      expect({ options, findings: details(file) }).toEqual({ options, findings: [] });
    }
  });
});
