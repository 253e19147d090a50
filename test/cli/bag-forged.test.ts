/**
 * Bags re-manifested by someone with a text editor and sha256sum (as bag.test.ts's "forged" bag):
 * RFC 8493 validity alone then says nothing, so `deid bag verify` must find every image that was
 * not verified against its sidecar by its own re-verification.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { allFiles } from '../helpers/files';
import { signOffSidecarFile } from '../helpers/signoff';
import { deid } from './run';

let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bag-forged-'));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A bag of one export of the sample (signed off unless `unsigned`), verified valid as made. */
async function makeBag(name: string, unsigned = false): Promise<string> {
  const exportsDir = path.join(work, `${name}-exports`);
  expect((await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', exportsDir, '--json')).code).toBe(0);
  if (!unsigned) for (const f of fs.readdirSync(exportsDir)) if (f.endsWith('.deid.json')) await signOffSidecarFile(path.join(exportsDir, f));
  const extra = unsigned ? ['--allow-unsigned'] : [];
  const out = path.join(work, name);
  const r = await deid('bag', 'create', exportsDir, '--out', out, '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive', ...extra);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect((await deid('bag', 'verify', out)).code).toBe(0);
  return out;
}

/** Every payload manifest, Payload-Oxum and tag manifest recomputed over what data/ now holds. */
function remanifest(bag: string): void {
  const payload = allFiles(path.join(bag, 'data')).map((f) => path.relative(bag, f).split(path.sep).join('/')).sort();
  for (const alg of ['sha256', 'sha512']) {
    fs.writeFileSync(path.join(bag, `manifest-${alg}.txt`), payload.map((p) => `${createHash(alg).update(fs.readFileSync(path.join(bag, p))).digest('hex')}  ${p}\n`).join(''));
  }
  const octets = payload.reduce((s, p) => s + fs.statSync(path.join(bag, p)).size, 0);
  const info = path.join(bag, 'bag-info.txt');
  fs.writeFileSync(info, fs.readFileSync(info, 'utf8').replace(/^Payload-Oxum: .*$/m, `Payload-Oxum: ${octets}.${payload.length}`));
  for (const alg of ['sha256', 'sha512']) {
    const tags = ['bag-info.txt', 'bagit.txt', 'manifest-sha256.txt', 'manifest-sha512.txt'];
    fs.writeFileSync(path.join(bag, `tagmanifest-${alg}.txt`), tags.map((n) => `${createHash(alg).update(fs.readFileSync(path.join(bag, n))).digest('hex')}  ${n}\n`).join(''));
  }
  // The independent oracle: GNU coreutils accept every manifest, so the bag is intact by RFC 8493.
  for (const alg of ['sha256', 'sha512']) {
    execFileSync(`${alg}sum`, ['--strict', '-c', `manifest-${alg}.txt`], { cwd: bag });
    execFileSync(`${alg}sum`, ['--strict', '-c', `tagmanifest-${alg}.txt`], { cwd: bag });
  }
}

function exiftoolArtist(file: string): string {
  return execFileSync('exiftool', ['-s3', '-Artist', file], { encoding: 'utf8' }).trim();
}

test('an original photo in a folder inside data/ is found: deid bags are flat, and nothing in them travels unverified', async () => {
  const bag = await makeBag('nested');
  const planted = path.join(bag, 'data', 'originals', 'patient-photo.jpg');
  fs.mkdirSync(path.dirname(planted));
  fs.copyFileSync(SAMPLE, planted);
  remanifest(bag);
  // What would travel: the unredacted photo, its EXIF naming the patient (exiftool reads it).
  expect(exiftoolArtist(planted)).toBe('Jane Doe');
  const r = await deid('bag', 'verify', '--json', bag);
  expect(r.code).toBe(1);
  const out = JSON.parse(r.stdout);
  expect(out.valid).toBe(false);
  expect(out.errors.some((e: string) => e.includes('data/originals') && /folder inside data\//.test(e))).toBe(true);
});

test('in a bag packed --allow-unsigned, an image with no sidecar at all is found: only the sign-off is waived, not the sidecar', async () => {
  const bag = await makeBag('unsigned', true);
  expect(fs.readFileSync(path.join(bag, 'bag-info.txt'), 'utf8')).toMatch(/^Unsigned-Exports-Allowed: /m);
  // The unredacted photo with its metadata stripped (deid strip), so the metadata scan finds nothing.
  const stripped = path.join(work, 'stripped');
  expect((await deid('strip', SAMPLE, '--out', stripped)).code).toBe(0);
  const planted = path.join(bag, 'data', 'patient-photo.jpg');
  fs.copyFileSync(path.join(stripped, 'patient-photo.jpg'), planted);
  remanifest(bag);
  expect(exiftoolArtist(planted)).toBe('');
  const r = await deid('bag', 'verify', '--json', bag);
  expect(r.code).toBe(1);
  const out = JSON.parse(r.stdout);
  expect(out.valid).toBe(false);
  expect(out.errors.some((e: string) => e.startsWith('data/patient-photo.jpg') && /no sidecar/.test(e))).toBe(true);
});
