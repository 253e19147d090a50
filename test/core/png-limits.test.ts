/**
 * Work a PNG may cause (core/limits.ts, issue 13.5): deflate codes up to 1032 bytes in one
 * (RFC 1951 3.2.5), so a small IDAT can declare more pixels than the maxPixels limit pixel
 * decoding has. Reading such an image's data (the rows of indexed and sub-byte images, always;
 * every image's Adler-32 under scanData) is refused with a DeidError naming the limit, before
 * anything is inflated; libspng (sharp, without its pixel limit) is the oracle that the files are
 * valid PNGs of that size.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { DEFAULT_LIMITS } from '../../src/core/limits';
import { pngFormat } from '../../src/core/metadata/png';
import { be32, pngChunk } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { concatBytes } from '../helpers/plant';

const strip = pngFormat.strip as NonNullable<typeof pngFormat.strip>;
const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = pngChunk('IEND', new Uint8Array(0));

/** A 1-bit image (greyscale or indexed) of side x side, every pixel 0, filter 0 on every row. */
function oneBit(side: number, colour: 0 | 3): Uint8Array {
  const raw = new Uint8Array(side * (1 + Math.ceil(side / 8)));
  const header = pngChunk('IHDR', concatBytes(be32(side), be32(side), new Uint8Array([1, colour, 0, 0, 0])));
  const palette = colour === 3 ? [pngChunk('PLTE', new Uint8Array([0, 0, 0, 255, 255, 255]))] : [];
  return concatBytes(SIGNATURE, header, ...palette, pngChunk('IDAT', deflateSync(raw, { level: 9 })), IEND);
}

describe('PNG: an image larger than maxPixels', () => {
  // 15812^2 = 250,019,344 pixels: just past the 250 MP limit; 31 MB of rows in 31 kB of IDAT.
  const SIDE = 15812;
  expect(SIDE * SIDE).toBeGreaterThan(DEFAULT_LIMITS.maxPixels);

  it('is a PNG of that size to libspng', async () => {
    const file = oneBit(SIDE, 3);
    expect(file.length).toBeLessThan(64 * 1024);
    expect(await sharp(file, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: SIDE, height: SIDE });
    // The rows decode: the last row's pixels read back (libspng decodes every row before it).
    const last = await sharp(file, { limitInputPixels: false }).extract({ left: SIDE - 8, top: SIDE - 1, width: 8, height: 1 }).raw().toBuffer();
    expect([...last].every((v) => v === 0)).toBe(true);
  });

  it('indexed: its rows are not read, with or without scanData: the walk and strip refuse, naming the limit', () => {
    const file = oneBit(SIDE, 3);
    for (const options of [{}, { scanData: true }]) {
      expect(() => pngFormat.walk(file, options)).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/15812x15812, more than the 250 MP/) }));
      expect(() => strip(file, options)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    }
  });

  it('greyscale: 1-bit rows are refused always; 8-bit is read plainly (nothing inflated) and refused under scanData', () => {
    const file = oneBit(SIDE, 0);
    // 1-bit greyscale has spare bits after each row, so even plain mode reads its rows.
    expect(() => pngFormat.walk(file)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    const wide = concatBytes(
      SIGNATURE,
      pngChunk('IHDR', concatBytes(be32(SIDE), be32(SIDE), new Uint8Array([8, 0, 0, 0, 0]))),
      pngChunk('IDAT', deflateSync(new Uint8Array(SIDE * (SIDE + 1)), { level: 9 })),
      IEND,
    );
    expect(findingsOf(pngFormat.walk(wide))).toEqual([]);
    expect(() => pngFormat.walk(wide, { scanData: true })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/maxPixels/) }));
  });
});

describe('PNG: the pixel limit the caller gives (WalkOptions.maxPixels, from the policy)', () => {
  const SIDE = 15812;

  it('raised past the default: the 250.02 MP 1-bit image is read, with and without scanData', () => {
    const file = oneBit(SIDE, 0);
    for (const options of [{ maxPixels: 260_000_000 }, { maxPixels: 260_000_000, scanData: true }]) {
      expect(findingsOf(pngFormat.walk(file, options))).toEqual([]);
      expect(Buffer.from(strip(file, options).bytes).equals(Buffer.from(file))).toBe(true);
    }
  });

  it('lowered below the image: a 1000 x 1000 image read by default is refused, naming the limit given', () => {
    const file = oneBit(1000, 0);
    expect(findingsOf(pngFormat.walk(file))).toEqual([]);
    for (const options of [{ maxPixels: 500_000 }, { maxPixels: 500_000, scanData: true }]) {
      expect(() => pngFormat.walk(file, options)).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/1000x1000, more than the 0\.5 MP .*maxPixels/) }));
      expect(() => strip(file, options)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    }
    // An 8-bit RGB image's data is inflated only under scanData, so only then does the limit apply.
    const rgb = concatBytes(
      SIGNATURE,
      pngChunk('IHDR', concatBytes(be32(1000), be32(1000), new Uint8Array([8, 2, 0, 0, 0]))),
      pngChunk('IDAT', deflateSync(new Uint8Array(1000 * (1 + 3000)))),
      IEND,
    );
    expect(findingsOf(pngFormat.walk(rgb, { maxPixels: 500_000 }))).toEqual([]);
    expect(() => pngFormat.walk(rgb, { maxPixels: 500_000, scanData: true })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/more than the 0\.5 MP/) }));
    expect(findingsOf(pngFormat.walk(rgb, { maxPixels: 1_000_000, scanData: true }))).toEqual([]);
  });
});

