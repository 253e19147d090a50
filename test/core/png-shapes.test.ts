/**
 * Bytes hidden inside chunks PNG keeps: over-long allowlisted chunks, a non-empty IEND, bytes
 * after the end of the zlib stream in IDAT/fdAT, more inflated rows than IHDR describes, and bits
 * inside the stream inflaters skip (set padding bits, code tables of blocks that make no output).
 */
import { constants, deflateRawSync, deflateSync, inflateSync } from 'node:zlib';
import { Deflate } from 'fflate';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { pngFormat } from '../../src/core/metadata/png';
import { zlibExtent } from '../../src/core/metadata/zlib-extent';
import { be32, insertPngChunks, latin1, pngChunk, pngChunks } from '../helpers/chunks';
import { concatBytes, noiseRgb } from '../helpers/plant';
import { findingsOf } from '../helpers/container';

const strip = pngFormat.strip as NonNullable<typeof pngFormat.strip>;
const SECRET = 'Patient: John Smith, MRN 1234567';
const EMPTY_IEND = pngChunk('IEND', new Uint8Array(0));

function has(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes).includes(Buffer.from(text, 'latin1'));
}

async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).raw().toBuffer();
}

function ihdr(width: number, height: number, depth: number, colour: number, interlace = 0): Uint8Array {
  return pngChunk('IHDR', concatBytes(be32(width), be32(height), new Uint8Array([depth, colour, 0, 0, interlace])));
}

/** A hand-built PNG: signature, IHDR, `middle` chunks, IEND. */
function pngOf(head: Uint8Array, ...middle: Uint8Array[]): Uint8Array {
  return concatBytes(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), head, ...middle, EMPTY_IEND);
}

/** Filtered scanlines (filter type 0) of a width x height 8-bit RGB image. */
function rgbRows(width: number, height: number): Uint8Array {
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let i = 0; i < rows.length; i++) rows[i] = i % (1 + width * 3) === 0 ? 0 : (i * 37) & 0xff;
  return rows;
}

