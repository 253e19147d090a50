import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS, REPO } from '../helpers/paths';

/**
 * docs/scale.md's worked examples, run as written: the GNU parallel block with Debian's
 * `parallel`, and the Slurm array script with the variables Slurm sets for each task. Sharded
 * runs must give exactly the results of one run: the same records, the same output bytes, the
 * same summary and exit code from `deid summarize`.
 */
const DEID = path.join(REPO, 'bin', 'deid.js');

function docBlock(tag: string): string {
  const doc = readFileSync(path.join(REPO, 'docs', 'scale.md'), 'utf8');
  const m = new RegExp(`<!-- tested: ${tag}[^>]*-->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!m) throw new Error(`docs/scale.md has no block tagged "tested: ${tag}"`);
  return m[1]!;
}

let tmp: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-docs-'));
  // `deid` on the PATH, as after `npm install -g` or `npx`.
  await fs.mkdir(path.join(tmp, 'bin'));
  await fs.symlink(DEID, path.join(tmp, 'bin', 'deid'));
  // The photos' folder named as people name them, with spaces ("Study 42 photos"): the examples
  // must keep it one argument. parallel re-parses its command line in a new shell, which split
  // an unquoted "$PHOTOS" there into inputs that do not exist.
  const photos = path.join(tmp, 'study photos');
  await fs.symlink(CORPUS, photos);
  env = { ...process.env, PATH: `${path.join(tmp, 'bin')}:${process.env.PATH}`, PHOTOS: photos };
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function bash(script: string, extra: NodeJS.ProcessEnv) {
  return spawnSync('bash', ['-c', script], { env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Each file under `dir` by relative path -> SHA-256 of its bytes (a diff jest can print). */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files[path.relative(dir, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return files;
}

function records(files: string[], outDir: string): string[] {
  return files
    .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l))
    .filter((r) => !('summary' in r))
    // libvips words an undecodable HEIF's error differently depending on what the process decoded
    // before (seen: "Unknown error" first, the missing-HEVC message after): the verdict is compared.
    .map((r) => ({ ...r, error: r.error?.replace(/(cannot decode this \w+ file here): .*/, '$1') }))
    .map((r) => JSON.stringify({ ...r, output: r.output ? path.relative(outDir, r.output) : undefined }))
    .sort();
}

let single: { code: number | null; summary: unknown; records: string[]; out: Record<string, string> };
beforeAll(() => {
  const out = path.join(tmp, 'single-out');
  const jsonl = path.join(tmp, 'single.jsonl');
  const r = bash(`deid strip "$PHOTOS" --out "${out}" --jsonl > "${jsonl}"`, {});
  const lines = readFileSync(jsonl, 'utf8').trim().split('\n');
  single = { code: r.status, summary: JSON.parse(lines[lines.length - 1]!).summary, records: records([jsonl], out), out: tree(out) };
});

function summarizeJson(files: string[]) {
  const r = spawnSync(process.execPath, [DEID, 'summarize', '--json', ...files], { encoding: 'utf8' });
  return { code: r.status, report: JSON.parse(r.stdout) };
}

test('the GNU parallel example: shards together give exactly the records, outputs, summary and exit code of one run', () => {
  const OUT = path.join(tmp, 'par out');
  const RESULTS = path.join(tmp, 'par results');
  const r = bash(docBlock('parallel'), { OUT, RESULTS });
  const shards = readdirSync(RESULTS).map((f) => path.join(RESULTS, f));
  expect(shards).toHaveLength(4);
  // Every shard took some files: the hash spreads them.
  for (const s of shards) expect(readFileSync(s, 'utf8').trim().split('\n').length).toBeGreaterThan(5);
  expect(records(shards, OUT)).toEqual(single.records);
  expect(tree(OUT)).toEqual(single.out);
  const merged = summarizeJson(shards);
  expect(merged.report.summary).toEqual(single.summary);
  expect(merged.code).toBe(single.code);
  // The block's last command is summarize: its exit code is the one-run code.
  expect(r.status).toBe(single.code);
});

test('the Slurm array script: each task takes its share, a killed task is caught by summarize and redone with --resume', () => {
  const OUT = path.join(tmp, 'slurm-out');
  const RESULTS = path.join(tmp, 'slurm-results');
  const script = path.join(tmp, 'deid-strip.sbatch');
  mkdirSync(RESULTS, { recursive: true });
  // The number of shards is the script's own, matching its --array: resized here as a user
  // would, both together, to 3.
  const doc = docBlock('slurm');
  expect(doc).toMatch(/^#SBATCH --array=0-63$/m);
  expect(doc).toMatch(/^N=64\b/m);
  writeFileSync(script, doc.replace('--array=0-63', '--array=0-2').replace(/^N=64\b/m, 'N=3'));
  // Slurm sets SLURM_ARRAY_TASK_COUNT to the tasks of this submission: 3 for the whole array,
  // 1 for a task resubmitted alone (sbatch --array=1), which must still take share 1 of 3.
  const task = (id: number, count = 3) => bash(`bash "${script}"`, { OUT, RESULTS, SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_COUNT: String(count), SLURM_CPUS_PER_TASK: '1' });
  for (const id of [0, 1, 2]) expect([0, 1]).toContain(task(id).status);
  const shards = [0, 1, 2].map((id) => path.join(RESULTS, `strip-${id}.jsonl`));
  expect(records(shards, OUT)).toEqual(single.records);
  expect(summarizeJson(shards)).toEqual({ code: single.code, report: expect.objectContaining({ summary: single.summary }) });

  // Task 1 "hit its time limit": its results file lost the summary line. No verdict until redone.
  const cut = readFileSync(shards[1]!, 'utf8').trim().split('\n').slice(0, -3).join('\n');
  writeFileSync(shards[1]!, `${cut}\n`);
  const partial = spawnSync(process.execPath, [DEID, 'summarize', ...shards], { encoding: 'utf8' });
  expect(partial.status).toBe(2);
  expect(partial.stderr).toMatch(/strip-1\.jsonl: no summary line at the end/);
  expect(task(1, 1).status).toBe(single.code);
  const redone = readFileSync(shards[1]!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // Resubmitted with --resume: every output already there was kept, none rewritten.
  expect(redone.pop().summary.written).toBe(0);
  const merged = summarizeJson(shards).report.summary;
  const one = single.summary as { written: number };
  expect(merged.resumed).toBeGreaterThan(0);
  expect(merged.written + merged.resumed).toBe(one.written);
  expect({ ...merged, written: 0, resumed: 0 }).toEqual({ ...one, written: 0, resumed: 0 });
  expect(tree(OUT)).toEqual(single.out);
});
