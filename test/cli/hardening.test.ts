import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stripMetadata, scanStructure } from '../../src/core/metadata/scan';
import { REPO, SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid, json } from './run';

/**
 * Issue 13.2-13.4: faults leave nothing behind, nothing is silently skipped, hostile inputs are
 * refused without blocking, and strings from files cannot drive the terminal. The fault cases
 * use real processes and real file systems: a kill -9 of the built CLI mid-batch, a full tmpfs.
 */
const DEID = path.join(REPO, 'bin', 'deid.js');

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-hard-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function copies(dir: string, n: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const bytes = await fs.readFile(SAMPLE);
  await Promise.all(Array.from({ length: n }, (_, i) => fs.writeFile(path.join(dir, `p${String(i).padStart(4, '0')}.jpg`), bytes)));
}

/** Every file under `dir`, hidden ones included. */
function listAll(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listAll(full));
    else out.push(full);
  }
  return out;
}

const isTemp = (p: string) => /\.deid-tmp-/.test(path.basename(p));

test('kill -9 mid-batch: every output already reported is complete and valid; the next run clears the temporary files and finishes', async () => {
  const input = path.join(tmp, 'in');
  const out = path.join(tmp, 'out');
  const N = 600;
  await copies(input, N);
  const expected = Buffer.from(stripMetadata(new Uint8Array(await fs.readFile(SAMPLE))).bytes);

  const child = spawn(process.execPath, [DEID, 'strip', input, '--out', out, '--jsonl', '--jobs', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const records: Array<{ input: string; output?: string }> = [];
  let text = '';
  let sawSummary = false;
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) {
        const r = JSON.parse(line);
        if ('summary' in r) sawSummary = true;
        else records.push(r);
      }
      if (records.length >= 25 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  // Killed mid-batch, really: no summary line, and files were still to do.
  expect(child.signalCode).toBe('SIGKILL');
  expect(sawSummary).toBe(false);
  const after = listAll(out);
  const outputs = after.filter((p) => !isTemp(p));
  expect(outputs.length).toBeLessThan(N);
  // Everything the run reported is there, whole; nothing else visible is half-written.
  for (const r of records) expect(outputs).toContain(r.output);
  for (const o of outputs) expect(Buffer.compare(await fs.readFile(o), expected)).toBe(0);

  const again = spawnSync(process.execPath, [DEID, 'strip', input, '--out', out, '--jsonl', '--resume'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(again.status).toBe(0);
  const lines = again.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const summary = lines.pop().summary;
  expect(summary.resumed).toBeGreaterThanOrEqual(records.length);
  expect(summary.resumed + summary.written).toBe(N);
  const final = listAll(out);
  expect(final.filter(isTemp)).toEqual([]);
  expect(final.length).toBe(N);
  for (const o of final) expect(Buffer.compare(await fs.readFile(o), expected)).toBe(0);
});

test('a full disk (ENOSPC on a small tmpfs, else a file-size limit) refuses the files that do not fit and leaves no temporary file', async () => {
  const input = path.join(tmp, 'in');
  await copies(input, 40);
  const mnt = path.join(tmp, 'small');
  await fs.mkdir(mnt);
  // A real full file system where the machine allows mounting (root in CI); otherwise the kernel's
  // per-process file size limit cuts writes off part way just the same (EFBIG instead of ENOSPC).
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', mnt]).status === 0;
  try {
    const out = path.join(mnt, 'out');
    const cmd = `${mounted ? '' : 'ulimit -f 8; '}exec "${process.execPath}" "${DEID}" strip --json "${input}" --out "${out}"`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status).toBe(1);
    const report = json(r.stdout);
    const refused = report.files.filter((f: { error?: string }) => f.error);
    expect(refused.length).toBeGreaterThan(0);
    for (const f of refused) expect(f.error).toMatch(mounted ? /ENOSPC/ : /EFBIG/);
    // Nothing was written: not "lossless" either.
    for (const f of refused) expect(f.lossless).toBe(false);
    const left = listAll(out);
    expect(left.filter(isTemp)).toEqual([]);
    // What was written is whole.
    const expected = Buffer.from(stripMetadata(new Uint8Array(await fs.readFile(SAMPLE))).bytes);
    for (const o of left) expect(Buffer.compare(await fs.readFile(o), expected)).toBe(0);
    expect(left.length).toBe(report.summary.written);
  } finally {
    if (mounted) spawnSync('umount', [mnt]);
  }
});

test('a later run removes temporary files a dead run of this host left, keeps others hidden, and never takes them for outputs', async () => {
  const input = path.join(tmp, 'in');
  const out = path.join(tmp, 'out');
  await copies(input, 2);
  await fs.mkdir(out);
  const host = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
  const dead = spawnSync('true').pid!;
  const ours = path.join(out, `.p0000.jpg.deid-tmp-${host}-${dead}-0123456789ab`);
  const foreign = path.join(out, '.p0001.jpg.deid-tmp-ffffffff-12345-0123456789ab');
  await fs.writeFile(ours, 'half an image');
  await fs.writeFile(foreign, 'half an image');
  // --resume with no outputs yet: the temporary files are not outputs, both inputs are stripped.
  const r = await deid('strip', '--json', '--resume', input, '--out', out);
  expect(r.code).toBe(0);
  expect(json(r.stdout).summary).toMatchObject({ written: 2, resumed: 0 });
  expect((await fs.readdir(out)).sort()).toEqual([path.basename(foreign), 'p0000.jpg', 'p0001.jpg'].sort());
  // verify of the output tree accounts for the leftover without reading it as an image.
  const v = await deid('verify', '--json', out);
  expect(v.code).toBe(2);
  expect(json(v.stdout).files.find((f: { path: string }) => f.path === foreign)).toMatchObject({ skipped: 'temporary' });
});

test('a FIFO and a device are refused at once, named as arguments or met in a folder', async () => {
  const fifo = path.join(tmp, 'pipe.jpg');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // Nobody ever writes to the FIFO: reading it would block forever; the test finishing is the proof.
  const named = await deid('verify', '--json', fifo, '/dev/zero');
  expect(named.code).toBe(2);
  const files = json(named.stdout).files;
  expect(files[0].error).toMatch(/refused: a FIFO \(named pipe\), not a regular file/);
  expect(files[1].error).toMatch(/refused: a character device, not a regular file/);
  const inDir = await deid('verify', '--json', tmp);
  expect(inDir.code).toBe(2);
  expect(json(inDir.stdout).files).toEqual([expect.objectContaining({ path: fifo, skipped: 'not-regular' })]);
  const s = await deid('strip', '--json', fifo, '--out', path.join(tmp, 'out'));
  expect(s.code).toBe(2);
});

test('a file over the size limit is refused with the limit named, never read into memory', async () => {
  const big = path.join(tmp, 'big.jpg');
  await fs.writeFile(big, Buffer.concat([await fs.readFile(SAMPLE), Buffer.alloc(64 * 1024)]));
  const r = spawnSync(process.execPath, [DEID, 'verify', '--json', big], { encoding: 'utf8', env: { ...process.env, DEID_MAX_FILE_MB: '0.05' } });
  expect(r.status).toBe(2);
  expect(json(r.stdout).files[0].error).toMatch(/refused: \d+ bytes is over the 0\.05 MB limit per file/);
});

test('every file under a folder is accounted for: symlinks, hidden files, PSD, our sidecar; content decides, not the name', async () => {
  const dir = path.join(tmp, 'd');
  await fs.mkdir(path.join(dir, '.thumbs'), { recursive: true });
  await fs.copyFile(SAMPLE, path.join(dir, 'a.jpg'));
  await fs.copyFile(SAMPLE, path.join(dir, '.IMG_0001.jpg'));
  await fs.copyFile(SAMPLE, path.join(dir, '.thumbs', 't.jpg'));
  await fs.copyFile(SAMPLE, path.join(dir, 'x.deid.json'));
  await fs.symlink(path.join(dir, 'a.jpg'), path.join(dir, 'link.jpg'));
  await fs.symlink(dir, path.join(dir, 'loop'));
  // A PSD header (Adobe Photoshop File Formats Specification, "File header section").
  const psd = Buffer.alloc(26);
  psd.write('8BPS', 0, 'latin1');
  psd.writeUInt16BE(1, 4);
  psd.writeUInt16BE(3, 12);
  psd.writeUInt32BE(10, 14);
  psd.writeUInt32BE(10, 18);
  psd.writeUInt16BE(8, 22);
  psd.writeUInt16BE(3, 24);
  await fs.writeFile(path.join(dir, 'layers.psd'), psd);
  await fs.writeFile(path.join(dir, 'photo.jpg'), 'just text in a file called photo.jpg');
  // A real sidecar of ours, beside nothing: counted, not an unchecked file.
  await fs.writeFile(path.join(dir, 'b.deid.json'), '{"schemaVersion": 1}');

  const r = await deid('verify', '--jsonl', dir);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const summary = lines.pop();
  const byName = new Map<string, any>(lines.map((l: { path: string }) => [path.relative(dir, l.path), l]));
  expect([...byName.keys()].sort()).toEqual(['.IMG_0001.jpg', '.thumbs', 'a.jpg', 'b.deid.json', 'layers.psd', 'link.jpg', 'loop', 'photo.jpg', 'x.deid.json'].sort());
  expect(byName.get('a.jpg')).toMatchObject({ format: 'jpeg', clean: false });
  expect(byName.get('x.deid.json')).toMatchObject({ format: 'jpeg', clean: false });
  expect(byName.get('x.deid.json').findings.length).toBeGreaterThan(0);
  expect(byName.get('.IMG_0001.jpg')).toMatchObject({ skipped: 'hidden', reason: 'hidden file' });
  expect(byName.get('.thumbs')).toMatchObject({ skipped: 'hidden', reason: 'hidden folder, not searched' });
  expect(byName.get('link.jpg')).toMatchObject({ skipped: 'symlink' });
  expect(byName.get('loop')).toMatchObject({ skipped: 'symlink' });
  expect(byName.get('layers.psd')).toMatchObject({ skipped: 'unsupported', reason: 'unsupported format (Photoshop PSD)' });
  expect(byName.get('photo.jpg')).toMatchObject({ skipped: 'unsupported' });
  expect(byName.get('b.deid.json')).toMatchObject({ skipped: 'sidecar' });
  expect(summary.summary).toEqual({ files: 2, clean: 0, withFindings: 2, errors: 0, skipped: 6, sidecars: 1 });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/6 files were not checked/);
  // The user may accept the skips; the findings still decide.
  expect((await deid('verify', '--allow-skipped', dir)).code).toBe(1);
  // A symlink named on the command line was chosen: it is followed.
  const named = await deid('verify', '--json', path.join(dir, 'link.jpg'));
  expect(json(named.stdout).files[0]).toMatchObject({ format: 'jpeg' });
});

test('strip: an --out that cannot be created fails fast (exit 2); an --out inside the input tree is never read as input', async () => {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [DEID, 'strip', SAMPLE, '--out', '/proc/self/x'], { encoding: 'utf8', timeout: 30000 });
  expect(r.signal).toBeNull();
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/cannot use --out \/proc\/self\/x/);
  expect(Date.now() - t0).toBeLessThan(30000);

  const dir = path.join(tmp, 'photos');
  await copies(dir, 2);
  const out = path.join(dir, 'clean');
  for (let run = 0; run < 2; run++) {
    const s = await deid('strip', '--json', dir, '--out', out);
    expect(s.code).toBe(0);
    expect(json(s.stdout).files.map((f: { input: string }) => path.relative(dir, f.input))).toEqual(['p0000.jpg', 'p0001.jpg']);
  }
  expect((await fs.readdir(out)).sort()).toEqual(['p0000.jpg', 'p0001.jpg']);
});