describe('allowlisted chunks must have their exact shape', () => {
  let base: Uint8Array;
  beforeAll(async () => {
    base = new Uint8Array(await sharp(noiseRgb(16, 12, 3), { raw: { width: 16, height: 12, channels: 3 } }).png().toBuffer());
  });

  async function expectDroppedClean(planted: Uint8Array): Promise<void> {
    const result = strip(planted);
    expect(result.removed).toEqual(['unknown-segment']);
    expect(has(result.bytes, SECRET)).toBe(false);
    expect(findingsOf(pngFormat.walk(result.bytes))).toEqual([]);
    expect((await pixels(result.bytes)).equals(await pixels(planted))).toBe(true);
  }

  test('the reviewer case: a gAMA carrying text after its 4 bytes', async () => {
    const planted = insertPngChunks(base, [pngChunk('gAMA', concatBytes(new Uint8Array([0, 0, 0xb1, 0x8f]), latin1(SECRET)))]);
    expect(findingsOf(pngFormat.walk(planted))).toEqual([{ kind: 'unknown-segment', where: 'chunk gAMA @ 33', detail: 'gAMA chunk with unexpected length' }]);
    await expectDroppedClean(planted);
    expect(Buffer.from(strip(planted).bytes).equals(Buffer.from(base))).toBe(true);
  });

  test.each([
    ['gAMA', [0, 0, 0xb1, 0x8f]], ['cHRM', new Array(32).fill(0)], ['sRGB', [0]], ['cICP', [1, 13, 0, 1]], ['tRNS', [0, 1, 0, 2, 0, 3]],
  ])('%s with valid values on an RGB image is kept; with text appended it is dropped', async (type, values) => {
    const exact = Uint8Array.from(values as number[]);
    const kept = insertPngChunks(base, [pngChunk(type as string, exact)]);
    expect(findingsOf(pngFormat.walk(kept))).toEqual([]);
    expect(Buffer.from(strip(kept).bytes).equals(Buffer.from(kept))).toBe(true);
    const planted = insertPngChunks(base, [pngChunk(type as string, concatBytes(exact, latin1(SECRET)))]);
    const found = findingsOf(pngFormat.walk(planted));
    expect(found).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: `${type} chunk with unexpected length` })]);
    expect(JSON.stringify(found)).not.toContain('John');
    await expectDroppedClean(planted);
  });

  test('sBIT, bKGD and tRNS lengths follow the colour type; sBIT and bKGD are dropped even when well-formed', () => {
    const rgbShort = insertPngChunks(base, [pngChunk('sBIT', new Uint8Array([8])), pngChunk('bKGD', new Uint8Array([0, 1]))]);
    expect(findingsOf(pngFormat.walk(rgbShort)).map((f) => f.detail)).toEqual(['sBIT chunk with unexpected length', 'bKGD chunk with unexpected length']);
    const rgba = pngOf(ihdr(2, 1, 8, 6), pngChunk('sBIT', new Uint8Array([8, 8, 8, 8])), pngChunk('bKGD', new Uint8Array(6)), pngChunk('tRNS', new Uint8Array(2)), pngChunk('IDAT', deflateSync(new Uint8Array(9))));
    expect(findingsOf(pngFormat.walk(rgba)).map((f) => f.detail)).toEqual([
      'significant bits (sBIT): does not affect decoded pixels', 'background colour (bKGD): does not affect decoded pixels', 'tRNS chunk with unexpected length',
    ]);
    const grayTrns = pngOf(ihdr(2, 1, 8, 0), pngChunk('tRNS', new Uint8Array([0, 7])), pngChunk('IDAT', deflateSync(new Uint8Array(3))));
    expect(findingsOf(pngFormat.walk(grayTrns))).toEqual([]);
    // 8-bit gray: a tRNS level of 0x4A53 ("JS") matches no pixel; it only carries the two bytes.
    const wide = pngOf(ihdr(2, 1, 8, 0), pngChunk('tRNS', latin1('JS')), pngChunk('IDAT', deflateSync(new Uint8Array(3))));
    expect(findingsOf(pngFormat.walk(wide)).map((f) => f.detail)).toEqual(['tRNS value outside the bit depth: matches no pixel']);
    expect(has(strip(wide).bytes, 'JS')).toBe(false);
  });

  test('indexed: tRNS at most one entry per palette colour; PLTE whole entries within the bit depth', async () => {
    const plte = pngChunk('PLTE', new Uint8Array([0, 0, 0, 255, 255, 255]));
    const idat = pngChunk('IDAT', deflateSync(new Uint8Array([0, 0x40, 0, 0x80])));
    const head = ihdr(2, 2, 1, 3);
    const ok = pngOf(head, plte, pngChunk('tRNS', new Uint8Array([255, 0])), idat);
    expect(findingsOf(pngFormat.walk(ok))).toEqual([]);
    expect((await pixels(ok)).length).toBe(2 * 2 * 4);
    const long = pngOf(head, plte, pngChunk('tRNS', concatBytes(new Uint8Array([255, 0]), latin1('JS'))), idat);
    expect(findingsOf(pngFormat.walk(long))).toEqual([expect.objectContaining({ detail: 'tRNS chunk with unexpected length' })]);
    expect(has(strip(long).bytes, 'JS')).toBe(false);
    const beforePalette = pngOf(head, pngChunk('tRNS', new Uint8Array([255])), plte, idat);
    expect(findingsOf(pngFormat.walk(beforePalette))).toHaveLength(1);
    // Critical chunks cannot be dropped: a misshapen one is malformed.
    for (const bad of [
      pngOf(head, pngChunk('PLTE', new Uint8Array(7)), idat),
      pngOf(head, pngChunk('PLTE', new Uint8Array(9)), idat), // 3 entries for a 1-bit index
      pngOf(ihdr(2, 2, 8, 3), pngChunk('PLTE', new Uint8Array(771)), idat),
      pngOf(concatBytes(ihdr(2, 2, 8, 2).subarray(0, 8), latin1('x')), idat),
      pngOf(pngChunk('IHDR', concatBytes(ihdr(2, 2, 8, 2).subarray(8, 21), latin1(SECRET))), idat),
      pngOf(ihdr(2, 2, 8, 5), idat),
      pngOf(ihdr(0, 2, 8, 2), idat),
    ]) {
      expect(() => pngFormat.walk(bad)).toThrow(DeidError);
      expect(() => strip(bad)).toThrow(DeidError);
    }
  });

  test('a non-empty IEND is a finding and strip writes the canonical empty IEND', async () => {
    const planted = concatBytes(base.subarray(0, base.length - 12), pngChunk('IEND', SECRET));
    const found = findingsOf(pngFormat.walk(planted));
    expect(found).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: 'IEND chunk with data' })]);
    expect(JSON.stringify(found)).not.toContain('John');
    const result = strip(planted);
    expect(Buffer.from(result.bytes).equals(Buffer.from(base))).toBe(true);
    expect(Buffer.from(result.bytes.subarray(-12)).equals(Buffer.from(EMPTY_IEND))).toBe(true);
    expect((await pixels(result.bytes)).equals(await pixels(planted))).toBe(true);
  });

  test('sharp variants (interlaced, 16-bit, gray, gray+alpha, palette) are clean and strip to themselves', async () => {
    const raw = noiseRgb(13, 9, 4);
    const img = () => sharp(raw, { raw: { width: 13, height: 9, channels: 3 } });
    for (const png of [
      await img().png({ progressive: true }).toBuffer(),
      await img().toColourspace('rgb16').png().toBuffer(),
      await img().greyscale().png().toBuffer(),
      await img().greyscale().ensureAlpha(0.5).png().toBuffer(),
      await img().png({ palette: true, colours: 4, progressive: true }).toBuffer(),
    ]) {
      const bytes = new Uint8Array(png);
      expect(findingsOf(pngFormat.walk(bytes))).toEqual([]);
      expect(Buffer.from(strip(bytes).bytes).equals(png)).toBe(true);
    }
  });
});