describe('PNG: image data that inflates past what the file may cost (its image and frames together, against maxPixels)', () => {
  /** An indexed APNG of `frames` full-canvas frames of side x side, every pixel 0 (PNG 3rd ed. 11.3.6). */
  function animation(side: number, frames: number): Uint8Array {
    const data = deflateSync(new Uint8Array(side * (1 + side)), { level: 9 });
    const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
    let seq = 0;
    const fctl = () => pngChunk('fcTL', concatBytes(be32(seq++), be32(side), be32(side), be32(0), be32(0), u16(1), u16(10), Uint8Array.of(0, 0)));
    const parts: Uint8Array[] = [SIGNATURE, pngChunk('IHDR', concatBytes(be32(side), be32(side), Uint8Array.of(8, 3, 0, 0, 0))), pngChunk('acTL', concatBytes(be32(frames), be32(0))), pngChunk('PLTE', Uint8Array.of(0, 0, 0))];
    for (let f = 0; f < frames; f++) {
      parts.push(fctl());
      parts.push(f === 0 ? pngChunk('IDAT', data) : pngChunk('fdAT', concatBytes(be32(seq++), data)));
    }
    return concatBytes(...parts, IEND);
  }

  it('40 frames of 4000 x 4000 (640 MB of rows in 600 kB) are refused, naming the limit; 2 frames are read', async () => {
    const two = animation(4000, 2);
    // libspng reads the default image (the first frame) as a 4000 x 4000 indexed PNG.
    expect(await sharp(two).metadata()).toMatchObject({ format: 'png', width: 4000, height: 4000, paletteBitDepth: 8 });
    expect(findingsOf(pngFormat.walk(two, { scanData: true }))).toEqual([]);
    const forty = animation(4000, 40);
    expect(forty.length).toBeLessThan(700 * 1024);
    for (const options of [{}, { scanData: true }]) {
      expect(() => pngFormat.walk(forty, options)).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/the image and its 39 animation frame\(s\) declare 640000000 pixels together, more than the 250 MP/) }));
    }
  });

  it('the frames count against the limit the caller gives: 10 frames of 1000 x 1000 are read at 10 MP, refused at 9 MP', () => {
    const ten = animation(1000, 10);
    for (const scanData of [false, true]) {
      expect(findingsOf(pngFormat.walk(ten, { scanData, maxPixels: 10_000_000 }))).toEqual([]);
      expect(() => pngFormat.walk(ten, { scanData, maxPixels: 9_000_000 })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/the image and its 9 animation frame\(s\) declare 10000000 pixels together, more than the 9 MP/) }));
    }
  });
});

describe('PNG: a flat picture (one colour) deflated as small as deflate allows is read whole', () => {
  // 13000 x 13000 indexed, one palette entry used, zlib level 9: 169 MB of rows in about 164 kB
  // (deflate codes up to 1032 bytes in one, RFC 1951 3.2.5). Its rows are read always and again
  // for the Adler-32 under scanData; it is within maxPixels, so what it declares is read, however
  // small its file. A budget tied to the file's size refused it under scanData.
  const SIDE = 13000;
  const file = concatBytes(
    SIGNATURE,
    pngChunk('IHDR', concatBytes(be32(SIDE), be32(SIDE), Uint8Array.of(8, 3, 0, 0, 0))),
    pngChunk('PLTE', Uint8Array.of(40, 90, 200)),
    pngChunk('IDAT', deflateSync(new Uint8Array(SIDE * (1 + SIDE)), { level: 9 })),
    IEND,
  );

  it('is a PNG of that size to libspng, every pixel the one palette colour', async () => {
    expect(file.length).toBeLessThan(200 * 1024);
    expect(await sharp(file).metadata()).toMatchObject({ format: 'png', width: SIDE, height: SIDE, paletteBitDepth: 8 });
    // The last row decodes (libspng decodes every row before it) to the palette colour.
    const last = await sharp(file).extract({ left: SIDE - 4, top: SIDE - 1, width: 4, height: 1 }).raw().toBuffer();
    expect([...last]).toEqual([40, 90, 200, 40, 90, 200, 40, 90, 200, 40, 90, 200]);
  });

  it('walk and strip read it under scanData: clean, the stripped file byte for byte the input', () => {
    expect(findingsOf(pngFormat.walk(file, { scanData: true }))).toEqual([]);
    expect(Buffer.from(strip(file, { scanData: true }).bytes).equals(Buffer.from(file))).toBe(true);
  });
});
