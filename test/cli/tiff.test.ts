/**
 * `deid strip` on TIFFs (issue 9): TIFF in, TIFF out, losslessly (BigTIFF stays BigTIFF, every
 * page kept); a CMYK TIFF takes the salvage path (re-encoded to sRGB PNG, with the reason); and
 * `deid verify` of the output tree is clean.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { noiseRgb, plantWithExiftool, tempDir } from '../helpers/plant';
import { ascii, bigTiff, decodeAll, sharpTiff } from '../helpers/tiff-build';
import { deid, json } from './run';

interface StripReport {
  files: Array<{ input: string; output?: string; format: string; lossless: boolean; notice?: string; error?: string }>;
  summary: { files: number; written: number; errors: number } & Record<string, number>;
}

test('strip writes TIFF as TIFF with the same pixels; CMYK is salvaged to PNG; verify of the output is clean', async () => {
  const tmp = tempDir('deid-cli-tiff-');
  const inputs = path.join(tmp, 'in');
  const out = path.join(tmp, 'out');
  await fs.mkdir(inputs);
  const planted = await plantWithExiftool(await sharpTiff({ compression: 'lzw' }), ['-Artist=Jane Doe', '-HostComputer=WARD-7', '-GPSLatitude=1', '-GPSLatitudeRef=N', '-XMP:Creator=Jane Doe'], '.tif');
  const cmyk = await sharp(noiseRgb(16, 8), { raw: { width: 16, height: 8, channels: 3 } }).toColourspace('cmyk').withIccProfile('cmyk').tiff().toBuffer();
  const files: Record<string, Uint8Array> = {
    'planted.tif': planted,
    'pages.tiff': await sharpTiff({ compression: 'deflate' }, { pages: 3 }),
    'big.tif': bigTiff(2, [ascii(315, 'Jane Doe')]),
    'cmyk.tif': new Uint8Array(cmyk),
  };
  for (const [name, bytes] of Object.entries(files)) await fs.writeFile(path.join(inputs, name), bytes);

  const r = await deid('strip', '--json', inputs, '--out', out);
  expect(r.code).toBe(0);
  const report = json<StripReport>(r.stdout);
  expect(report.summary).toEqual(expect.objectContaining({ files: 4, written: 4, errors: 0 }));
  const byName = (n: string) => report.files.find((f) => path.basename(f.input) === n)!;
  for (const name of ['planted.tif', 'pages.tiff', 'big.tif']) {
    const f = byName(name);
    expect({ name, lossless: f.lossless, output: f.output }).toEqual({ name, lossless: true, output: path.join(out, name) });
    const written = new Uint8Array(await fs.readFile(f.output!));
    expect(written[2]).toBe(files[name][2]);
    expect(Buffer.from(written).includes('Jane Doe')).toBe(false);
    const [a, b] = await Promise.all([decodeAll(files[name]), decodeAll(written)]);
    expect({ name, same: a.equals(b) }).toEqual({ name, same: true });
  }
  const salvaged = byName('cmyk.tif');
  expect(salvaged.lossless).toBe(false);
  expect(salvaged.output).toBe(path.join(out, 'cmyk.png'));
  expect(salvaged.notice).toMatch(/re-encoded TIFF to PNG .*colour profile needs a pixel conversion/);

  const v = await deid('verify', '--json', out);
  const verify = json<{ files: Array<{ path: string; clean: boolean }> }>(v.stdout);
  expect(verify.files.map((f) => [path.basename(f.path), f.clean]).sort()).toEqual([['big.tif', true], ['cmyk.png', true], ['pages.tiff', true], ['planted.tif', true]]);
  expect(v.code).toBe(0);
  await fs.rm(tmp, { recursive: true, force: true });
});