describe('the compressed image stream', () => {
  const rows = rgbRows(5, 4);
  const head = ihdr(5, 4, 8, 2);

  test('the reviewer case: a second IDAT after the end of the zlib stream', async () => {
    const base = new Uint8Array(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).png().toBuffer());
    const planted = insertPngChunks(base, [pngChunk('IDAT', SECRET)], 'beforeIend');
    const found = findingsOf(pngFormat.walk(planted));
    expect(found).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: `${SECRET.length} bytes after the end of the compressed image data` })]);
    expect(found[0].where).toMatch(/^chunk IDAT @ \d+$/);
    // Strip cuts the chunk holding nothing but the hidden bytes; the image stream is untouched.
    expect(Buffer.from(strip(planted).bytes).equals(Buffer.from(base))).toBe(true);
    // A decoder really does not see them.
    expect((await pixels(planted)).equals(await pixels(base))).toBe(true);
  });

  test('bytes after the stream inside the same IDAT, and split over many IDATs', () => {
    const z = deflateSync(rows);
    expect(findingsOf(pngFormat.walk(pngOf(head, pngChunk('IDAT', z))))).toEqual([]);
    const split = pngOf(head, pngChunk('IDAT', z.subarray(0, 3)), pngChunk('IDAT', z.subarray(3, 4)), pngChunk('IDAT', z.subarray(4)));
    expect(findingsOf(pngFormat.walk(split))).toEqual([]);
    const inside = pngOf(head, pngChunk('IDAT', concatBytes(z, latin1('JS'))));
    expect(findingsOf(pngFormat.walk(inside))).toEqual([expect.objectContaining({ detail: '2 bytes after the end of the compressed image data' })]);
    expect(Buffer.from(strip(inside).bytes).equals(Buffer.from(pngOf(head, pngChunk('IDAT', z))))).toBe(true);
    const spread = pngOf(head, pngChunk('IDAT', z.subarray(0, 4)), pngChunk('IDAT', concatBytes(z.subarray(4), latin1('J'))), pngChunk('IDAT', latin1('S')));
    expect(findingsOf(pngFormat.walk(spread)).map((f) => f.detail)).toEqual(['1 bytes after the end of the compressed image data', '1 bytes after the end of the compressed image data']);
    expect(Buffer.from(strip(spread).bytes).equals(Buffer.from(pngOf(head, pngChunk('IDAT', z.subarray(0, 4)), pngChunk('IDAT', z.subarray(4)))))).toBe(true);
  });

  test('a name in the padding bits of empty stored blocks, or in the code tables of empty blocks: found, refused, pixels unchanged', async () => {
    const clean = pngOf(head, pngChunk('IDAT', deflateSync(rows)));
    // 5 bits of the name in each empty stored block's padding (RFC 1951 3.2.4: skipped).
    const bits = [...latin1(SECRET)].flatMap((byte) => [...Array(8).keys()].map((i) => (byte >> i) & 1));
    const w = new BitWriter();
    for (let i = 0; i < bits.length; i += 5) w.bits(0, 3).align(bits.slice(i, i + 5).reduce((v, b, k) => v | (b << k), 0)).bits(0, 16).bits(0xffff, 16);
    const padded = pngOf(head, pngChunk('IDAT', zlibOf(concatBytes(w.done(), deflateRawSync(rows)), rows)));
    const tables = pngOf(head, pngChunk('IDAT', HIDING_STREAMS['a Huffman-coded block that inflates to nothing'](rows)));
    for (const planted of [padded, tables]) {
      // sharp (libspng) decodes the same pixels: the bits are invisible to a decoder.
      expect((await pixels(planted)).equals(await pixels(clean))).toBe(true);
      const found = findingsOf(pngFormat.walk(planted));
      expect(found).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/^bits no decoder reads inside the compressed image data/) })]);
      expect(JSON.stringify(found)).not.toContain('John');
      // Only re-encoding the pixels can drop them (the CLI does, with a notice).
      expect(() => strip(planted)).toThrow(expect.objectContaining({ code: 'not-clean' }));
    }
  });

  test('more inflated data than IHDR describes is a finding; less is malformed; broken streams throw DeidError', async () => {
    const more = pngOf(head, pngChunk('IDAT', deflateSync(concatBytes(rows, latin1(SECRET)))));
    expect(findingsOf(pngFormat.walk(more))).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: 'more decompressed image data than the image size implies' })]);
    expect(() => strip(more)).toThrow(expect.objectContaining({ code: 'not-clean' }));
    expect((await pixels(more)).length).toBe(5 * 4 * 3);
    const less = pngOf(head, pngChunk('IDAT', deflateSync(rows.subarray(1))));
    expect(() => pngFormat.walk(less)).toThrow(expect.objectContaining({ code: 'malformed' }));
    const z = deflateSync(rows);
    expect(() => pngFormat.walk(pngOf(head, pngChunk('IDAT', z.subarray(0, z.length - 6))))).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(() => pngFormat.walk(pngOf(head))).toThrow(expect.objectContaining({ code: 'malformed' }));
    const badHeader = z.slice();
    badHeader[0] = 0x79;
    expect(() => pngFormat.walk(pngOf(head, pngChunk('IDAT', badHeader)))).toThrow(expect.objectContaining({ code: 'malformed' }));
  });

  describe('APNG frames', () => {
    const fctl = (seq: number, w: number, h: number) => pngChunk('fcTL', concatBytes(be32(seq), be32(w), be32(h), new Uint8Array(14)));
    const fdat = (seq: number, data: Uint8Array) => pngChunk('fdAT', concatBytes(be32(seq), data));
    const actl = pngChunk('acTL', concatBytes(be32(2), be32(0)));
    const frameRows = rgbRows(3, 2);

    test('a clean animation is kept whole; bytes after a frame stream are found and refused', () => {
      const clean = pngOf(head, actl, fctl(0, 5, 4), pngChunk('IDAT', deflateSync(rows)), fctl(1, 3, 2), fdat(2, deflateSync(frameRows)));
      expect(findingsOf(pngFormat.walk(clean))).toEqual([]);
      expect(Buffer.from(strip(clean).bytes).equals(Buffer.from(clean))).toBe(true);
      const hidden = pngOf(head, actl, fctl(0, 5, 4), pngChunk('IDAT', deflateSync(rows)), fctl(1, 3, 2), fdat(2, deflateSync(frameRows)), fdat(3, latin1(SECRET)));
      expect(findingsOf(pngFormat.walk(hidden))).toEqual([expect.objectContaining({ where: expect.stringMatching(/^chunk fdAT/), detail: `${SECRET.length} bytes after the end of the compressed frame data` })]);
      // The last fdAT keeps its sequence number (the APNG sequence stays whole) and nothing else.
      const out = strip(hidden).bytes;
      expect(has(out, SECRET)).toBe(false);
      expect(Buffer.from(out).equals(Buffer.from(pngOf(head, actl, fctl(0, 5, 4), pngChunk('IDAT', deflateSync(rows)), fctl(1, 3, 2), fdat(2, deflateSync(frameRows)), fdat(3, new Uint8Array(0)))))).toBe(true);
      expect(findingsOf(pngFormat.walk(out))).toEqual([]);
    });

    test('fdAT outside a frame (no fcTL, or a misshapen one) is dropped with it', () => {
      const orphan = pngOf(head, pngChunk('IDAT', deflateSync(rows)), fdat(1, latin1(SECRET)));
      expect(findingsOf(pngFormat.walk(orphan))).toEqual([expect.objectContaining({ detail: 'animation chunk in an invalid animation (fcTL/fdAT without an acTL)' })]);
      const badFrame = pngOf(head, actl, pngChunk('IDAT', deflateSync(rows)), pngChunk('fcTL', new Uint8Array(27)), fdat(2, deflateSync(frameRows)));
      const result = strip(badFrame);
      expect(pngChunks(result.bytes).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect(findingsOf(pngFormat.walk(result.bytes))).toEqual([]);
      expect(has(strip(orphan).bytes, SECRET)).toBe(false);
    });
  });
});

