import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { distinctRecipe } from '../helpers/distinct-recipe';
import { REPO, SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';

// One de-identified photo exported twice (deid apply run again on the same photo and recipe: a
// new random alternate id each time, the same bytes) passed report and bag create silently, and a
// study would have counted that patient photo twice. Oracles: GNU sha256sum says which files are
// one image; Python's csv module reads the CSV; bag-info.txt is read as RFC 8493 text.

const DEID = path.join(REPO, 'bin', 'deid.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DEID, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256sum(file: string): string {
  return spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0]!;
}

/** The CSV as Python's csv module reads it (RFC 4180 quoting, CRLF). */
function csvRows(file: string): Record<string, string>[] {
  const py = spawnSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="")))))', file], { encoding: 'utf8' });
  expect(py.status).toBe(0);
  return JSON.parse(py.stdout) as Record<string, string>[];
}

let work: string;
let folder: string;
/** Two exports of one image (twice, first) and one export of another image (other). */
let twice: string[];
let other: string;

async function exportOnce(recipe: string): Promise<string> {
  const r = run('apply', recipe, SAMPLE, '--out', folder, '--json');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { alternateId: string; sidecar: string };
  await signOffSidecarFile(out.sidecar);
  return out.alternateId;
}

beforeAll(async () => {
  // Sorted: the folder is read in name order, so groups list their ids that way.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-identical-'));
  folder = path.join(work, 'exports');
  twice = [await exportOnce(SAMPLE_RECIPE), await exportOnce(SAMPLE_RECIPE)].sort();
  other = await exportOnce(distinctRecipe(work, 5));
  // The premise, by an oracle of its own: the two are one file's bytes, the third is not.
  const hash = (id: string) => sha256sum(path.join(folder, `${id}.jpg`));
  expect(hash(twice[0]!)).toBe(hash(twice[1]!));
  expect(hash(other)).not.toBe(hash(twice[0]!));
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('report names the identical exports on the console, in the HTML totals and rows, and in the CSV; exit 1', () => {
  const html = path.join(work, 'report.html');
  const csv = path.join(work, 'report.csv');
  const r = run('report', folder, '--out', html, '--csv', csv);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/: 3 export\(s\), 3 signed off with a valid signature, 0 with problems now, 2 whose image another export also is\n$/);
  const ids = twice;
  expect(r.stderr).toContain(`identical    ${ids.join(', ')}: the same image (SHA-256 ${sha256sum(path.join(folder, `${ids[0]}.jpg`)).slice(0, 12)}...) under 2 alternate ids; a study would count this photo 2 times (keep one export)\n`);
  expect(r.stderr).toMatch(/deid report: exit 1: 1 image\(s\) exported more than once under different alternate ids \(2 exports\)/);
  expect(r.stderr).not.toContain(other);

  const page = fs.readFileSync(html, 'utf8');
  const label = 'Exports whose image another export also is (one photo counted twice)';
  expect(page).toContain(`<th>${label}</th><td data-total="${label}">2</td>`);
  const rowOf = (id: string) => page.match(new RegExp(`<tr data-id="${id}">.*?</tr>`, 's'))![0];
  expect(rowOf(ids[0]!)).toContain(`data-identical-to="${ids[1]}">the same image as ${ids[1]}: one photo, counted twice</div>`);
  expect(rowOf(ids[1]!)).toContain(`data-identical-to="${ids[0]}">`);
  expect(rowOf(other)).not.toContain('data-identical-to');

  const rows = csvRows(csv);
  expect(Object.keys(rows[0]!).at(-1)).toBe('identical_to');
  expect(Object.fromEntries(rows.map((row) => [row.alternate_id, row.identical_to]))).toEqual({ [ids[0]!]: ids[1], [ids[1]!]: ids[0], [other]: '' });
});

test('a CSV report written before the identical_to column (or before the detector columns) is still replaced as an earlier report', () => {
  const csv = path.join(work, 'old.csv');
  const html = path.join(work, 'old.html');
  const current = fs.readFileSync(path.join(work, 'report.csv'), 'utf8').split('\r\n')[0]!;
  const columns = current.split(',');
  expect(columns.at(-1)).toBe('identical_to');
  for (const header of [columns.slice(0, -1), columns.slice(0, columns.indexOf('detectors'))]) {
    fs.writeFileSync(csv, `${header.join(',')}\r\nDEID-OLD0-OLD0-OLD0,jpeg\r\n`);
    const r = run('report', folder, '--out', html, '--csv', csv);
    expect(r.stderr).not.toMatch(/already exists and is not a report/);
    expect(r.code).toBe(1);
    expect(fs.readFileSync(csv, 'utf8').split('\r\n')[0]).toBe(current);
  }
  // Not one of ours: never replaced.
  fs.writeFileSync(csv, 'alternate_id,mrn\r\n');
  const refused = run('report', folder, '--out', html, '--csv', csv);
  expect(refused.code).toBe(2);
  expect(fs.readFileSync(csv, 'utf8')).toBe('alternate_id,mrn\r\n');
});

const bagArgs = (out: string) => ['bag', 'create', folder, '--out', out, '--recipient', 'Partner Lab', '--method', 'encrypted USB drive'];

test('bag create refuses one image under two alternate ids, naming both ids and the way on; nothing is written', () => {
  const out = path.join(work, 'refused-bag');
  const r = run(...bagArgs(out));
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toBe('deid bag create: nothing written; 1 problem(s):');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(new RegExp(`^  ${folder}/DEID-[^:]+\\.jpg: the same image, byte for byte, as ${folder}/DEID-[^:]+\\.jpg: alternate ids ${twice[0]}, ${twice[1]} are one photo, which the recipient would count 2 times; keep one .*, or pack them all with --allow-identical \\(recorded in bag-info\\.txt\\)$`));
  expect(fs.existsSync(out)).toBe(false);
  expect(fs.readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);
});

test('--allow-identical packs them, records the ids in bag-info.txt and the log; bag verify accepts the declared bag and warns about an undeclared one', () => {
  const out = path.join(work, 'allowed-bag');
  const log = path.join(work, 'transfers.log');
  const r = run(...bagArgs(out), '--allow-identical', '--log', log);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`the same image under 2 alternate ids, packed because of --allow-identical (recorded in bag-info.txt): ${twice[0]}, ${twice[1]}\n`);
  const info = fs.readFileSync(path.join(out, 'bag-info.txt'), 'utf8');
  expect(info).toContain(`\nIdentical-Exports-Allowed: yes (--allow-identical): 2 of 3 export(s) are the same image as another (${twice[0]} = ${twice[1]})\n`);
  expect(JSON.parse(fs.readFileSync(log, 'utf8'))).toMatchObject({ event: 'bag-create', exports: 3, identical: 2 });
  expect(fs.readdirSync(path.join(out, 'data')).sort()).toEqual([...twice, other].flatMap((id) => [`${id}.deid.json`, `${id}.jpg`]).sort());
  const verified = run('bag', 'verify', out);
  expect(verified.code).toBe(0);
  expect(verified.stderr).toBe('');

  // The same bag with the declaration taken out of bag-info.txt (tag manifests rewritten to
  // match by GNU sha256sum/sha512sum, so the bag stays complete and valid): a warning.
  const bare = path.join(work, 'undeclared-bag');
  fs.cpSync(out, bare, { recursive: true });
  fs.writeFileSync(path.join(bare, 'bag-info.txt'), info.replace(/^Identical-Exports-Allowed: .*\n/m, ''));
  for (const algo of ['sha256', 'sha512']) {
    const names = ['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'manifest-sha512.txt'];
    const sums = spawnSync(`${algo}sum`, names, { cwd: bare, encoding: 'utf8' }).stdout;
    fs.writeFileSync(path.join(bare, `tagmanifest-${algo}.txt`), sums.replace(/ [ *]/g, '  '));
  }
  const warned = run('bag', 'verify', bare, '--json');
  expect(warned.code).toBe(0);
  const ids = twice;
  const warning = `data/${ids[0]}.jpg, data/${ids[1]}.jpg: the same image under 2 alternate ids (a study would count this photo 2 times), and bag-info.txt does not declare it (Identical-Exports-Allowed)`;
  expect(JSON.parse(warned.stdout)).toMatchObject({ valid: true, warnings: [warning] });
  expect(warned.stderr).toBe(`warning: ${warning}\n`);
});

test('bag create --json lists the identical groups; exports that are all different pack as before', () => {
  const out = path.join(work, 'json-bag');
  const r = run(...bagArgs(out), '--allow-identical', '--json');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ exports: 3, unsigned: 0, identical: [twice] });
  // One of the two moved out of the folder: nothing identical remains, no flag needed.
  const aside = path.join(work, 'aside');
  fs.mkdirSync(aside);
  for (const ext of ['.jpg', '.deid.json']) fs.renameSync(path.join(folder, `${twice[1]}${ext}`), path.join(aside, `${twice[1]}${ext}`));
  try {
    const plain = run(...bagArgs(path.join(work, 'plain-bag')), '--json');
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ exports: 2, identical: [] });
    expect(fs.readFileSync(path.join(work, 'plain-bag', 'bag-info.txt'), 'utf8')).not.toMatch(/Identical-Exports-Allowed/);
  } finally {
    for (const ext of ['.jpg', '.deid.json']) fs.renameSync(path.join(aside, `${twice[1]}${ext}`), path.join(folder, `${twice[1]}${ext}`));
  }
});