test('strings from files are printed with control and bidi characters escaped; JSON output stays valid JSON', async () => {
  const a = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', tmp, '--json');
  expect(a.code).toBe(0);
  const { sidecar, image } = json(a.stdout);
  const doc = JSON.parse(await fs.readFile(sidecar, 'utf8'));
  // Clear the screen, home the cursor, print a fake verdict; then a right-to-left override.
  const evil = '\u001b[2J\u001b[1;1Hclean     all files\u0007\u202egpj.exe';
  doc.checklist.items[0].label = evil;
  await fs.writeFile(sidecar, JSON.stringify(doc));
  const evilName = path.join(tmp, `bell\u0007\u001b]0;title\u0007.jpg`);
  await fs.copyFile(SAMPLE, evilName);

  const human = await deid('verify', tmp);
  expect(human.code).toBe(1);
  // eslint-disable-next-line no-control-regex
  expect(human.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(human.stdout).toContain('not checked: \\x1b[2J\\x1b[1;1Hclean     all files\\x07\\u202egpj.exe');
  expect(human.stdout).toContain('bell\\x07\\x1b]0;title\\x07.jpg');

  const asJson = await deid('verify', '--json', tmp);
  const report = json(asJson.stdout);
  const withLabel = report.files.find((f: { path: string }) => f.path === image);
  expect(withLabel.findings.map((f: { detail: string }) => f.detail)).toContain(`not checked: ${evil}`);
  expect(report.files.map((f: { path: string }) => f.path)).toContain(evilName);
});

test('stripped outputs of the kill test pass the structural scan (sanity of the expectation itself)', () => {
  const expected = stripMetadata(new Uint8Array(readFileSync(SAMPLE))).bytes;
  expect(scanStructure(expected).findings).toEqual([]);
});
