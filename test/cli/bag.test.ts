import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';
import { distinctRecipe } from '../helpers/distinct-recipe';
import { deid } from './run';
import { allFiles } from '../helpers/files';

let work: string;
let exportsDir: string;
const ids: string[] = [];

function sidecarOf(id: string): string {
  return path.join(exportsDir, `${id}.deid.json`);
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(allFiles(dir).map((f) => [path.relative(dir, f), createHash('sha256').update(fs.readFileSync(f)).digest('hex')]));
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bag-'));
  exportsDir = path.join(work, 'exports');
  for (let i = 0; i < 3; i++) {
    // Three different images: the same one three times would be refused as one photo counted thrice.
    const r = await deid('apply', distinctRecipe(work, i), SAMPLE, '--out', exportsDir, '--json');
    expect(r.code).toBe(0);
    ids.push(path.basename(JSON.parse(r.stdout).image).replace(/\.jpg$/, ''));
  }
  // A linkage file (alternate id -> patient) lives beside exports in real folders: never packed.
  fs.writeFileSync(path.join(exportsDir, 'linkage.csv'), `alternateId,mrn\n${ids[0]},MRN-123456\n`);
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const bagArgs = (out: string) => ['bag', 'create', exportsDir, '--out', out, '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive', '--contact', 'Study Coordinator'];

test('refuses, writing nothing, while exports are not signed off; --allow-unsigned packs them and says so', async () => {
  const out = path.join(work, 'unsigned-bag');
  const r = await deid(...bagArgs(out));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/nothing written/);
  for (const id of ids) expect(r.stderr).toContain(id);
  expect(r.stderr).toMatch(/not signed off|checklist-incomplete/);
  // Each refusal names both ways on: the review, or --allow-unsigned.
  for (const id of ids) expect(r.stderr).toMatch(new RegExp(`${id}\\.jpg: .*finish it in deid review, or pack it unsigned with --allow-unsigned`));
  expect(fs.existsSync(out)).toBe(false);
  expect(fs.readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);

  const allowed = await deid(...bagArgs(out), '--allow-unsigned');
  expect(allowed.code).toBe(0);
  const info = fs.readFileSync(path.join(out, 'bag-info.txt'), 'utf8');
  expect(info).toMatch(/^Unsigned-Exports-Allowed: yes \(--allow-unsigned\): 3 of 3/m);
  // The receiving side sees the same allowance and accepts the bag as it was declared.
  expect((await deid('bag', 'verify', out)).code).toBe(0);
});

