import { promises as fs, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOrCreateReviewerKey } from '../../src/cli/review/keys';
import { reverifyExport } from '../../src/cli/review/reverify';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { generateReviewerKey, keyFingerprint } from '../../src/core/signature/keys';
import { signOffSidecar } from '../../src/core/signature/sign-off';
import { MANUAL_ITEMS, applyAutoChecks, setItemStatus } from '../../src/core/sidecar/checklist';
import { parseSidecar, serializeSidecar } from '../../src/core/sidecar/schema';
import type { Sidecar } from '../../src/core/sidecar/types';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid, json } from './run';

let tmp: string;
let sidecarPath: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-signature-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A fresh export of the sample, in a folder of its own. */
async function exportSample(name: string): Promise<{ dir: string; sidecar: string }> {
  const dir = path.join(tmp, name);
  const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', dir, '--json');
  expect(r.code).toBe(0);
  return { dir, sidecar: json<{ sidecar: string }>(r.stdout).sidecar };
}

/** A reviewer's complete checklist, signed with `key`, written back as a sign-off would. */
async function signOnDisk(file: string, key = loadOrCreateReviewerKey(path.join(tmp, 'key.json')).key, reviewer = 'Dr A. Reviewer', when = new Date().toISOString()): Promise<Sidecar> {
  const s = parseSidecar(await fs.readFile(file, 'utf8'));
  let c = applyAutoChecks(s.checklist, { 'metadata-removed': { ok: true }, 'file-named': { ok: true }, flattened: { ok: true }, 'regions-meet-policy': { ok: true } });
  for (const item of MANUAL_ITEMS) c = setItemStatus(c, item.id, 'not-present');
  // By default now: after the export it signs (one dated before its export is refused, signed-off.ts).
  const signed = signOffSidecar(s, c, reviewer, when, key);
  await fs.writeFile(file, serializeSidecar(signed));
  return signed;
}

async function verifyKinds(dir: string, ...extra: string[]): Promise<{ code: number; kinds: string[] }> {
  const r = await deid('verify', dir, '--json', ...extra);
  const out = json<{ files: { findings: { kind: string }[] }[] }>(r.stdout);
  return { code: r.code, kinds: out.files.flatMap((f) => f.findings.map((x) => x.kind)) };
}

test('the key is created once, mode 0600, and read back the same', () => {
  const file = path.join(tmp, 'cfg', 'deid-photo', 'reviewer-key.json');
  const first = loadOrCreateReviewerKey(file);
  expect(first.created).toBe(true);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const again = loadOrCreateReviewerKey(file);
  expect(again.created).toBe(false);
  expect(keyFingerprint(again.key.publicKey)).toBe(keyFingerprint(first.key.publicKey));
});

test('a key file others can read is refused', async () => {
  const file = path.join(tmp, 'open-key.json');
  loadOrCreateReviewerKey(file);
  await fs.chmod(file, 0o644);
  expect(() => loadOrCreateReviewerKey(file)).toThrow(/can be read by other users/);
});

test('a signed export verifies clean (exit 0); the trusted list that names its key agrees', async () => {
  const { dir, sidecar } = await exportSample('signed');
  sidecarPath = sidecar;
  const signed = await signOnDisk(sidecar);
  expect(await verifyKinds(dir)).toEqual({ code: 0, kinds: [] });
  const list = path.join(tmp, 'trusted.txt');
  await fs.writeFile(list, `# reviewers of study 42\n${signed.signature!.fingerprint}  Dr A. Reviewer\n`);
  expect(await verifyKinds(dir, '--trusted-reviewers', list)).toEqual({ code: 0, kinds: [] });
});

