import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { faceOnWall } from '../helpers/astronaut';
import { REPO } from '../helpers/paths';
import { deid, json } from './run';

/**
 * `deid report --pixels`: the audit record carries the review page's residual check (the real
 * detectors, in the built CLI as in production) per export. Two exports of one scene with a real
 * face (NASA's public-domain astronaut portrait): one with the face under an overlay, one with
 * only a corner label covered.
 */
const SLOW = 240_000;

let tmp: string;
let folder: string;
let covered: string;
let open: string;

async function applyRecipe(steps: object[], scene: string): Promise<string> {
  const recipe = path.join(tmp, `recipe-${steps.length}-${Math.random()}.json`);
  fs.writeFileSync(recipe, JSON.stringify({ steps }));
  const r = await deid('apply', recipe, scene, '--out', folder, '--format', 'png', '--json');
  if (r.code !== 0) throw new Error(`deid apply failed: ${r.stderr}`);
  return json<{ alternateId: string }>(r.stdout).alternateId;
}

function report(...args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'report', folder, ...args], { encoding: 'utf8' });
}

/** The CSV's rows by alternate id, as column -> value (RFC 4180 fields, quotes handled). */
function csvRows(text: string): Map<string, Record<string, string>> {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { record.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); record = []; field = ''; i++; } else field += c;
  }
  const [header, ...rows] = records;
  return new Map(rows.map((r) => [r[0]!, Object.fromEntries(header!.map((h, i) => [h, r[i] ?? '']))]));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-report-pixels-'));
  folder = path.join(tmp, 'exports');
  const scene = path.join(tmp, 'scene.jpg');
  const { coveredSteps, openSteps } = await faceOnWall(scene);
  covered = await applyRecipe(coveredSteps, scene);
  open = await applyRecipe(openSteps, scene);
}, SLOW);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('report --pixels records the face no region covers, for that export only, as advice', () => {
  const html = path.join(tmp, 'report.html');
  const csv = path.join(tmp, 'report.csv');
  const r = report('--out', html, '--csv', csv, '--pixels');
  expect(r.stderr).toBe('');
  // Advice, as on the review page: the record is written and the exit code is the report's own.
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/, 1 where the detectors found a face or text no region covers/);
  const rows = csvRows(fs.readFileSync(csv, 'utf8'));
  expect(rows.get(open)!.detectors).toBe('1 possible face(s), 0 possible text region(s) no obscured region covers');
  expect(rows.get(open)!.detectors_uncovered).toMatch(/^the face detector found a face \(score 0\.\d\d\), not under any obscured region$/);
  expect(rows.get(covered)!.detectors).toMatch(/^nothing found outside the obscured regions/);
  expect(rows.get(covered)!.detectors_uncovered).toBe('');
  const page = fs.readFileSync(html, 'utf8');
  expect(page).toMatch(/<th>Faces or text found uncovered by the detectors, or not checkable<\/th><td data-total="[^"]*">1<\/td>/);
  expect(page).toContain('the face detector found a face');
}, SLOW);

test('without --pixels the record says the detectors were not run; an earlier report is still replaced', () => {
  const html = path.join(tmp, 'plain.html');
  const csv = path.join(tmp, 'plain.csv');
  // A CSV from before the detector columns: its header line is still recognised as ours.
  const earlier = 'alternate_id,format,width,height,sha256,regions,obscured,metadata_removed,reverification,problems,checklist,open_items,signed_off,reviewer,reviewed_at,issues,open_issues,signature,signature_note,key_fingerprint';
  fs.writeFileSync(csv, `${earlier}\r\n`);
  const r = report('--out', html, '--csv', csv);
  expect(r.status).toBe(0);
  expect(r.stdout).not.toMatch(/detectors/);
  const rows = csvRows(fs.readFileSync(csv, 'utf8'));
  expect([...rows.values()].map((row) => row.detectors)).toEqual(['not run', 'not run']);
  expect(fs.readFileSync(html, 'utf8')).toContain('not run (--pixels)');
}, SLOW);
