import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { noiseRgb } from '../helpers/plant';
import { REPO } from '../helpers/paths';

// A CMYK JPEG is re-encoded (reencode.ts), with the canonical profile in a private folder in the
// temp folder for the length of the call. A worker terminated in the middle of one (SIGTERM from
// Slurm, Ctrl-C) runs no `finally`, so that folder outlived the run; the main thread now removes
// what its terminated workers left.

const DEID = path.join(REPO, 'bin', 'deid.js');
const INPUTS = 60;

let work: string;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-reencode-stop-'));
  fs.mkdirSync(path.join(work, 'in'));
  // Big enough that a re-encode takes tens of milliseconds: a worker is nearly always inside one.
  const cmyk = await sharp(noiseRgb(1200, 900, 3), { raw: { width: 1200, height: 900, channels: 3 } }).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toBuffer();
  for (let i = 0; i < INPUTS; i++) fs.writeFileSync(path.join(work, 'in', `c${i}.jpg`), cmyk);
}, 60_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test.each(['SIGTERM', 'SIGINT'] as const)('%s during re-encodes in worker threads leaves no deid-icc folder in the temp folder', async (signal) => {
  const tmp = fs.mkdtempSync(path.join(work, `tmp-${signal}-`));
  const out = path.join(work, `out-${signal}`);
  const child = spawn(process.execPath, [DEID, 'strip', '--jsonl', '--jobs', '2', path.join(work, 'in'), '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  let sawScratch = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    // Once a file is done and the workers are on the next ones: stop while they re-encode.
    if (!sent && stdout.includes('\n')) {
      sent = true;
      sawScratch = fs.readdirSync(tmp).some((n) => n.startsWith('deid-icc-'));
      child.kill(signal);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(sent).toBe(true);
  expect(stderr).toMatch(new RegExp(`interrupted by ${signal}`));
  expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
  // The run was inside a re-encode when stopped (what this test is about), and left nothing.
  expect(sawScratch).toBe(true);
  expect(fs.readdirSync(tmp)).toEqual([]);
}, 60_000);
