/** `deid apply` with recipes a person writes (issue 8.5) and its work limits (issue 13.5). */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { SAMPLE } from '../helpers/paths';
import { deid, json } from './run';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-apply-recipe-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function write(name: string, value: unknown): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, JSON.stringify(value));
  return file;
}

test('a hand-written recipe (cellsAcross, no at) is applied; the sidecar records the cell size and times', async () => {
  const recipe = await write('hand.json', { steps: [
    { op: 'pixelate', region: { x: 150, y: 75, w: 200, h: 250 }, regionKind: 'face', cellsAcross: 5 },
    { op: 'overlay', region: { x: 396, y: 326, w: 208, h: 78 }, regionKind: 'text' },
  ] });
  const out = path.join(tmp, 'out');
  const r = await deid('apply', recipe, SAMPLE, '--out', out, '--json');
  expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
  const sidecar = parseSidecar(await fs.readFile(json(r.stdout).sidecar, 'utf8'));
  const mosaic = sidecar.steps.find((s) => s.op === 'pixelate')!;
  expect(mosaic).toMatchObject({ cellSize: 40, cellsAcross: 5 });
  expect(new Set(sidecar.steps.map((s) => s.at)).size).toBe(1);
  // The written image verifies clean against its sidecar (regions really obscured).
  const v = await deid('verify', '--json', json(r.stdout).image);
  expect(json(v.stdout).files[0].findings.filter((f: { kind: string }) => f.kind === 'not-obscured')).toEqual([]);
});

test('a recipe mistake names the step and field; nothing is written', async () => {
  const recipe = await write('typo.json', { steps: [{ op: 'overlay', region: { x: 1, y: 1, w: 5, h: 5 } }, { op: 'pixelate', region: { x: 0, y: 0, w: 100, h: 100 }, regionKind: 'face', cellsacross: 5 }] });
  const out = path.join(tmp, 'typo-out');
  const r = await deid('apply', recipe, SAMPLE, '--out', out);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/recipe step 2 \(pixelate\): field "cellsacross" is not allowed here/);
  await expect(fs.readdir(out)).rejects.toThrow();
});

test('an image above the policy\'s pixel limit is refused before decoding, naming the limit', async () => {
  const policy = await write('small.json', { policyVersion: 1, maxPixels: 10_000 });
  const recipe = await write('one.json', { steps: [{ op: 'overlay', region: { x: 1, y: 1, w: 5, h: 5 } }] });
  const out = path.join(tmp, 'limit-out');
  const r = await deid('apply', recipe, SAMPLE, '--out', out, '--policy', policy);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/more than the limit of 0 MP \(maxPixels in the policy file\)/);
  await expect(fs.readdir(out)).rejects.toThrow();
});

test('a sidecar with more steps than the limit is a finding at once, and JSON is still printed', async () => {
  const out = path.join(tmp, 'sc');
  const recipe = await write('r.json', { steps: [{ op: 'overlay', region: { x: 1, y: 1, w: 5, h: 5 } }] });
  const r = await deid('apply', recipe, SAMPLE, '--out', out, '--json');
  const { image, sidecar } = json(r.stdout);
  const doc = JSON.parse(await fs.readFile(sidecar, 'utf8'));
  doc.steps = Array.from({ length: 200_000 }, () => ({ op: 'flatten', at: doc.createdAt }));
  await fs.writeFile(sidecar, JSON.stringify(doc));
  const v = await deid('verify', '--json', image);
  const file = json(v.stdout).files[0];
  expect(file.clean).toBe(false);
  expect(file.findings.map((f: { detail: string }) => f.detail).join(' ')).toMatch(/200000 steps or checklist items, more than the limit of 50000/);
});
