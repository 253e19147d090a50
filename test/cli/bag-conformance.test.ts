import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';
import { deid } from './run';

/**
 * The Library of Congress BagIt conformance suite (CC0, ../shared/bagit-conformance-suite) is the
 * oracle: every bag under valid/ must validate, every bag under invalid/ and linux-only/ must be
 * rejected with a reason, and a bag under warning/ must either be rejected or warn on stderr (the
 * suite's own harness flags only a silent pass there). windows-only/ is not for this system.
 */
const SUITE = path.resolve(REPO, '..', 'shared', 'bagit-conformance-suite');

function bags(category: string): string[] {
  const out: string[] = [];
  for (const version of fs.readdirSync(SUITE).filter((v) => /^v\d/.test(v))) {
    const dir = path.join(SUITE, version, category);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) if (fs.statSync(path.join(dir, name)).isDirectory()) out.push(path.join(dir, name));
  }
  return out.sort();
}

const rel = (p: string) => path.relative(SUITE, p);

test('the suite is there and holds bags of every category', () => {
  expect(bags('valid').length).toBeGreaterThanOrEqual(10);
  expect(bags('invalid').length).toBeGreaterThanOrEqual(10);
  expect(bags('warning').length).toBeGreaterThanOrEqual(4);
});

test.each(bags('valid').map(rel))('valid: %s validates', async (bag) => {
  const r = await deid('bag', 'verify', path.join(SUITE, bag));
  expect(r.stdout).toMatch(/^valid BagIt/m);
  expect(r.code).toBe(0);
});

test.each([...bags('invalid'), ...bags('linux-only')].map(rel))('invalid: %s is rejected with a reason', async (bag) => {
  const r = await deid('bag', 'verify', '--json', path.join(SUITE, bag));
  expect(r.code).toBe(1);
  const out = JSON.parse(r.stdout);
  expect(out.valid).toBe(false);
  expect(out.errors.length).toBeGreaterThan(0);
  for (const e of out.errors) expect(e).toMatch(/\w{4,}/);
});

test.each(bags('warning').map(rel))('warning: %s is rejected or warned about', async (bag) => {
  const r = await deid('bag', 'verify', path.join(SUITE, bag));
  if (r.code === 0) expect(r.stderr).toMatch(/^warning: /m);
  else expect(r.code).toBe(1);
});

test("the suite's own harness, running our validator over every bag, judges every bag as the suite expects", () => {
  // The harness lists version folders relative to its working directory, so it runs from there.
  // Verbose, it prints one "Expected <category> test <bag>: rc=N, stdout=N bytes, stderr=N bytes"
  // line per bag (its logger may repeat a line); its own rules decide what counts as a failure.
  const run = spawnSync('python3', ['test-harness', '-v', '--', process.execPath, path.join(REPO, 'bin', 'deid.js'), 'bag', 'verify'], { cwd: SUITE, encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  expect(run.status).toBe(0);
  const lines = [...(run.stdout + run.stderr).matchAll(/Expected (\S+) test (\S+): rc=(\d+), stdout=\d+ bytes, stderr=(\d+) bytes/g)];
  const wrong = lines.filter(([, category, , rc, stderr]) => {
    if (category === 'valid') return rc !== '0';
    if (category === 'warning') return rc === '0' && stderr === '0';
    return rc === '0';
  });
  expect(wrong.map((m) => m[0])).toEqual([]);
  const tried = new Set(lines.map((m) => `${m[1]} ${m[2]}`));
  const expected = new Set(['valid', 'invalid', 'linux-only', 'warning'].flatMap((c) => bags(c).map((b) => `${c} ${path.basename(b)}`)));
  expect([...tried].sort()).toEqual([...expected].sort());
});