test('a sign-off dated before the export it signs is refused (checklist-incomplete, exit 1); the same instant is not', async () => {
  const { dir, sidecar } = await exportSample('predated');
  const createdAt = parseSidecar(await fs.readFile(sidecar, 'utf8')).createdAt;
  const key = loadOrCreateReviewerKey(path.join(tmp, 'key.json')).key;
  // One second before the export, validly signed by the reviewer's own key.
  const early = new Date(Date.parse(createdAt) - 1000).toISOString();
  await signOnDisk(sidecar, key, 'Dr A. Reviewer', early);
  const r = await deid('verify', dir, '--json');
  expect(r.code).toBe(1);
  const findings = json<{ files: { findings: { kind: string; detail: string }[] }[] }>(r.stdout).files[0]!.findings;
  expect(findings).toEqual([{ kind: 'checklist-incomplete', where: expect.any(String), detail: `signed off at ${early}, before the sidecar was created (${createdAt}): a sign-off cannot predate the export it vouches for; review and sign it off again` }]);
  // The review list and the report judge it the same way (one rule, signed-off.ts).
  const entry = { id: path.basename(sidecar, '.deid.json'), sidecarPath: sidecar, imagePath: sidecar.replace(/\.deid\.json$/, '.jpg') };
  const report = await reverifyExport(entry, DEFAULT_POLICY);
  expect(report.signedOff).toBe(false);
  expect(report.signOffProblems.join('\n')).toMatch(/before the sidecar was created/);

  // The same instant, written in another zone (RFC 3339 section 5.6 offsets): an instant, not a string.
  const { dir: dir2, sidecar: sidecar2 } = await exportSample('same-instant');
  const created2 = Date.parse(parseSidecar(await fs.readFile(sidecar2, 'utf8')).createdAt);
  const local = new Date(created2 + 3_600_000).toISOString().replace('Z', '+01:00');
  expect(Date.parse(local)).toBe(created2);
  await signOnDisk(sidecar2, key, 'Dr A. Reviewer', local);
  expect(await verifyKinds(dir2)).toEqual({ code: 0, kinds: [] });
});

const edits: [string, (s: any) => void][] = [
  ['an item status', (s) => { s.checklist.items[1].status = 'ok'; }],
  ['the reviewer', (s) => { s.checklist.reviewer = 'Somebody Else'; }],
  ['the date', (s) => { s.checklist.reviewedAt = new Date(Date.parse(s.checklist.reviewedAt) + 3_600_000).toISOString(); }],
  ['a step', (s) => { s.steps[0].at = '2025-12-31T23:59:00.000Z'; }],
];
test.each(edits)('a hand edit of %s after signing: signature-invalid, exit 1', async (_what, edit) => {
  const { dir, sidecar } = await exportSample(`edit-${_what.replace(/\W/g, '')}`);
  await signOnDisk(sidecar);
  const text = await fs.readFile(sidecar, 'utf8');
  const json = JSON.parse(text);
  edit(json);
  await fs.writeFile(sidecar, JSON.stringify(json, null, 2));
  expect(await verifyKinds(dir)).toEqual({ code: 1, kinds: ['signature-invalid'] });
});

test('a signed sidecar whose signature was taken out says so (signature-invalid), not "not valid JSON"', async () => {
  const { dir, sidecar } = await exportSample('unsigned-v2');
  await signOnDisk(sidecar);
  const json = JSON.parse(await fs.readFile(sidecar, 'utf8'));
  delete json.signature;
  await fs.writeFile(sidecar, JSON.stringify(json, null, 2));
  const r = await deid('verify', dir);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/signature-invalid .*a signed sidecar \(version 2\) whose signature was removed/);
  expect(r.stdout).not.toMatch(/not valid JSON/);
});

test('the old forgery, a hand-written sign-off without a signature, is reported', async () => {
  const { dir, sidecar } = await exportSample('forged');
  const s = JSON.parse(await fs.readFile(sidecar, 'utf8'));
  for (const item of s.checklist.items) item.status = 'ok';
  Object.assign(s.checklist, { signedOff: true, reviewer: 'Nobody', reviewedAt: new Date().toISOString() });
  await fs.writeFile(sidecar, JSON.stringify(s, null, 2));
  const r = await deid('verify', dir);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/signature-invalid/);
  expect(r.stdout).toMatch(/signed off without a signature/);
});

test('re-signed by a key not on the list: untrusted-reviewer with --trusted-reviewers only', async () => {
  const { dir, sidecar } = await exportSample('resigned');
  const first = await signOnDisk(sidecar);
  const intruder = generateReviewerKey();
  await signOnDisk(sidecar, intruder, 'Dr A. Reviewer');
  expect(await verifyKinds(dir)).toEqual({ code: 0, kinds: [] });
  const list = path.join(tmp, 'trusted-2.txt');
  await fs.writeFile(list, `${first.signature!.fingerprint}\n`);
  expect(await verifyKinds(dir, '--trusted-reviewers', list)).toEqual({ code: 1, kinds: ['untrusted-reviewer'] });
});

test('an unreadable or malformed trusted list is a usage error (exit 2)', async () => {
  expect((await deid('verify', path.dirname(sidecarPath), '--trusted-reviewers', path.join(tmp, 'missing.txt'))).code).toBe(2);
  const bad = path.join(tmp, 'bad.txt');
  await fs.writeFile(bad, 'Dr A. Reviewer\n');
  const r = await deid('verify', path.dirname(sidecarPath), '--trusted-reviewers', bad);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/line 1: expected a 64-hex-digit key fingerprint/);
});
