import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDeid } from '../helpers/cli';
import sharp from 'sharp';
import { CORPUS } from '../helpers/paths';

// Two inputs with one output name in two runs (ward3/x.jpg today, ward4/x.jpg tomorrow into the
// same --out; a second camera card reusing IMG_0001.JPG): the second run wrote over the first
// run's output with a warning, exit 0, and the first photo's clean copy was gone. Now a differing
// earlier output is kept unless the user chooses --replace. Oracle: libjpeg's djpeg decodes each
// output, whose pixels must be those of the photo it claims to be (the strip is lossless).

const FIRST = path.join(CORPUS, 'jpg', 'Canon_40D.jpg');
const SECOND = path.join(CORPUS, 'jpg', 'Nikon_D70.jpg');

const run = runDeid;

/** Pixels as libjpeg-turbo's djpeg decodes them (PPM). */
function djpeg(file: string): Buffer {
  const r = spawnSync('djpeg', ['-ppm', file]);
  expect(r.status).toBe(0);
  return r.stdout;
}

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-collide-'));
  for (const [dir, photo] of [['ward3', FIRST], ['ward4', SECOND]] as const) {
    fs.mkdirSync(path.join(work, dir));
    fs.copyFileSync(photo, path.join(work, dir, 'x.jpg'));
  }
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

test('a second run with another photo of the same name keeps the first output and refuses, saying how to choose', () => {
  expect(run(['strip', 'ward3', '--out', 'out'], work).code).toBe(0);
  const output = path.join(work, 'out', 'x.jpg');
  const firstOutput = fs.readFileSync(output);
  expect(djpeg(output).equals(djpeg(FIRST))).toBe(true);

  const second = run(['strip', 'ward4', '--out', 'out'], work);
  expect(second.code).toBe(1);
  expect(second.stdout).toBe(
    `REFUSED   ward4/x.jpg: refused, nothing written: an earlier output is already at ${output} and differs from this one (another photo with the same name, from another folder or card, or this photo before it changed); it was kept. To replace it, run again with --replace; to keep both, strip into another --out\n` +
      '1 files: 0 written, 1 refused\n',
  );
  expect(fs.readFileSync(output).equals(firstOutput)).toBe(true);
  expect(fs.readdirSync(path.join(work, 'out'))).toEqual(['x.jpg']);

  // --resume (issue 12) does not take it for this photo's output, nor replace it.
  const resumed = run(['strip', '--json', '--resume', 'ward4', '--out', 'out'], work);
  expect(resumed.code).toBe(1);
  expect(JSON.parse(resumed.stdout).summary).toMatchObject({ written: 0, resumed: 0, replaced: 0, errors: 1 });
  expect(fs.readFileSync(output).equals(firstOutput)).toBe(true);

  // The user's explicit choice: replaced, said in the line and counted.
  const chosen = run(['strip', '--replace', 'ward4', '--out', 'out'], work);
  expect(chosen.code).toBe(0);
  expect(chosen.stdout).toMatch(/^stripped {2}ward4\/x\.jpg -> .*out\/x\.jpg \(.*replaced the earlier output there \(--replace\)\)\n1 files: 1 written \(1 over earlier outputs\), 0 refused\n$/);
  expect(djpeg(output).equals(djpeg(SECOND))).toBe(true);
  expect(fs.readdirSync(path.join(work, 'out'))).toEqual(['x.jpg']);
});

test('the same photo stripped again rewrites its identical output without a word; --resume keeps it', () => {
  expect(run(['strip', 'ward3', '--out', 'out'], work).code).toBe(0);
  const before = fs.readFileSync(path.join(work, 'out', 'x.jpg'));
  const again = run(['strip', '--json', 'ward3', '--out', 'out'], work);
  expect(again.code).toBe(0);
  const [file] = JSON.parse(again.stdout).files;
  expect(file.replaced).toBeUndefined();
  expect(file.notice ?? '').not.toMatch(/replaced the earlier output/);
  expect(JSON.parse(again.stdout).summary).toMatchObject({ written: 1, replaced: 0, errors: 0 });
  expect(fs.readFileSync(path.join(work, 'out', 'x.jpg')).equals(before)).toBe(true);
  const resumed = run(['strip', '--json', '--resume', 'ward3', '--out', 'out'], work);
  expect(JSON.parse(resumed.stdout).summary).toMatchObject({ written: 0, resumed: 1 });
});

test('a clean image the user put in --out under an output\'s name is kept unless --replace', async () => {
  fs.mkdirSync(path.join(work, 'out'));
  // Someone's own clean picture (no metadata: it looks like an earlier output).
  const mine = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 200, b: 30 } } }).jpeg().toBuffer();
  fs.writeFileSync(path.join(work, 'out', 'x.jpg'), mine);
  const r = run(['strip', 'ward3', '--out', 'out'], work);
  expect(r.code).toBe(1);
  expect(fs.readFileSync(path.join(work, 'out', 'x.jpg')).equals(mine)).toBe(true);
});

test('--replace never replaces an original photo or a de-identified export; one run still refuses its own second x.jpg', () => {
  fs.mkdirSync(path.join(work, 'out'));
  // An original (metadata in it), as when --out names a folder of originals by mistake.
  fs.copyFileSync(SECOND, path.join(work, 'out', 'x.jpg'));
  const r = run(['strip', '--replace', 'ward3', '--out', 'out'], work);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/it carries metadata, so it is not an earlier output of deid strip; it was left as it is/);
  expect(fs.readFileSync(path.join(work, 'out', 'x.jpg')).equals(fs.readFileSync(SECOND))).toBe(true);

  const both = run(['strip', '--replace', 'ward3', 'ward4', '--out', 'one-run'], work);
  expect(both.code).toBe(1);
  expect(both.stdout).toMatch(/REFUSED {3}ward4\/x\.jpg: refused, nothing written: ward3\/x\.jpg already wrote .*x\.jpg in this run/);
  expect(djpeg(path.join(work, 'one-run', 'x.jpg')).equals(djpeg(FIRST))).toBe(true);
});
