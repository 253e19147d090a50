import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { SAMPLE } from '../helpers/paths';
import { deid, json } from './run';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-usage-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('no command is a usage error (exit 2)', async () => {
  expect((await deid()).code).toBe(2);
});

test('strip without --out is a usage error and writes nothing', async () => {
  const r = await deid('strip', SAMPLE);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--out/);
});

test('a mistyped option is named as such, with the option meant, not reported as the required option missing', async () => {
  const out = path.join(tmp, 'clean');
  const strip = await deid('strip', SAMPLE, '--ou', out);
  expect(strip.code).toBe(2);
  expect(strip.stderr).toBe("error: unknown option '--ou'\n(Did you mean --out?)\n");
  const bag = await deid('bag', 'create', tmp, '--out', path.join(tmp, 'bag'), '--recipent', 'Partner Lab', '--method', 'USB');
  expect(bag.code).toBe(2);
  expect(bag.stderr).toBe("error: unknown option '--recipent'\n(Did you mean --recipient?)\n");
  // Really missing, it is still said so, and nothing is written.
  const missing = await deid('bag', 'create', tmp, '--out', path.join(tmp, 'bag'), '--method', 'USB');
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe("error: required option '--recipient <organization>' not specified\n");
  expect(await fs.readdir(tmp)).toEqual([]);
});

test('--out naming the photos folder itself, or a folder holding it, is refused saying which --out to give; nothing is written', async () => {
  const photos = path.join(tmp, 'Study photos');
  await fs.mkdir(photos);
  await fs.copyFile(SAMPLE, path.join(photos, 'IMG_0001.jpg'));
  for (const out of [photos, tmp]) {
    const r = await deid('strip', photos, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`REFUSED   ${photos}: refused: this folder is the --out folder or inside it, and outputs are never read as input: give --out a folder that does not hold the photos (a new one beside them)`);
  }
  expect(await fs.readdir(tmp)).toEqual(['Study photos']);
  expect(await fs.readdir(photos)).toEqual(['IMG_0001.jpg']);
});

test('a path that does not exist is unreadable input (exit 2) and is reported', async () => {
  const r = await deid('verify', '--json', path.join(tmp, 'missing.jpg'));
  expect(r.code).toBe(2);
  const report = json(r.stdout);
  expect(report.summary).toEqual({ files: 1, clean: 0, withFindings: 0, errors: 1, skipped: 0, sidecars: 0 });
  expect(report.files[0].error).toMatch(/cannot read/);
});

test('a named file that is not an image is an error; inside a directory it is skipped with a reason, and nothing checked is not a pass', async () => {
  const text = path.join(tmp, 'notes.txt');
  await fs.writeFile(text, 'not an image');
  const named = await deid('verify', '--json', text);
  expect(named.code).toBe(2);
  expect(json(named.stdout).files[0].error).toMatch(/not a JPEG, PNG/);
  const inDir = await deid('verify', '--json', tmp);
  expect(inDir.code).toBe(2);
  expect(inDir.stderr).toMatch(/no image was checked/);
  expect(json(inDir.stdout).summary).toMatchObject({ files: 0, skipped: 1 });
  expect(json(inDir.stdout).files).toEqual([{ path: text, format: null, clean: false, findings: [], skipped: 'unsupported', reason: 'unsupported format (not an image deid reads)' }]);
  const allowed = await deid('verify', '--json', '--allow-skipped', tmp);
  expect(allowed.code).toBe(0);
});

test('--jobs must be a positive whole number', async () => {
  expect((await deid('verify', '--jobs', '0', SAMPLE)).code).toBe(2);
});

test('strip never writes over an input, even when told to write into the input folder', async () => {
  const input = path.join(tmp, 'a.jpg');
  await fs.copyFile(SAMPLE, input);
  const before = await fs.readFile(input);
  const r = await deid('strip', '--json', tmp, '--out', tmp);
  expect(r.code).toBe(2);
  expect(json(r.stdout).files[0].error).toMatch(/is the --out folder or inside it/);
  expect(Buffer.compare(await fs.readFile(input), before)).toBe(0);
  expect((await fs.readdir(tmp)).sort()).toEqual(['a.jpg']);
});

