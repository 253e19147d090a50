/**
 * `deid strip` when the core cannot rewrite a file losslessly (issue 8.1 LUT/CMYK profiles, 8.3
 * salvage): a clean re-encode in the same format with a notice saying so, or a refusal only when
 * no decoder reads the file.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { StripFileResult } from '../../src/cli/tasks/types';
import { cleanIcc } from '../../src/core/metadata/icc';
import { scanStructure } from '../../src/core/metadata/scan';
import { pngChunk, pngChunks } from '../helpers/chunks';
import { identifyingKeysLeft, readExiftool } from '../helpers/exiftool';
import { concatBytes, noiseRgb } from '../helpers/plant';
import { deid, json } from './run';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-salvage-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function stripOne(name: string, bytes: Uint8Array): Promise<{ code: number; file: StripFileResult; out: string }> {
  const input = path.join(dir, 'in', name);
  await fs.mkdir(path.dirname(input), { recursive: true });
  await fs.writeFile(input, bytes);
  const out = path.join(dir, `out-${name}`);
  const r = await deid('strip', '--json', input, '--out', out);
  return { code: r.code, file: json<{ files: StripFileResult[] }>(r.stdout).files[0], out };
}

function rgb(width: number, height: number): sharp.Sharp {
  return sharp(noiseRgb(width, height, 3), { raw: { width, height, channels: 3 } });
}

test('a CMYK JPEG (LUT profile) is converted to sRGB with canonical sRGB embedded, and says so', async () => {
  const cmyk = new Uint8Array(await rgb(48, 32).toColourspace('cmyk').withIccProfile('cmyk').withExif({ IFD0: { Artist: 'Jane Roe' } }).jpeg().toBuffer());
  expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
  const { code, file } = await stripOne('press.jpg', cmyk);
  expect(code).toBe(0);
  expect(file.lossless).toBe(false);
  expect(file.notice).toMatch(/^colours converted to sRGB/);
  const written = new Uint8Array(await fs.readFile(file.output!));
  const meta = await sharp(written).metadata();
  expect(meta.space).toBe('srgb');
  expect(cleanIcc(new Uint8Array(meta.icc!))).toMatchObject({ kind: 'canonical', space: 'srgb' });
  expect(scanStructure(written).findings).toEqual([]);
  expect(identifyingKeysLeft(readExiftool([file.output!]).get(file.output!)!)).toEqual([]);
  // The conversion went through the profile: the colours are the input's, as sharp renders it.
  const [a, b] = await Promise.all([sharp(cmyk).raw().toBuffer(), sharp(written).raw().toBuffer()]);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThan(40);
});

test('a PNG whose image data inflates to more rows than IHDR holds is salvaged: re-encoded clean, with a notice', async () => {
  const png = new Uint8Array(await rgb(30, 20).png().toBuffer());
  const [ihdr] = pngChunks(png);
  // 20 rows the IHDR describes plus one it does not, holding text: no lossless strip can cut
  // inside the compressed stream, while decoders draw the 20 rows and ignore the rest.
  const raw = Buffer.alloc(21 * 91);
  for (let y = 0; y < 20; y++) for (let x = 1; x < 91; x++) raw[y * 91 + x] = (x * 7 + y * 13) & 0xff;
  raw.write('MRN 0042 MRN 0042', 20 * 91 + 1, 'latin1');
  const hidden = concatBytes(png.subarray(0, ihdr.end), pngChunk('IDAT', new Uint8Array(deflateSync(raw))), pngChunk('IEND', new Uint8Array(0)));
  await expect(sharp(hidden, { failOn: 'none' }).raw().toBuffer()).resolves.toBeDefined();
  const { code, file } = await stripOne('hidden.png', hidden);
  expect({ code, error: file.error }).toEqual({ code: 0, error: undefined });
  expect(file.lossless).toBe(false);
  expect(file.notice).toMatch(/^salvaged: .*not-clean/);
  const written = new Uint8Array(await fs.readFile(file.output!));
  expect(scanStructure(written).findings).toEqual([]);
  const [a, b] = await Promise.all([sharp(hidden, { failOn: 'none' }).raw().toBuffer(), sharp(written).raw().toBuffer()]);
  expect(Buffer.compare(a, b)).toBe(0);
});

test('a JPEG cut off inside its scan data (libjpeg shows what is there) is written clean, never refused', async () => {
  const jpeg = new Uint8Array(await rgb(64, 48).jpeg({ quality: 90 }).toBuffer());
  const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.7));
  await expect(sharp(cut, { failOn: 'none' }).raw().toBuffer()).resolves.toBeDefined();
  const { code, file } = await stripOne('camera.jpg', cut);
  expect({ code, error: file.error }).toEqual({ code: 0, error: undefined });
  expect(path.extname(file.output!)).toBe('.jpg');
  // Either the walk tolerates the cut (lossless, with a note) or the file is salvaged; both say so.
  expect(file.notice).toMatch(file.lossless ? /./ : /^salvaged: .*(truncated|malformed)/);
  expect(scanStructure(new Uint8Array(await fs.readFile(file.output!))).findings).toEqual([]);
});

test('only what no decoder reads is refused, with both reasons, and nothing is written', async () => {
  const junk = concatBytes(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00]), new TextEncoder().encode('not a picture at all'));
  const { code, file, out } = await stripOne('junk.jpg', junk);
  expect(code).toBe(1);
  expect(file.output).toBeUndefined();
  expect(file.error).toMatch(/^refused, nothing written: (malformed|truncated): .*no decoder can read it either/);
  const listing = await fs.readdir(out).catch(() => [] as string[]);
  expect(listing).toEqual([]);
});