/** RFC 1951 bits, least significant first; Huffman codes go most significant bit first (3.1.1). */
class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;

  bits(value: number, count: number): this {
    for (let i = 0; i < count; i++) this.bit((value >> i) & 1);
    return this;
  }

  code(code: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.bit((code >> i) & 1);
    return this;
  }

  /** Pads to a byte boundary with `pad` (bits an inflater skips). */
  align(pad: number): this {
    let i = 0;
    while (this.n !== 0) this.bit((pad >> i++) & 1);
    return this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private bit(b: number): void {
    this.acc |= b << this.n;
    if (++this.n === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }
}

function adler32(data: Uint8Array): Uint8Array {
  let a = 1;
  let b = 0;
  for (const x of data) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return be32(((b << 16) | a) >>> 0);
}

/** A zlib stream: header, the DEFLATE blocks, the Adler-32 of `data`. */
function zlibOf(blocks: Uint8Array, data: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x78, 0x01), blocks, adler32(data));
}

/**
 * A non-final dynamic block that codes nothing but end-of-block (RFC 1951 3.2.7): literal/length
 * codes for symbol 0 and 256 (one bit each), one distance code, all of it free for a writer's
 * choosing. Code-length code: 18 -> "0", 0 -> "10", 1 -> "11".
 */
