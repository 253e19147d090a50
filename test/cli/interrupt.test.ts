import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stripMetadata } from '../../src/core/metadata/scan';
import { TEMP_PATTERN } from '../../src/cli/what-is';
import { CORPUS, REPO } from '../helpers/paths';

// Ctrl-C, Slurm's SIGTERM at the time limit, and a reader that closes the pipe
// (docs/scale.md "What a crash leaves"): the built command stops soon after, keeps every output
// it committed (each whole), leaves no temporary file, says why and exits 130 / 143 / 2. A
// batch in this thread once ran to its end through the signal: its awaits between files resolve
// as microtasks, so the handlers never ran. With workers, a file a worker had staged but not yet
// reported stayed behind as a temporary file.

const DEID = path.join(REPO, 'bin', 'deid.js');
/** A 160 KB camera JPEG with GPS: big enough that a few hundred take a while, small enough to link. */
const PHOTO = path.join(CORPUS, 'jpg', 'gps', 'DSCN0010.jpg');
/** Inputs per run: hard links to PHOTO, so hundreds cost no disk; a whole run takes about a second here. */
const INPUTS = 800;
/** "Promptly": the file in hand plus at most one of pool.ts's event-loop turns, with room for a loaded machine. */
const PROMPT_MS = 2000;

let tmp: string;
let inputs: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-interrupt-'));
  inputs = path.join(tmp, 'in');
  fs.mkdirSync(inputs);
  const master = path.join(tmp, 'photo.jpg');
  fs.copyFileSync(PHOTO, master);
  for (let i = 0; i < INPUTS; i++) fs.linkSync(master, path.join(inputs, `p${String(i).padStart(4, '0')}.jpg`));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the interruption (signal sent, pipe closed) to the process's end. */
  afterMs: number;
}

/**
 * Runs the built CLI and interrupts it once its first result is out: with `signal`, or by
 * closing its stdout (`'pipe'`).
 */
function interrupted(args: string[], how: NodeJS.Signals | 'pipe'): Promise<Stopped> {
  const child = spawn(process.execPath, [DEID, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let at = 0;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (at !== 0) return;
    at = Date.now();
    if (how === 'pipe') child.stdout.destroy();
    else child.kill(how);
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, afterMs: at === 0 ? -1 : Date.now() - at })),
  );
}

/** Every name under `dir`, relative. */
function walk(dir: string, rel = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name), path.join(rel, e.name)) : [path.join(rel, e.name)]));
}

/** The outputs are whole, and no temporary file (ours or another's) is left beside them. */
function checkOutputs(out: string): string[] {
  const names = walk(out);
  expect(names.filter((n) => n.startsWith('.') || TEMP_PATTERN.test(path.basename(n)))).toEqual([]);
  const expected = Buffer.from(stripMetadata(new Uint8Array(fs.readFileSync(PHOTO))).bytes);
  for (const n of names) expect(fs.readFileSync(path.join(out, n)).equals(expected)).toBe(true);
  return names;
}

describe.each([
  ['in this thread (default jobs)', [] as string[]],
  ['with --jobs 2', ['--jobs', '2']],
])('strip %s', (_label, jobs) => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops it soon, keeps what was committed (whole), removes every temporary file, exits %i', async (signal, exitCode) => {
    const out = path.join(tmp, `out-${signal}-${jobs.length}`);
    const r = await interrupted(['strip', inputs, '--out', out, '--jsonl', ...jobs], signal);
    const names = checkOutputs(out);
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThan(INPUTS);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: exitCode, signal: null });
    expect(r.afterMs).toBeGreaterThanOrEqual(0);
    expect(r.afterMs).toBeLessThan(PROMPT_MS);
    expect(r.stderr).toMatch(new RegExp(`^deid strip: interrupted by ${signal} after \\d+ files?: `, 'm'));
    // Each output was committed before its line was printed, and every line printed names one:
    // no summary line (an interrupted shard must not look finished to `deid summarize`).
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { output?: string; summary?: unknown });
    expect(records.filter((x) => x.summary !== undefined)).toEqual([]);
    expect(records.map((x) => path.relative(out, x.output!)).sort()).toEqual([...names].sort());
    // Nothing is left for a verify of the outputs to trip on (a temporary file is exit 2 there).
    expect(spawnSync(process.execPath, [DEID, 'verify', out]).status).toBe(0);
  });
});

test('a closed output pipe stops strip soon (exit 2, one line saying so), with no temporary file left', async () => {
  for (const jobs of [[], ['--jobs', '2']]) {
    const out = path.join(tmp, `out-pipe-${jobs.length}`);
    const r = await interrupted(['strip', inputs, '--out', out, '--jsonl', ...jobs], 'pipe');
    expect(r.code).toBe(2);
    expect(r.afterMs).toBeLessThan(PROMPT_MS);
    expect(r.stderr).toMatch(/^deid: stopped: the output pipe was closed before every result was printed$/m);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(checkOutputs(out).length).toBeLessThan(INPUTS);
  }
});

test('SIGINT stops verify soon too, with a line saying so and no summary, exit 130', async () => {
  const r = await interrupted(['verify', inputs, '--jsonl'], 'SIGINT');
  expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
  expect(r.afterMs).toBeLessThan(PROMPT_MS);
  expect(r.stderr).toMatch(/^deid verify: interrupted by SIGINT after \d+ files?: /m);
  const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path?: string; summary?: unknown });
  expect(records.filter((x) => x.summary !== undefined)).toEqual([]);
  expect(records.length).toBeLessThan(INPUTS);
});
