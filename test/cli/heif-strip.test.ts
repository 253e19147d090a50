/**
 * `deid strip` on HEIC and AVIF: written in their own format, losslessly (heif-convert decodes
 * the same samples), verify of the outputs clean; a file the rewrite refuses (an image sequence)
 * goes through the re-encoding salvage path with a notice saying why.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { box, fullBox } from '../helpers/chunks';
import { identifyingKeysLeft, readExiftool } from '../helpers/exiftool';
import { heifDecode, heifEnc } from '../helpers/heif';
import { concatBytes, noiseRgb, plantWithExiftool, tempDir } from '../helpers/plant';
import { deid, json } from './run';

const PLANT = ['-Artist=Zebra Patient', '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-XMP-dc:Creator=Zebra Patient'];

let dir: string;
let out: string;
let heic: Uint8Array;
let avif: Uint8Array;

beforeAll(async () => {
  dir = tempDir('deid-heif-cli-');
  out = path.join(dir, 'out');
  const png = await sharp(noiseRgb(48, 32, 3), { raw: { width: 48, height: 32, channels: 3 } }).png().toBuffer();
  heic = await plantWithExiftool(await heifEnc(png, ['-t', '16']), PLANT, '.heic');
  avif = await plantWithExiftool(new Uint8Array(await sharp(png).avif({ quality: 60 }).toBuffer()), PLANT, '.avif');
  const sequence = concatBytes(new Uint8Array(await sharp(png).avif().toBuffer()), box('moov', fullBox('mvhd', 0, 0, new Uint8Array(96))));
  await fs.mkdir(path.join(dir, 'in'));
  await fs.writeFile(path.join(dir, 'in', 'phone.heic'), heic);
  await fs.writeFile(path.join(dir, 'in', 'web.avif'), avif);
  await fs.writeFile(path.join(dir, 'in', 'sequence.avif'), sequence);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('HEIC and AVIF are written as HEIC and AVIF, losslessly; a sequence is salvaged by re-encoding', async () => {
  const r = await deid('strip', '--json', path.join(dir, 'in'), '--out', out);
  expect(r.code).toBe(0);
  const files = json<{ files: Array<{ input: string; output?: string; lossless: boolean; notice?: string }> }>(r.stdout).files;
  const by = (name: string) => files.find((f) => path.basename(f.input) === name)!;
  expect(path.relative(out, by('phone.heic').output!)).toBe('phone.heic');
  expect(by('phone.heic').lossless).toBe(true);
  expect(path.relative(out, by('web.avif').output!)).toBe('web.avif');
  expect(by('web.avif').lossless).toBe(true);
  expect(path.relative(out, by('sequence.avif').output!)).toBe('sequence.png');
  expect(by('sequence.avif').lossless).toBe(false);
  expect(by('sequence.avif').notice).toMatch(/lossless rewrite refused it: .*image sequences/);

  const outputs = files.map((f) => f.output!);
  const records = readExiftool(outputs);
  expect(outputs.flatMap((o) => identifyingKeysLeft(records.get(o)!))).toEqual([]);
  const [a, b] = await Promise.all([heifDecode(heic), heifDecode(new Uint8Array(await fs.readFile(path.join(out, 'phone.heic'))))]);
  expect(a.data.equals(b.data)).toBe(true);

  const v = await deid('verify', '--json', out);
  expect(json<{ summary: { clean: number; files: number } }>(v.stdout).summary).toEqual(expect.objectContaining({ files: 3, clean: 3 }));
  expect(v.code).toBe(0);
});
