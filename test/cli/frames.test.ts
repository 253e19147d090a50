import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { REPO, SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { applySample, rebindImage } from '../helpers/review';
import { deid, json } from './run';

// libvips decodes the first frame of an animation only; a browser plays them all. A file with a
// second frame showing the face must not pass a pixel check made on the first (pixels-io.ts).

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-frames-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** An animated WebP: `first` as frame one, the untouched sample photo (face and all) as frame two. */
async function animation(first: Buffer | string): Promise<Buffer> {
  const still = await sharp(SAMPLE).rotate().png().toBuffer();
  const one = await sharp(first).resize((await sharp(still).metadata()).width, (await sharp(still).metadata()).height).png().toBuffer();
  const anim = await sharp([one, still], { join: { animated: true } }).webp({ lossless: true }).toBuffer();
  // The oracle: libvips itself sees two frames, the second being the photo.
  expect((await sharp(anim).metadata()).pages).toBe(2);
  return anim;
}

test('verify: an export re-saved as an animation whose second frame is the photo is not clean', async () => {
  const exp = await applySample(tmp);
  rebindImage(exp, await animation(exp.image));
  const r = await deid('verify', '--json', exp.image);
  expect(r.code).toBe(1);
  const [file] = json(r.stdout).files;
  const frames = file.findings.filter((f: { kind: string; detail: string }) => f.kind === 'not-obscured' && /2 frames or pages/.test(f.detail));
  expect(frames.length).toBeGreaterThan(0);
});

test('detect and apply refuse an animation instead of reading its first frame only', async () => {
  const anim = path.join(tmp, 'photo.webp');
  const { width, height } = await sharp(SAMPLE).rotate().toBuffer({ resolveWithObject: true }).then((r) => r.info);
  await fs.writeFile(anim, await animation(await sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toBuffer()));
  // The detectors run in a process of their own (onnxruntime does not load in jest's sandbox).
  const detect = spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'detect', '--json', anim], { encoding: 'utf8' });
  expect(detect.status).toBe(2);
  expect(detect.stdout + detect.stderr).toMatch(/2 frames or pages/);
  const apply = await deid('apply', SAMPLE_RECIPE, anim, '--out', path.join(tmp, 'out'));
  expect(apply.code).toBe(2);
  expect(apply.stderr).toMatch(/2 frames or pages/);
  await expect(fs.readdir(path.join(tmp, 'out')).catch(() => [])).resolves.toEqual([]);
});
