import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';
import { deid } from './run';

// The transfer gate can insist on the study's reviewers: bag create and bag verify take the same
// --trusted-reviewers list verify does. Without it any valid signature counts, so an export
// signed off with a key someone made for the purpose was packed and passed the receiver's check.

let work: string;
let exportsDir: string;
let fingerprint: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bag-trusted-'));
  exportsDir = path.join(work, 'exports');
  expect((await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', exportsDir, '--json')).code).toBe(0);
  const sidecar = fs.readdirSync(exportsDir).find((f) => f.endsWith('.deid.json'))!;
  await signOffSidecarFile(path.join(exportsDir, sidecar));
  fingerprint = JSON.parse(fs.readFileSync(path.join(exportsDir, sidecar), 'utf8')).signature.fingerprint;
  expect(fingerprint).toMatch(/^[0-9a-f]{16,}$/);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function list(name: string, lines: string[]): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The same length and alphabet as the signer's fingerprint, but another key's. */
const otherKey = () => fingerprint.replace(/^./, (c) => (c === '0' ? '1' : '0'));

const create = (out: string, ...extra: string[]) => deid('bag', 'create', exportsDir, '--out', path.join(work, out), '--recipient', 'Partner Lab', '--method', 'encrypted USB drive', ...extra);

test('an export signed by a key on the list is packed, and the receiver with the same list finds the bag valid', async () => {
  const trusted = list('study.txt', ['# reviewers of the study', `${fingerprint}  Dr Test Reviewer`]);
  const r = await create('bag-ok', '--trusted-reviewers', trusted);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const v = await deid('bag', 'verify', path.join(work, 'bag-ok'), '--trusted-reviewers', trusted);
  expect(v.code).toBe(0);
});

test('an export signed by a key not on the list is refused, even with --allow-unsigned, and nothing is written', async () => {
  const others = list('others.txt', [otherKey()]);
  for (const extra of [[], ['--allow-unsigned']]) {
    const out = `bag-refused-${extra.length}`;
    const r = await create(out, '--trusted-reviewers', others, ...extra);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/untrusted-reviewer/);
    expect(fs.existsSync(path.join(work, out))).toBe(false);
  }
});

test('a receiver whose list does not name the signer finds the bag invalid; without a list it is valid', async () => {
  expect((await create('bag-any')).code).toBe(0);
  const bag = path.join(work, 'bag-any');
  expect((await deid('bag', 'verify', bag)).code).toBe(0);
  const v = await deid('bag', 'verify', '--json', bag, '--trusted-reviewers', list('receiver.txt', [otherKey()]));
  expect(v.code).toBe(1);
  const report = JSON.parse(v.stdout);
  expect(report.valid).toBe(false);
  expect(JSON.stringify(report.errors)).toMatch(/untrusted-reviewer/);
});

test('an empty --trusted-reviewers (an unset variable) is a usage error, not "trust any key"', async () => {
  expect((await create('bag-empty', '--trusted-reviewers', '')).code).toBe(2);
  expect((await deid('bag', 'verify', path.join(work, 'bag-ok'), '--trusted-reviewers', '')).code).toBe(2);
});
