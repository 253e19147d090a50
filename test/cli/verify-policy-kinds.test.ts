/**
 * verify judges every recorded region by the policy it is given (DESIGN.md: "each recorded region
 * really is obscured (solid, or mosaic cells at least the recorded and enforced size)"), and the
 * policy decides which kinds of region a mosaic may cover at all: never text (pixelated text is
 * read back: Hill et al. 2016, Depix; research/deid-threats.md section 1), and an institution may
 * allow it on fewer kinds still. A mosaic the policy forbids for its kind is not obscured.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid } from './run';

let tmp: string;
let image: string;
let sidecarPath: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-verify-kinds-'));
  // The sample recipe: a 40 px mosaic over the face, an overlay over the badge.
  const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', path.join(tmp, 'out'), '--json');
  expect(r.code).toBe(0);
  image = JSON.parse(r.stdout).image;
  sidecarPath = image.replace(/\.jpg$/, '.deid.json');
}, 60_000);

afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

async function notObscured(args: string[]): Promise<Array<{ where: string; detail: string }>> {
  const r = await deid('verify', '--json', ...args, image);
  expect(r.code).toBe(1); // the sidecar is not signed off: checklist-incomplete at least
  return JSON.parse(r.stdout).files[0].findings.filter((f: { kind: string }) => f.kind === 'not-obscured');
}

test('under the default policy the face mosaic is obscured', async () => {
  expect(await notObscured([])).toEqual([]);
});

test("an institution's policy that allows mosaics only on marks: the face mosaic is reported, the overlay is not", async () => {
  const policy = path.join(tmp, 'overlay-faces.json');
  await fs.writeFile(policy, JSON.stringify({ policyVersion: 1, mosaicKinds: ['mark'] }));
  // apply under that policy refuses the same recipe: verify must not accept what apply refuses.
  const refused = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', path.join(tmp, 'refused'), '--policy', policy);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/mosaic is not allowed on a face or head by this policy/);
  const found = await notObscured(['--policy', policy]);
  expect(found).toHaveLength(1);
  expect(found[0].where).toMatch(/^region 1 \(pixelate\) at 150,75 200x250/);
  expect(found[0].detail).toMatch(/mosaic is not allowed on a face or head by this policy/);
});

test('a sidecar that records its mosaic as covering text is reported under any policy', async () => {
  const original = await fs.readFile(sidecarPath, 'utf8');
  try {
    await fs.writeFile(sidecarPath, original.replace('"regionKind": "face"', '"regionKind": "text"'));
    const found = await notObscured([]);
    expect(found).toHaveLength(1);
    expect(found[0].detail).toMatch(/mosaic is not allowed on text/);
  } finally {
    await fs.writeFile(sidecarPath, original);
  }
});
