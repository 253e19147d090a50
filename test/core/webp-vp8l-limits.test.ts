/**
 * Work a WebP bitstream may cause (core/limits.ts, issue 13.5): a pixel whose five prefix codes
 * each have one symbol costs no bits (RFC 9649 3.7.2.1.1), so a 30-byte file can declare 16383 x
 * 16383 pixels; and 3.6.1 lets a stream declare 65536 prefix-code groups that no tile refers to.
 * What a file may have read is what its bitstream headers declare (the image, or every animation
 * frame together) against WalkOptions.maxPixels, as for PNG, checked before any stream is read;
 * never its compressed size. The groups are read without keeping the unreferenced groups' tables
 * and still reported under scanData. libwebp (sharp) is the oracle that the files built here are
 * valid.
 */
import sharp from 'sharp';
import { webpFormat } from '../../src/core/metadata/webp';
import { riffChunk, vp8xChunk, webpFile } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { BitWriter, constantImage, vp8lHeader, vp8lFile } from '../helpers/webp-build';

const strip = webpFormat.strip as NonNullable<typeof webpFormat.strip>;

/** A one-colour image of width x height: no transform, every code one symbol. */
function constant(width: number, height: number): Uint8Array {
  return vp8lFile((w) => {
    vp8lHeader(w, width, height, false);
    w.put(0, 1); // no transform
    constantImage(w, { argb: 0xff204060, main: true });
  });
}

describe('WebP lossless: pixels that cost no bits', () => {
  it('a 30-byte file declaring 16383 x 16383 pixels is refused, naming the limit, with and without scanData', async () => {
    const bomb = constant(16383, 16383);
    expect(bomb.length).toBeLessThan(40);
    // libwebp reads the header as a valid 16383 x 16383 lossless image.
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 16383, height: 16383, format: 'webp' });
    for (const options of [{}, { scanData: true }]) {
      expect(() => webpFormat.walk(bomb, options)).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/^WebP: the image is 16383x16383, more than the 250 MP whose data is read \(maxPixels in the policy file/) }));
      expect(() => strip(bomb, options)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    }
  });

  it('the limit is checked before the stream is read: a 16383 x 16383 header over no image data is refused for its size, not as cut short', () => {
    const header = vp8lFile((w) => vp8lHeader(w, 16383, 16383, false));
    // The premise: read, the stream ends early (it holds nothing after the header).
    expect(() => webpFormat.walk(header, { maxPixels: 16383 * 16383 })).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(() => webpFormat.walk(header)).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/16383x16383, more than the 250 MP/) }));
  });

  it('the limit is the caller\'s maxPixels (the policy\'s): a 16 MP one-colour image is refused under 16 MP and read at it', async () => {
    const flat = constant(4096, 4096);
    expect(flat.length).toBeLessThan(40);
    expect(() => webpFormat.walk(flat, { maxPixels: 4096 * 4096 - 1 })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/^WebP: the image is 4096x4096, more than the 16\.78 MP whose data is read/) }));
    expect(() => strip(flat, { maxPixels: 4096 * 4096 - 1 })).toThrow(expect.objectContaining({ code: 'unsupported' }));
    expect(findingsOf(webpFormat.walk(flat, { maxPixels: 4096 * 4096 }))).toEqual([]);
  });

  it('a lossy (VP8) image is held to the same limit by what its frame header declares', async () => {
    const lossy = new Uint8Array(await sharp({ create: { width: 3000, height: 2000, channels: 3, background: { r: 90, g: 60, b: 30 } } }).webp({ quality: 80 }).toBuffer());
    expect(() => webpFormat.walk(lossy, { maxPixels: 5_999_999 })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/^WebP: the image is 3000x2000, more than the 6 MP/) }));
    expect(findingsOf(webpFormat.walk(lossy, { maxPixels: 6_000_000 }))).toEqual([]);
  });

  it('the limit is per file: 100 animation frames of 4096 x 4095 in 4 kB are refused; 3 (50 MP together) are read', async () => {
    const u24 = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff);
    const frame = (w: number, h: number) => {
      const bits = new BitWriter();
      vp8lHeader(bits, w, h, false);
      bits.put(0, 1);
      constantImage(bits, { argb: 0xff204060, main: true });
      // RFC 9649 2.7.1.1 ANMF: x/2, y/2, width-1, height-1, duration (24 bits each), flags.
      return riffChunk('ANMF', Uint8Array.from([...u24(0), ...u24(0), ...u24(w - 1), ...u24(h - 1), ...u24(100), 0, ...riffChunk('VP8L', bits.done())]));
    };
    const animation = (frames: number) => webpFile([vp8xChunk(0x02, 4096, 4095), riffChunk('ANIM', new Uint8Array(6)), ...Array.from({ length: frames }, () => frame(4096, 4095))]);
    const one = animation(1);
    // libwebp reads the frames as one-colour pictures.
    const { data } = await sharp(one).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[1], data[2]]).toEqual([0x20, 0x40, 0x60]);
    expect(() => webpFormat.walk(one, { scanData: true })).not.toThrow();
    const hundred = animation(100);
    expect(hundred.length).toBeLessThan(5000);
    expect(() => webpFormat.walk(hundred)).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/^WebP: its 100 animation frame\(s\) declare 1677312000 pixels together, more than the 250 MP/) }));
    // The frames are one picture for the limit: under it they are read whatever the file's size.
    const three = animation(3);
    expect(three.length).toBeLessThan(200);
    expect(findingsOf(webpFormat.walk(three)).map((f) => f.detail)).toEqual(['ANIM background colour (decoders do not use it)']);
    expect(() => webpFormat.walk(three, { maxPixels: 3 * 4096 * 4095 - 1 })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/its 3 animation frame\(s\) declare 50319360 pixels together, more than the 50\.32 MP/) }));
  });

  it('a one-colour image of 16 MP is read, and stays clean under scanData', async () => {
    const flat = constant(4096, 4096);
    const { data, info } = await sharp(flat).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([4096, 4096]);
    expect([data[0], data[1], data[2]]).toEqual([0x20, 0x40, 0x60]);
    expect(findingsOf(webpFormat.walk(flat, { scanData: true }))).toEqual([]);
  });
});

