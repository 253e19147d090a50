import sharp from 'sharp';
import type { ExportFormat } from '../../src/actions';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { MemoryHost, makeFolder as makeMemoryFolder, type Codec, type MemoryFolder } from '../../preview/memory-host';

/**
 * The in-memory Host for the panel tests, with sharp as its codec: JPEGs carry an EXIF block,
 * as Photoshop's do, so the panel's export really has something to strip.
 */
export type FakeFolder = MemoryFolder;
export const makeFolder = makeMemoryFolder;

const COMPONENTS = 3;

/** A smooth gradient with a checker, so any obscuring changes pixels. */
export function gradient(width: number, height: number): PixelBuffer {
  const data = new Uint8Array(width * height * COMPONENTS);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * COMPONENTS;
      const checker = (x + y) % 2 === 0 ? 30 : 0;
      data[p] = Math.round((x * 200) / width) + checker;
      data[p + 1] = Math.round((y * 200) / height) + checker;
      data[p + 2] = 100;
    }
  }
  return { data, width, height, components: COMPONENTS, hasAlpha: false, maxValue: 255 };
}

const sharpCodec: Codec = {
  async encode(pixels: PixelBuffer, format: ExportFormat): Promise<Uint8Array> {
    const image = sharp(Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength), {
      raw: { width: pixels.width, height: pixels.height, channels: COMPONENTS },
    });
    const out =
      format === 'png'
        ? await image.png().toBuffer()
        : await image.withExif({ IFD0: { Artist: 'Dr Example', Software: 'Adobe Photoshop 25.0' } }).jpeg({ quality: 95 }).toBuffer();
    return new Uint8Array(out);
  },
  async decode(bytes: Uint8Array): Promise<PixelBuffer> {
    const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data), width: info.width, height: info.height, components: COMPONENTS, hasAlpha: false, maxValue: 255 };
  },
};

export class FakeHost extends MemoryHost {
  constructor() {
    super(sharpCodec);
  }
}
