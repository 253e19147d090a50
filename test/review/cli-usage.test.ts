import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deid } from '../cli/run';

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

test('report on a folder without exports still writes an honest, empty record', async () => {
  const out = path.join(tmp, 'empty', 'report.html');
  fs.mkdirSync(path.dirname(out));
  const r = await deid('report', path.dirname(out), '--out', out, '--csv', path.join(tmp, 'empty', 'r.csv'));
  expect(r.code).toBe(0);
  expect(fs.readFileSync(out, 'utf8')).toMatch(/<th>Exports<\/th><td data-total="Exports">0<\/td>/);
  expect(fs.readFileSync(path.join(tmp, 'empty', 'r.csv'), 'utf8').split('\r\n')[0]).toMatch(/^alternate_id,format,/);
  fs.rmSync(path.join(tmp, 'empty'), { recursive: true });
});
