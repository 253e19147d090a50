import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deid } from '../cli/run';
import { REPO } from '../helpers/paths';
import { applySample, rawRequest, signIn, startDeidReview } from '../helpers/review';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-usage-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('review and report: a missing folder, a file, a bad port or a missing --out are usage errors (exit 2), nothing written', async () => {
  const file = path.join(tmp, 'not-a-folder.txt');
  fs.writeFileSync(file, 'x');
  for (const args of [
    ['review', path.join(tmp, 'missing'), '--no-open'],
    ['review', file, '--no-open'],
    ['review', tmp, '--no-open', '--port', '70000'],
    ['review', tmp, '--no-open', '--idle-minutes', '-1'],
    ['report', path.join(tmp, 'missing'), '--out', path.join(tmp, 'r.html')],
    ['report', tmp],
  ]) {
    const r = await deid(...args);
    expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
    expect(r.stderr).not.toBe('');
  }
  expect(fs.readdirSync(tmp)).toEqual(['not-a-folder.txt']);
});

test('review reads a signing key that is already there at start: a key others can read or a non-key is refused at once', () => {
  // The built command with a time limit: a review that did not read the key would start serving.
  const review = (key: string) => spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'review', folder, '--no-open', '--key', key], { encoding: 'utf8', timeout: 15_000 });
  const folder = path.join(tmp, 'keyed');
  fs.mkdirSync(folder);
  const open = path.join(tmp, 'open-key.json');
  fs.writeFileSync(open, 'not a key');
  fs.chmodSync(open, 0o644);
  const readable = review(open);
  expect(readable.status).toBe(2);
  expect(readable.stderr).toMatch(/can be read by other users \(mode 644\); chmod 600 it/);
  fs.chmodSync(open, 0o600);
  const notKey = review(open);
  expect(notKey.status).toBe(2);
  expect(notKey.stderr).toMatch(/the reviewer key is not JSON/);
  expect(notKey.stdout).not.toMatch(/serving/);
  // No key yet, and none can be made where --key points: said at start, not at the first sign-off.
  const blocker = path.join(tmp, 'a-file');
  fs.writeFileSync(blocker, 'x');
  const nowhere = review(path.join(blocker, 'keys', 'key.json'));
  expect(nowhere.status).toBe(2);
  expect(nowhere.stderr).toMatch(/cannot make your signing key at .*a-file is a file, not a folder; give --key a place you can write/);
  fs.rmSync(folder, { recursive: true });
});

test('report on a folder without exports still writes an honest, empty record', async () => {
  // Written beside the folder: a report inside the folder it reports on is refused.
  const empty = path.join(tmp, 'empty');
  const out = path.join(tmp, 'report-out', 'report.html');
  const csv = path.join(tmp, 'report-out', 'r.csv');
  fs.mkdirSync(empty);
  const r = await deid('report', empty, '--out', out, '--csv', csv);
  expect(r.code).toBe(0);
  expect(fs.readFileSync(out, 'utf8')).toMatch(/<th>Exports<\/th><td data-total="Exports">0<\/td>/);
  expect(fs.readFileSync(csv, 'utf8').split('\r\n')[0]).toMatch(/^alternate_id,format,/);
  fs.rmSync(empty, { recursive: true });
  fs.rmSync(path.dirname(out), { recursive: true });
});

test('the built deid review with its default page folder starts, and still refuses an oversized sign-off', async () => {
  // The compiled CommonJS (not jest's transform) with DEID_REVIEW_ASSETS unset: the path the
  // reviewer's own `deid review` takes. A local once shadowed the module's exports there, which
  // crashed the start and lifted the body limit.
  const folder = path.join(tmp, 'built');
  const { id } = await applySample(folder);
  const env = { ...process.env };
  delete env.DEID_REVIEW_ASSETS;
  const review = await startDeidReview([folder, '--no-open', '--key', path.join(tmp, 'key.json')], env as Record<string, string>);
  try {
    const port = Number(new URL(review.url).port);
    const { host, cookie, csrf } = await signIn(review.url);
    const big = await rawRequest(port, {
      method: 'POST',
      path: `/api/items/${id}/sign-off`,
      headers: { Host: host, Cookie: cookie, Origin: `http://${host}`, 'X-Deid-CSRF': csrf, 'Content-Type': 'application/json' },
      body: ' '.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
  } finally {
    review.child.kill('SIGINT');
    await review.exited;
  }
  fs.rmSync(folder, { recursive: true });
});
