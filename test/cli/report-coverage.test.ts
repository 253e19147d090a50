import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
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
