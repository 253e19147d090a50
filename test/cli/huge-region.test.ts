/**
 * Region coordinates far beyond any image: JSON integers up to 2^60 are valid numbers, but above
 * 2^53 adding 1 to a cell index changes nothing (IEEE 754 doubles), so the cell loops of verify
 * and apply never ended: one sidecar or recipe stopped `deid verify`, `deid bag verify` and
 * `deid apply` for good. Run as child processes so a hang is a failed test, not a stuck run.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid } from './run';

const HUGE = 2 ** 60;
/** A hang guard only (SIGKILL: a process spinning in a loop never runs its signal handlers). */
const GUARD_MS = 60_000;

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-huge-region-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), ...args], { encoding: 'utf8', timeout: GUARD_MS, killSignal: 'SIGKILL' });
}

test('verify reports a sidecar whose mosaic region starts 2^60 px left of the image, and finishes', async () => {
  const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', path.join(tmp, 'out'), '--json');
  expect(r.code).toBe(0);
  const image: string = JSON.parse(r.stdout).image;
  const sidecarPath = image.replace(/\.jpg$/, '.deid.json');
  const sidecar = JSON.parse(await fs.readFile(sidecarPath, 'utf8'));
  // 200 px tall with 40 px cells: the policy's minimum, so only the coordinates are out of range.
  sidecar.steps[0].region = { x: -HUGE, y: 75, w: HUGE + 512, h: 200 };
  await fs.writeFile(sidecarPath, JSON.stringify(sidecar));
  const v = cli('verify', '--json', image);
  expect(v.signal).toBeNull();
  expect(v.status).toBe(1);
  const findings = JSON.parse(v.stdout).files[0].findings;
  expect(findings.some((f: { kind: string; detail: string }) => f.kind === 'hash-mismatch' && /sidecar schema/.test(f.detail))).toBe(true);
}, 3 * GUARD_MS);

test('apply refuses a recipe region 2^60 px tall, naming the step, and writes nothing', async () => {
  const recipe = path.join(tmp, 'huge.json');
  await fs.writeFile(recipe, JSON.stringify({ steps: [{ op: 'pixelate', region: { x: 150, y: -HUGE, w: 200, h: HUGE + 400 }, regionKind: 'face', cellSize: 40 }] }));
  const out = path.join(tmp, 'huge-out');
  const a = cli('apply', recipe, SAMPLE, '--out', out);
  expect(a.signal).toBeNull();
  expect(a.status).toBe(2); // a recipe that does not follow the format is a usage error
  expect(a.stderr).toMatch(/step 1 \(pixelate\): region .*16777216/);
  await expect(fs.readdir(out)).rejects.toThrow();
}, 3 * GUARD_MS);