describe('signed exports', () => {
  let bag: string;
  const log = () => path.join(work, 'transfers.log');

  beforeAll(async () => {
    for (const id of ids) await signOffSidecarFile(sidecarOf(id));
    bag = path.join(work, 'bag');
    const before = snapshot(exportsDir);
    const r = await deid(...bagArgs(bag), '--log', log(), '--transfer-date', '2026-12-01');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 other file\(s\) in the folder were not packed/);
    expect(r.stdout).toContain(`recorded in --log ${log()}\n`);
    // Bagging reads the exports and never changes them.
    expect(snapshot(exportsDir)).toEqual(before);
  }, 120_000);

  test('the bag holds exactly the exports and their sidecars, named by alternate id, with the transfer record', () => {
    const data = fs.readdirSync(path.join(bag, 'data')).sort();
    expect(data).toEqual(ids.flatMap((id) => [`${id}.deid.json`, `${id}.jpg`]).sort());
    expect(fs.readdirSync(bag).sort()).toEqual(['bag-info.txt', 'bagit.txt', 'data', 'manifest-sha256.txt', 'manifest-sha512.txt', 'tagmanifest-sha256.txt', 'tagmanifest-sha512.txt']);
    expect(fs.readFileSync(path.join(bag, 'bagit.txt'), 'utf8')).toBe('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n');
    const info = fs.readFileSync(path.join(bag, 'bag-info.txt'), 'utf8');
    for (const label of ['Contact-Name', 'External-Description', 'Bagging-Date', 'Payload-Oxum', 'Bag-Size', 'Recipient-Organization', 'Transfer-Method', 'Transfer-Date', 'Deidentification-Method', 'Bag-Software-Agent']) {
      expect(info).toMatch(new RegExp(`^${label}: \\S`, 'm'));
    }
    expect(info).toMatch(/^Transfer-Date: 2026-12-01$/m);
    const bytes = data.reduce((s, n) => s + fs.statSync(path.join(bag, 'data', n)).size, 0);
    expect(info).toMatch(new RegExp(`^Payload-Oxum: ${bytes}\\.6$`, 'm'));
    // No original file name and never the linkage file, anywhere in the bag.
    for (const f of allFiles(bag)) {
      const text = fs.readFileSync(f).toString('latin1');
      expect(text).not.toContain('patient-photo');
      expect(text).not.toContain('MRN-123456');
    }
  });

  test("GNU coreutils' sha256sum and sha512sum accept every manifest and tag manifest", () => {
    for (const m of ['manifest-sha256.txt', 'tagmanifest-sha256.txt']) execFileSync('sha256sum', ['--strict', '-c', m], { cwd: bag });
    for (const m of ['manifest-sha512.txt', 'tagmanifest-sha512.txt']) execFileSync('sha512sum', ['--strict', '-c', m], { cwd: bag });
  });

  test('round trip: verify, copy elsewhere, verify with a receipt; the bag is never modified', async () => {
    expect((await deid('bag', 'verify', bag)).code).toBe(0);
    const copy = path.join(work, 'received', 'bag');
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    execFileSync('cp', ['-r', bag, copy]);
    const before = snapshot(copy);
    const receipt = path.join(work, 'receipt.json');
    const r = await deid('bag', 'verify', copy, '--receipt', receipt, '--receiver', 'Data Manager', '--log', log());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 of 3 image\(s\) re-verified clean/);
    // The receiver is told where the receipt and the log line went.
    expect(r.stdout).toContain(`wrote the receipt ${receipt} (result: valid)\n`);
    expect(r.stdout).toContain(`recorded in --log ${log()}\n`);
    expect(snapshot(copy)).toEqual(before);
    const rec = JSON.parse(fs.readFileSync(receipt, 'utf8'));
    const tagManifest = fs.readFileSync(path.join(copy, 'tagmanifest-sha256.txt'));
    expect(rec.bag.identity).toBe(createHash('sha256').update(tagManifest).digest('hex'));
    expect(rec).toMatchObject({ receiver: 'Data Manager', transferMethod: 'encrypted USB drive', recipientOrganization: 'Example Research Unit', result: 'valid', counts: { payloadFiles: 6, images: 3, imagesClean: 3 } });
    const lines = fs.readFileSync(log(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['bag-create', 'bag-receipt']);
    expect(lines[0].bagIdentity).toBe(rec.bag.identity);
  });

  test('a changed payload byte, a removed file or an added file makes the bag invalid, with the reason', async () => {
    const copy = path.join(work, 'tampered');
    execFileSync('cp', ['-r', bag, copy]);
    const img = path.join(copy, 'data', `${ids[1]}.jpg`);
    const bytes = fs.readFileSync(img);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(img, bytes);
    fs.rmSync(path.join(copy, 'data', `${ids[2]}.deid.json`));
    fs.writeFileSync(path.join(copy, 'data', 'extra.txt'), 'x');
    const r = await deid('bag', 'verify', '--json', copy);
    expect(r.code).toBe(1);
    const errors: string[] = JSON.parse(r.stdout).errors;
    expect(errors.some((e) => e.includes(`${ids[1]}.jpg`) && /checksum does not match/.test(e))).toBe(true);
    expect(errors.some((e) => e.includes(`${ids[2]}.deid.json`) && /missing/.test(e))).toBe(true);
    expect(errors.some((e) => e.includes('extra.txt') && /not listed/.test(e))).toBe(true);
  });

  test('manifests rewritten to match a swapped image still fail: the image no longer matches its sidecar', async () => {
    const copy = path.join(work, 'forged');
    execFileSync('cp', ['-r', bag, copy]);
    // Swap one export's pixels for the unredacted original and recompute every manifest, as
    // someone with a text editor and sha256sum could.
    fs.copyFileSync(SAMPLE, path.join(copy, 'data', `${ids[0]}.jpg`));
    for (const alg of ['sha256', 'sha512']) {
      const lines = fs.readdirSync(path.join(copy, 'data')).sort().map((n) => `${createHash(alg).update(fs.readFileSync(path.join(copy, 'data', n))).digest('hex')}  data/${n}`);
      fs.writeFileSync(path.join(copy, `manifest-${alg}.txt`), `${lines.join('\n')}\n`);
    }
    for (const alg of ['sha256', 'sha512']) {
      const names = ['bag-info.txt', 'bagit.txt', 'manifest-sha256.txt', 'manifest-sha512.txt'];
      fs.writeFileSync(path.join(copy, `tagmanifest-${alg}.txt`), names.map((n) => `${createHash(alg).update(fs.readFileSync(path.join(copy, n))).digest('hex')}  ${n}`).join('\n') + '\n');
    }
    fs.writeFileSync(path.join(copy, 'bag-info.txt'), fs.readFileSync(path.join(copy, 'bag-info.txt'), 'utf8').replace(/^Payload-Oxum: .*$/m, `Payload-Oxum: ${fs.readdirSync(path.join(copy, 'data')).reduce((s, n) => s + fs.statSync(path.join(copy, 'data', n)).size, 0)}.6`));
    for (const alg of ['sha256', 'sha512']) {
      const names = ['bag-info.txt', 'bagit.txt', 'manifest-sha256.txt', 'manifest-sha512.txt'];
      fs.writeFileSync(path.join(copy, `tagmanifest-${alg}.txt`), names.map((n) => `${createHash(alg).update(fs.readFileSync(path.join(copy, n))).digest('hex')}  ${n}`).join('\n') + '\n');
    }
    execFileSync('sha256sum', ['--strict', '-c', 'manifest-sha256.txt'], { cwd: copy });
    const r = await deid('bag', 'verify', '--json', copy);
    expect(r.code).toBe(1);
    const errors: string[] = JSON.parse(r.stdout).errors;
    expect(errors.some((e) => e.includes(`${ids[0]}.jpg`) && /does not re-verify/.test(e) && /hash-mismatch/.test(e))).toBe(true);
  });

  test('a receipt is never written inside the bag, and --receipt needs --receiver', async () => {
    const before = snapshot(bag);
    expect((await deid('bag', 'verify', bag, '--receipt', path.join(bag, 'r.json'), '--receiver', 'X')).code).toBe(2);
    expect((await deid('bag', 'verify', bag, '--receipt', path.join(work, 'r.json'))).code).toBe(2);
    expect(snapshot(bag)).toEqual(before);
    expect(fs.existsSync(path.join(work, 'r.json'))).toBe(false);
  });

  test('an existing --out, an --out inside the folder, or a missing folder are usage errors', async () => {
    expect((await deid(...bagArgs(bag))).code).toBe(2);
    expect((await deid(...bagArgs(path.join(exportsDir, 'inner')))).code).toBe(2);
    expect(fs.existsSync(path.join(exportsDir, 'inner'))).toBe(false);
    expect((await deid('bag', 'create', path.join(work, 'nope'), '--out', path.join(work, 'b2'), '--recipient', 'x', '--method', 'y')).code).toBe(2);
  });
});

