import sharp from 'sharp';
import { decodePng } from '../../src/actions/png-pixels';

/** sharp/libvips is the independent encoder: every filter, 8 and 16 bits, gray and RGB(A). */
describe('the self-test\'s own PNG decoder', () => {
  test.each([
    [3, 8], [4, 8], [1, 8], [3, 16], [4, 16],
  ] as const)('%i channels, %i-bit, as libvips writes them', async (channels, bits) => {
    const n = 37 * 23 * channels;
    const values = bits === 16 ? Uint16Array.from({ length: n }, (_, i) => (i * 7919) % 65536) : Uint8Array.from({ length: n }, (_, i) => (i * 31) % 256);
    // A Uint16Array makes sharp read 16-bit samples; rgb16 keeps them 16-bit in the PNG.
    let image = sharp(values, { raw: { width: 37, height: 23, channels } });
    if (bits === 16) image = image.pipelineColourspace('rgb16').toColourspace('rgb16');
    else if (channels === 1) image = image.toColourspace('b-w');
    const png = new Uint8Array(await image.png({ adaptiveFiltering: true, compressionLevel: 9 }).toBuffer());
    expect((await sharp(png).metadata()).depth).toBe(bits === 16 ? 'ushort' : 'uchar');
    const decoded = decodePng(png);
    expect([decoded.width, decoded.height, decoded.components, decoded.maxValue]).toEqual([37, 23, channels, bits === 16 ? 65535 : 255]);
    expect(Array.from(decoded.data)).toEqual(Array.from(values));
  });

  test('refuses what is not a PNG, and interlaced PNGs', async () => {
    expect(() => decodePng(new Uint8Array(40))).toThrow(/no PNG signature/);
    const interlaced = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png({ progressive: true }).toBuffer());
    expect(() => decodePng(interlaced)).toThrow(/interlaced/);
  });
});
