import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, SAMPLE } from '../helpers/paths';
import { applySample } from '../helpers/review';
import { deid } from './run';

// The audit record covers the exports (sidecar and image); an image in the folder that no
// sidecar documents (its sidecar lost, or a photo that never went through deid) is not silently
// left out: it is counted in the record, named on the console, and the run exits 1.
test('images without a sidecar are counted, listed on the console (not in the record), and exit 1', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-report-cover-'));
  try {
    const exp = path.join(work, 'exp');
    const kept = await applySample(exp);
    const lost = await applySample(exp);
    fs.rmSync(lost.sidecar);
    fs.mkdirSync(path.join(exp, 'ward 3'));
    fs.copyFileSync(SAMPLE, path.join(exp, 'ward 3', 'Jane_Doe_2024.JPG'));
    const out = path.join(work, 'report.html');
    const r = await deid('report', exp, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/1 export\(s\)/);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('no sidecar')).sort()).toEqual([`no sidecar   ${path.basename(lost.image)}`, 'no sidecar   ward 3/Jane_Doe_2024.JPG'].sort());
    expect(r.stderr).toMatch(/2 image\(s\) in .* have no sidecar, so the record does not cover them/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/<th>Images without a sidecar \(not covered\)<\/th><td data-total="Images without a sidecar \(not covered\)">2<\/td>/);
    expect(html).toContain(kept.id);
    expect(html).not.toContain('Jane_Doe');

    // An image by content whatever its name, and a link, are not passed over either.
    fs.copyFileSync(SAMPLE, path.join(exp, 'ward 3', 'IMG_0002'));
    fs.copyFileSync(SAMPLE, path.join(exp, 'ward 3', 'scan.gif'));
    fs.writeFileSync(path.join(exp, 'ward 3', 'notes.txt'), 'not an image');
    fs.symlinkSync(SAMPLE, path.join(exp, 'link.jpg'));
    const more = await deid('report', exp, '--out', out);
    expect(more.code).toBe(1);
    expect(more.stderr).toMatch(/no sidecar {3}ward 3\/IMG_0002/);
    expect(more.stderr).toMatch(/no sidecar {3}ward 3\/scan\.gif/);
    expect(more.stderr).not.toMatch(/notes\.txt/);
    expect(more.stderr).toMatch(/not followed link\.jpg: a symbolic link/);
    fs.rmSync(path.join(exp, 'link.jpg'));
    fs.rmSync(path.join(exp, 'ward 3', 'IMG_0002'));
    fs.rmSync(path.join(exp, 'ward 3', 'scan.gif'));

    // Hidden files and folders are not part of the record, but an image in one is still on the
    // disk: named and counted (a deleted export in .Trashes, a copy in .old), while a Mac's
    // AppleDouble companion `._x.jpg` and .git's objects, which are no images, pass unnamed.
    fs.mkdirSync(path.join(exp, '.Trashes', '501'), { recursive: true });
    fs.copyFileSync(kept.image, path.join(exp, '.Trashes', '501', 'deleted.jpg'));
    fs.mkdirSync(path.join(exp, 'ward 3', '.old'));
    fs.copyFileSync(SAMPLE, path.join(exp, 'ward 3', '.old', 'IMG_7'));
    fs.copyFileSync(SAMPLE, path.join(exp, '.Jane.jpg'));
    fs.writeFileSync(path.join(exp, '._' + path.basename(kept.image)), Buffer.from([0, 5, 0x16, 7, 0, 2, 0, 0, ...Buffer.from('Mac OS X        ')]));
    fs.mkdirSync(path.join(exp, '.git', 'objects'), { recursive: true });
    fs.writeFileSync(path.join(exp, '.git', 'objects', 'ab.jpg'), 'x\x9c not an image');
    const hiddenRun = await deid('report', exp, '--out', out);
    expect(hiddenRun.code).toBe(1);
    expect(hiddenRun.stderr.split('\n').filter((l) => l.startsWith('hidden')).sort()).toEqual([
      'hidden       .Jane.jpg: an image in a hidden place, not in the record',
      'hidden       .Trashes/501/deleted.jpg: an image in a hidden place, not in the record',
      'hidden       ward 3/.old/IMG_7: an image in a hidden place, not in the record',
    ]);
    expect(hiddenRun.stderr).toMatch(/3 image\(s\) in hidden places not covered/);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/<th>Images in hidden places \(not covered\)<\/th><td data-total="Images in hidden places \(not covered\)">3<\/td>/);
    for (const h of ['.Trashes', '.Jane.jpg', '._' + path.basename(kept.image), '.git', path.join('ward 3', '.old')]) fs.rmSync(path.join(exp, h), { recursive: true });

    // A copy of an export in a subfolder is a duplicate, not an image without a sidecar.
    fs.mkdirSync(path.join(exp, 'copy'));
    for (const f of [kept.image, kept.sidecar]) fs.copyFileSync(f, path.join(exp, 'copy', path.basename(f)));
    const again = await deid('report', exp, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toMatch(/no sidecar {3}copy/);
    expect(again.stderr).toMatch(new RegExp(`duplicate {4}${kept.id}: more than one sidecar`));
    expect(again.stderr).toMatch(/2 image\(s\) .* have no sidecar.*; 1 alternate id\(s\) appear more than once/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

// A folder the report cannot list (no permission) is named and makes the run exit 1: what it
// holds is not in the record. Root reads every folder, so as root the report runs as nobody.
test('a folder that cannot be read is named, not passed over, and the run exits 1', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-report-locked-'));
  try {
    const exp = path.join(work, 'exp');
    await applySample(exp);
    fs.mkdirSync(path.join(exp, 'locked'));
    fs.copyFileSync(SAMPLE, path.join(exp, 'locked', 'IMG_9.jpg'));
    for (const d of [work, exp]) fs.chmodSync(d, 0o777);
    for (const f of fs.readdirSync(exp)) fs.chmodSync(path.join(exp, f), 0o644);
    fs.chmodSync(path.join(exp, 'locked'), 0o000);
    const asRoot = process.getuid?.() === 0;
    const command = [process.execPath, path.join(REPO, 'bin', 'deid.js'), 'report', exp, '--out', path.join(work, 'report.html')];
    const r = asRoot
      ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...command], { encoding: 'utf8' })
      : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
    expect(r.stderr).toMatch(/cannot list {2}locked: a folder that could not be read, so the record does not cover it/);
    expect(r.stderr).toMatch(/1 folder\(s\) could not be read/);
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(work, 'report.html'))).toBe(true);
  } finally {
    fs.chmodSync(path.join(work, 'exp', 'locked'), 0o755);
    fs.rmSync(work, { recursive: true, force: true });
  }
});