describe('exports that must not travel', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(work, 'bad-'));
  });

  async function oneSignedExport(): Promise<string> {
    const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', dir, '--json');
    const image: string = JSON.parse(r.stdout).image;
    await signOffSidecarFile(image.replace(/\.jpg$/, '.deid.json'));
    return image;
  }

  test('an image changed after sign-off, an image with no sidecar, and a symlink are each refused by name', async () => {
    const image = await oneSignedExport();
    const bytes = fs.readFileSync(image);
    bytes[bytes.length - 20] ^= 0x01;
    fs.writeFileSync(image, bytes);
    fs.copyFileSync(SAMPLE, path.join(dir, 'orphan.jpg'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'link.jpg'));
    const out = path.join(work, `refused-${path.basename(dir)}`);
    const r = await deid('bag', 'create', dir, '--out', out, '--recipient', 'x', '--method', 'y');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${path.basename(image).replace('.', '\\.')}: does not verify clean: .*hash-mismatch`));
    expect(r.stderr).toMatch(/orphan\.jpg: an image with no <id>\.deid\.json sidecar/);
    expect(r.stderr).toMatch(/link\.jpg: a symbolic link/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('an export renamed away from its alternate id is refused (any other name may be an original one)', async () => {
    const image = await oneSignedExport();
    const sidecar = image.replace(/\.jpg$/, '.deid.json');
    fs.renameSync(sidecar, path.join(dir, 'Jane Doe.deid.json'));
    const out = path.join(work, `renamed-${path.basename(dir)}`);
    const r = await deid('bag', 'create', dir, '--out', out, '--recipient', 'x', '--method', 'y');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not both named by the alternate id/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('terminal control characters in a name are escaped in what is printed', async () => {
    // Beside an export, so the refusals are listed by name (a folder with no export at all gets
    // the two-line explanation instead, which names no file).
    await oneSignedExport();
    fs.copyFileSync(SAMPLE, path.join(dir, 'evil\u001b[2Jname.jpg'));
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'deid.js'), 'bag', 'create', dir, '--out', path.join(work, 'esc'), '--recipient', 'x', '--method', 'y'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('evil\\x1b[2Jname.jpg');
    expect(r.stderr).not.toContain('\u001b');
  });
});

test('a file added at the top of a bag deid made (an original photo) makes it invalid, though RFC 8493 allows tag files there', async () => {
  const out = path.join(work, 'extra-top');
  expect((await deid(...bagArgs(out), '--allow-unsigned')).code).toBe(0);
  expect((await deid('bag', 'verify', out)).code).toBe(0);
  fs.copyFileSync(SAMPLE, path.join(out, 'patient.jpg'));
  const r = await deid('bag', 'verify', out);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/patient\.jpg: a file outside data\/ that deid's bags never hold/);
});