function emptyDynamicBlock(w: BitWriter): BitWriter {
  w.bits(0, 1).bits(2, 2).bits(0, 5).bits(0, 5).bits(14, 4);
  // HCLEN + 4 = 18 lengths, in the order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1.
  const clen: Record<number, number> = { 18: 1, 0: 2, 1: 2 };
  for (const sym of [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1]) w.bits(clen[sym] ?? 0, 3);
  w.code(3, 2); // symbol 0: length 1
  w.code(0, 1).bits(138 - 11, 7); // 138 zeros (symbols 1-138)
  w.code(0, 1).bits(117 - 11, 7); // 117 zeros (139-255)
  w.code(3, 2); // symbol 256 (end of block): length 1
  w.code(3, 2); // the one distance code: length 1
  return w.code(1, 1); // end of block ("1": symbol 256 sorts after symbol 0)
}

const HIDING_STREAMS: Record<string, (data: Uint8Array) => Uint8Array> = {
  'an empty stored block with its padding bits set': (data) => zlibOf(concatBytes(new BitWriter().bits(0, 3).align(0b10101).bits(0, 16).bits(0xffff, 16).done(), deflateRawSync(data)), data),
  'a final stored block with its padding bits set': (data) => zlibOf(concatBytes(new BitWriter().bits(1, 1).bits(0, 2).align(0b11111).bits(data.length, 16).bits(data.length ^ 0xffff, 16).done(), data), data),
  'set bits after the final block': (data) => zlibOf(concatBytes(new BitWriter().bits(0, 1).bits(0, 2).align(0).bits(data.length, 16).bits(data.length ^ 0xffff, 16).done(), data, new BitWriter().bits(1, 1).bits(1, 2).code(0, 7).align(0b111111).done()), data),
  'a Huffman-coded block that inflates to nothing': (data) => zlibOf(concatBytes(emptyDynamicBlock(new BitWriter()).bits(1, 1).bits(0, 2).align(0).bits(data.length, 16).bits(data.length ^ 0xffff, 16).done(), data), data),
};