test('a truncated JPEG is reported as unreadable input with its reason (exit 2), and strip salvages it with a notice', async () => {
  const cut = path.join(tmp, 'cut.jpg');
  const bytes = await fs.readFile(SAMPLE);
  await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const v = await deid('verify', '--json', cut);
  expect(v.code).toBe(2);
  expect(json(v.stdout).files[0].error).toMatch(/^truncated: JPEG/);
  const out = path.join(tmp, 'out');
  const s = await deid('strip', '--json', cut, '--out', out);
  // Issue 8.3: libjpeg shows what is there, so strip re-encodes it clean and says so.
  expect(s.code).toBe(0);
  expect(json(s.stdout).files[0]).toMatchObject({ lossless: false, notice: expect.stringMatching(/^salvaged: .*truncated/) });
  expect(await fs.readdir(out)).toEqual(['cut.jpg']);
});

test('strip never writes over an input reached through a symlinked --out', async () => {
  const inputs = path.join(tmp, 'in');
  await fs.mkdir(inputs);
  const input = path.join(inputs, 'p.jpg');
  await fs.copyFile(SAMPLE, input);
  const before = await fs.readFile(input);
  await fs.symlink(inputs, path.join(tmp, 'link'));
  const r = await deid('strip', '--json', input, '--out', path.join(tmp, 'link'));
  expect(r.code).toBe(2);
  expect(json(r.stdout).files[0].error).toMatch(/inside the --out directory/);
  expect(Buffer.compare(await fs.readFile(input), before)).toBe(0);
  expect((await fs.readdir(inputs)).sort()).toEqual(['p.jpg']);
});

test('two inputs that map to one output: the first is written, the second refused, nothing replaced', async () => {
  const inputs = path.join(tmp, 'in');
  await fs.mkdir(inputs);
  await sharp(SAMPLE).png().toFile(path.join(inputs, 'photo.png'));
  // A TIFF libtiff reads but the lossless rewrite refuses (BitsPerSample written as LONG, not the
  // SHORT of TIFF 6.0 section 8): it takes the salvage path, re-encoded to photo.png.
  const grey = await sharp(SAMPLE).toColourspace('b-w').tiff({ compression: 'none' }).toBuffer();
  const ifd = grey.readUInt32LE(4);
  for (let i = 0; i < grey.readUInt16LE(ifd); i++) if (grey.readUInt16LE(ifd + 2 + i * 12) === 258) grey.writeUInt16LE(4, ifd + 2 + i * 12 + 2);
  await fs.writeFile(path.join(inputs, 'photo.tif'), grey);
  const out = path.join(tmp, 'out');
  const r = await deid('strip', '--json', inputs, '--out', out);
  expect(r.code).toBe(1);
  const report = json(r.stdout);
  const [png, tif] = ['photo.png', 'photo.tif'].map((n) => report.files.find((f: { input: string }) => f.input.endsWith(n)));
  expect(png.output).toBe(path.join(out, 'photo.png'));
  expect(tif.error).toMatch(/already wrote .*photo\.png in this run/);
  // The file on disk is the lossless PNG strip, not the re-encoded TIFF.
  const written = await fs.readFile(path.join(out, 'photo.png'));
  expect(Buffer.compare(await sharp(written).raw().toBuffer(), await sharp(path.join(inputs, 'photo.png')).raw().toBuffer())).toBe(0);
  expect((await fs.readdir(out)).sort()).toEqual(['photo.png']);
  expect(report.summary).toEqual({ files: 2, written: 1, resumed: 0, replaced: 0, errors: 1, skipped: 0, sidecars: 0, unreadable: 0, insideOut: 0 });
});

test('two file arguments with the same name are not both written to <out>/<name>', async () => {
  for (const d of ['a', 'b']) {
    await fs.mkdir(path.join(tmp, d));
    await fs.copyFile(SAMPLE, path.join(tmp, d, 'x.jpg'));
  }
  const out = path.join(tmp, 'out');
  const r = await deid('strip', '--json', path.join(tmp, 'a', 'x.jpg'), path.join(tmp, 'b', 'x.jpg'), '--out', out);
  expect(r.code).toBe(1);
  expect(json(r.stdout).files.map((f: { error?: string }) => Boolean(f.error))).toEqual([false, true]);
  expect(await fs.readdir(out)).toEqual(['x.jpg']);
});
