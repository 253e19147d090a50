/**
 * What a browser shows of the hostile files the --scan-data rules are about (chromium: its own
 * PNG decoder and libwebp through Skia), against sharp's decoding of the clean twin: the planted
 * bits change nothing a viewer sees, which is why only the bytes can tell.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { be32, pngChunk } from '../helpers/chunks';
import { launchBrowser } from '../helpers/browser';
import { concatBytes, noiseRgb } from '../helpers/plant';
import { opaqueMarkedVp8l } from '../helpers/webp-build';

/** RGBA as chromium decodes `bytes` (an <img> drawn to a canvas, read back). */
async function browserPixels(bytes: Uint8Array, mime: string): Promise<Buffer> {
  const { browser, close } = await launchBrowser();
  try {
    const page = await browser.newPage();
    const data = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      ctx.drawImage(img, 0, 0);
      return Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data);
    }, `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`);
    return Buffer.from(data);
  } finally {
    await close();
  }
}

test('chromium draws a PNG whose Adler-32 holds "JD62" exactly as the clean file', async () => {
  const width = 12;
  const height = 9;
  const rgb = noiseRgb(width, height, 6);
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const stream = Uint8Array.from(deflateSync(rows));
  stream.set([0x4a, 0x44, 0x36, 0x32], stream.length - 4);
  const png = concatBytes(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', concatBytes(be32(width), be32(height), Uint8Array.of(8, 2, 0, 0, 0))), pngChunk('IDAT', stream), pngChunk('IEND', new Uint8Array(0)));
  const shown = await browserPixels(png, 'image/png');
  expect(shown.equals(await sharp(rgb, { raw: { width, height, channels: 3 } }).ensureAlpha().raw().toBuffer())).toBe(true);
}, 60_000);

test('a lossless WebP marked opaque holding alpha: sharp drops the alpha, chromium draws it (two pictures, one file)', async () => {
  const opaque = (argb: number) => opaqueMarkedVp8l(10, 7, argb);
  const hostile = opaque(0x4a102030);
  // libwebp's WebPGetFeatures takes has_alpha from the header: sharp decodes three channels, the clean twin's.
  expect((await sharp(hostile).metadata()).channels).toBe(3);
  expect((await sharp(hostile).raw().toBuffer()).equals(await sharp(opaque(0xff102030)).raw().toBuffer())).toBe(true);
  // Chromium draws the decoded alpha: what a reviewer sees through sharp is not what a browser shows.
  const shown = await browserPixels(hostile, 'image/webp');
  expect(Array.from({ length: shown.length / 4 }, (_, i) => shown[i * 4 + 3]).every((a) => a === 0x4a)).toBe(true);
}, 60_000);