describe('zlibExtent', () => {
  test('agrees with zlib on every level and strategy, over split segments, with trailing bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FILTERED),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 6 }),
        fc.boolean(),
        (data, level, strategy, cuts, tail, repetitive) => {
          const input = repetitive ? Uint8Array.from(data, (b, i) => (i % 7 === 0 ? b : 65)) : data;
          const z = new Uint8Array(deflateSync(input, { level, strategy }));
          const whole = concatBytes(z, tail);
          const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
          const segments = [0, ...points].map((p, i, all) => whole.subarray(p, all[i + 1] ?? whole.length));
          expect(zlibExtent(segments)).toEqual({ end: z.length, inflated: input.length, overLimit: false, hidden: null });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('flushed streams (empty stored blocks, an empty final fixed block) hide nothing', () => {
    const data = rgbRows(40, 30);
    for (const sync of [true, false]) {
      const out: Uint8Array[] = [];
      const d = new Deflate({ level: 6 }, (chunk) => out.push(chunk));
      for (let at = 0; at < data.length; at += 500) {
        d.push(data.subarray(at, at + 500));
        d.flush(sync);
      }
      d.push(new Uint8Array(0), true);
      const z = concatBytes(Uint8Array.of(0x78, 0x9c), ...out, new Uint8Array(4));
      expect(zlibExtent([z])).toEqual({ end: z.length, inflated: data.length, overLimit: false, hidden: null });
    }
  });

  test.each(Object.entries(HIDING_STREAMS))('%s: hidden bits, the same inflated bytes', (_name, make) => {
    const data = rgbRows(16, 4);
    const z = make(data);
    expect(Buffer.from(inflateSync(z)).equals(Buffer.from(data))).toBe(true);
    expect(zlibExtent([z])).toEqual({ end: z.length, inflated: data.length, overLimit: false, hidden: expect.stringMatching(/padding|inflate to nothing/) });
  });

  test('stops at the limit; random and cut input only ever throws DeidError', () => {
    const z = deflateSync(new Uint8Array(100000));
    expect(zlibExtent([z], 1000)).toEqual(expect.objectContaining({ overLimit: true, end: -1 }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (noise, cut) => {
        for (const input of [noise, z.subarray(0, cut % z.length), concatBytes(new Uint8Array([0x78, 0x9c]), noise)]) {
          try {
            zlibExtent([input]);
          } catch (e) {
            if (!(e instanceof DeidError)) throw e;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a 6 MP RGB image stream (18 MB inflated) is walked in well under a second', () => {
    const width = 3000;
    const image = rgbRows(width, 2000);
    const z = deflateSync(image, { level: 1 });
    const started = Date.now();
    expect(zlibExtent([z]).inflated).toBe(image.length);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
