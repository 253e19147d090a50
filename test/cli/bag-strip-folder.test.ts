import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDeid } from '../helpers/cli';
import { CORPUS, SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';

// A folder made by `deid strip` alone (clean copies, no sidecars) cannot be bagged: that rule
// stays. What changed is the message: it listed each photo as "an image with no <id>.deid.json
// sidecar beside it" and said neither why a bag needs one nor what to do instead, so a new user
// was stuck after doing what looked like the de-identification (DESIGN.md "The whole workflow":
// de-identify in the panel or with deid apply, validate in deid review, then transfer).

const run = runDeid;

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bag-strip-'));
  fs.mkdirSync(path.join(work, 'card'));
  for (const n of ['Canon_40D.jpg', 'Nikon_D70.jpg', 'Pentax_K10D.jpg']) fs.copyFileSync(path.join(CORPUS, 'jpg', n), path.join(work, 'card', n));
  expect(run(['strip', 'card', '--out', 'stripped'], work).code).toBe(0);
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

const bag = (folder: string) => ['bag', 'create', folder, '--out', 'bag', '--recipient', 'Partner Lab', '--method', 'encrypted USB drive'];

test('bag create on a folder of strip copies says in two lines why not and what to do instead; nothing is written', () => {
  const r = run(bag('stripped'), work);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toEqual([
    "deid bag create: nothing written: stripped holds 3 image(s) and no sidecar (<id>.deid.json), so no exports (copies made by deid strip, or photos that never went through deid): a bag carries each photo's review record with it (its <id>.deid.json sidecar: the obscured regions, the checklist and the reviewer's sign-off), which deid strip does not write.",
    '  To transfer these photos, make exports instead: obscure and export each photo in the Photoshop panel, or replay a recipe with `deid apply <recipe.json> <image> --out <folder>`; sign them off in `deid review <folder>`, then bag that folder.',
  ]);
  expect(fs.readdirSync(work).sort()).toEqual(['card', 'stripped']);
});

test('beside real exports, each strip copy is still named, and one line says why and what to do', async () => {
  const exp = JSON.parse(run(['apply', SAMPLE_RECIPE, SAMPLE, '--out', 'stripped', '--json'], work).stdout) as { sidecar: string };
  await signOffSidecarFile(path.join(work, exp.sidecar));
  const r = run(bag('stripped'), work);
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toBe('deid bag create: nothing written; 3 problem(s):');
  expect(lines.slice(1, 4)).toEqual(['Canon_40D.jpg', 'Nikon_D70.jpg', 'Pentax_K10D.jpg'].map((n) => `  stripped/${n}: an image with no <id>.deid.json sidecar beside it`));
  expect(lines[4]).toMatch(/^ {2}An image with no sidecar is never packed: a bag carries each photo's review record .*; make exports instead: .*`deid apply <recipe\.json> <image> --out <folder>`.*`deid review <folder>`.*, or move it out of the folder\.$/);
  expect(lines).toHaveLength(5);
  expect(fs.existsSync(path.join(work, 'bag'))).toBe(false);
});
