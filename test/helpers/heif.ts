/**
 * HEIF oracles from Debian's libheif-examples (installed by .ci/run): `heif-enc` makes HEIC
 * files from PNGs with x265, `heif-convert` decodes HEVC, which this build of sharp cannot.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { tempDir } from './plant';

const run = promisify(execFile);

/** A HEIC (or, with `.avif`, an AVIF) encoded by heif-enc from a PNG; `args` e.g. ['-t', '32']. */
export async function heifEnc(png: Uint8Array, args: readonly string[] = [], ext = '.heic'): Promise<Uint8Array> {
  const dir = tempDir('deid-heifenc-');
  try {
    await fs.writeFile(path.join(dir, 'in.png'), png);
    await run('heif-enc', ['-q', '60', ...args, '-o', path.join(dir, `out${ext}`), path.join(dir, 'in.png')]);
    return new Uint8Array(await fs.readFile(path.join(dir, `out${ext}`)));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface Decoded {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
}

/**
 * The primary image of a HEIF/AVIF as decoded by heif-convert (libheif), as raw samples: the
 * PNG it writes is read with its ICC profile ignored, so samples are compared, not colours.
 */
export async function heifDecode(bytes: Uint8Array, ext = '.heic'): Promise<Decoded> {
  const dir = tempDir('deid-heifdec-');
  try {
    await fs.writeFile(path.join(dir, `in${ext}`), bytes);
    await run('heif-convert', [path.join(dir, `in${ext}`), path.join(dir, 'out.png')]);
    const { data, info } = await sharp(path.join(dir, 'out.png'), { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