describe('WebP lossless: groups no tile refers to', () => {
  /**
   * 4 x 4 pixels, one entropy tile (prefix bits 9) pointing at the last of 65536 groups; every
   * other group is 5 two-symbol codes (the last group too, so its pixels cost bits).
   */
  function manyGroups(): Uint8Array {
    return vp8lFile((w) => {
      vp8lHeader(w, 4, 4, true);
      w.put(0, 1); // no transform
      w.put(0, 1); // no colour cache
      w.put(1, 1).put(7, 3); // meta prefix codes, prefix bits 9: a 1 x 1 entropy image
      constantImage(w, { argb: 0x00ffff00 }); // group index (red << 8 | green) = 65535
      const twoSymbols = (a: number, b: number): void => {
        w.put(1, 1).put(1, 1).put(1, 1).put(a, 8).put(b, 8);
      };
      for (let g = 0; g < 65536; g++) for (let c = 0; c < 5; c++) twoSymbols(c === 3 ? 255 : 0, c === 3 ? 254 : 1);
      for (let p = 0; p < 16; p++) w.put(0, 4); // each code's first symbol: green 0, red 0, blue 0, alpha 254
    });
  }

  it('is decoded as libwebp decodes it; under scanData the unreferenced groups are reported', async () => {
    const file = manyGroups();
    const { data } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 4)]).toEqual([0, 0, 0, 254]);
    expect(findingsOf(webpFormat.walk(file))).toEqual([]);
    const details = findingsOf(webpFormat.walk(file, { scanData: true })).map((f) => f.detail);
    expect(details).toEqual([expect.stringMatching(/327676 prefix code\(s\) no symbol is read with \(in 65535 group\(s\) no pixel refers to\)/)]);
  });
});
