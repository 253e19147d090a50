import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS, REPO } from '../helpers/paths';

// An iPhone photo is HEVC-coded HEIC, which this build of libvips cannot decode. Commands that
// need its pixels say so in one line a user can act on, not libvips' repeated decoder output.
// The built command (the detectors' runtime does not load inside jest's module sandbox).
const HEIC = path.join(CORPUS, 'heic', 'IMG_5195.HEIC');
const HINT = 'HEVC-coded HEIC cannot be decoded by this build; export it as JPEG or PNG from Photoshop, or convert it first';
const deid = (...args: string[]) => spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), ...args], { encoding: 'utf8' });

test('detect of a folder ends with a summary, and an exit 2 says how many files were not looked at', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-detect-summary-'));
  try {
    fs.copyFileSync(HEIC, path.join(dir, 'IMG_5195.HEIC'));
    fs.copyFileSync(path.join(CORPUS, 'jpg', 'Canon_40D.jpg'), path.join(dir, 'Canon_40D.jpg'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'ward round\n');
    const r = deid('detect', dir);
    expect(r.status).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^2 files: \d+ possible face\(s\), \d+ possible text region\(s\), 1 error\(s\), 1 skipped$/);
    expect(r.stderr).toContain('deid detect: exit 2: 1 file was not looked at (listed as ERROR, with the reason)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('detect and verify --pixels name the HEIC problem and the way out', () => {
  const detect = deid('detect', HEIC);
  expect(detect.status).toBe(2);
  expect(`${detect.stdout}${detect.stderr}`).toContain(HINT);
  const verify = deid('verify', '--pixels', '--json', HEIC);
  expect(verify.status).toBe(2);
  expect(JSON.parse(verify.stdout).files[0].error).toContain(HINT);
  // apply: an input it cannot read is a usage problem (exit 2), as a missing file is.
  const apply = deid('apply', path.join(REPO, 'samples', 'recipe.json'), HEIC, '--out', path.join(os.tmpdir(), 'deid-heic-apply-never-written'));
  expect(apply.status).toBe(2);
  expect(apply.stderr).toContain(HINT);
});

// A damaged camera JPEG passes verify and strip (they read its structure, not its picture); apply
// and detect, which decode it, refuse it. The refusal says what is wrong and what to do, beside
// libvips' own words. The damaged files: the corpus' corrupted.jpg (djpeg: "Corrupt JPEG data")
// and a camera JPEG cut short here.
test('apply of a JPEG with damaged or cut-off picture data says the data is damaged and to re-save it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-damaged-'));
  try {
    const cut = path.join(dir, 'cut.jpg');
    fs.writeFileSync(cut, fs.readFileSync(path.join(CORPUS, 'jpg', 'gps', 'DSCN0010.jpg')).subarray(0, 20_000));
    const recipe = path.join(dir, 'recipe.json');
    fs.writeFileSync(recipe, JSON.stringify({ steps: [{ op: 'overlay', region: { x: 0, y: 0, w: 10, h: 10 }, regionKind: 'text' }] }));
    for (const [file, why] of [[path.join(CORPUS, 'jpg', 'corrupted.jpg'), /VipsJpeg: Corrupt JPEG data/], [cut, /VipsJpeg: premature end of JPEG/i]] as const) {
      const out = path.join(dir, 'out');
      const r = deid('apply', recipe, file, '--out', out);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain("the JPEG's picture data is damaged, so part of the picture may not show as it was taken; open it in an editor that shows it, check it, and save it again as JPEG or PNG first");
      expect(fs.existsSync(out)).toBe(false);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
