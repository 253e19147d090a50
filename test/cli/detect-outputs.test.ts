import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, SAMPLE } from '../helpers/paths';

/**
 * What `deid detect` writes and lists, through the built CLI as a user runs it (the detectors'
 * WebAssembly runtimes load outside jest's module sandbox, as in detect.test.ts). Refusals must
 * come before the detectors load: stdout stays empty.
 */
const DEID = path.join(REPO, 'bin', 'deid.js');
const LOADED_MODELS_TIMEOUT = 300_000;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DEID, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-detect-out-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('--recipe never writes over anything', () => {
  test('--recipe naming the photo itself: refused before detection, the photo unchanged', () => {
    const photo = path.join(tmp, 'pp2.jpg');
    fs.copyFileSync(SAMPLE, photo);
    const r = run('detect', photo, '--recipe', photo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--recipe ${photo} already exists`);
    expect(r.stderr).toMatch(/choose another name or remove it/);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(photo).equals(fs.readFileSync(SAMPLE))).toBe(true);
  });

  test('an existing (hand-checked) recipe is not replaced', () => {
    const recipe = path.join(tmp, 'checked.json');
    fs.writeFileSync(recipe, '{"steps": []}\n');
    const r = run('detect', SAMPLE, '--recipe', recipe);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists and is never written over; choose another name or remove it/);
    expect(r.stdout).toBe('');
    expect(fs.readFileSync(recipe, 'utf8')).toBe('{"steps": []}\n');
  });

  test('--recipe naming a folder, or with an empty path, is refused at once', () => {
    const folder = run('detect', SAMPLE, '--recipe', tmp);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`--recipe ${tmp} is a folder; name the file to write`);
    expect(folder.stdout).toBe('');
    const empty = run('detect', SAMPLE, '--recipe', '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--recipe needs a path; an empty one was given/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('files that are not images', () => {
  function mixedFolder(): string {
    const mix = path.join(tmp, 'mix');
    fs.mkdirSync(mix);
    fs.copyFileSync(SAMPLE, path.join(mix, 'a.jpg'));
    fs.writeFileSync(path.join(mix, 'notes.txt'), 'ward round notes\n');
    fs.writeFileSync(path.join(mix, '.hidden.jpg'), 'x');
    fs.writeFileSync(path.join(mix, 'a.deid.json'), '{"schema": "x"}\n');
    return mix;
  }

  test('are listed as skipped with their reason, in the human output and in --json', () => {
    const mix = mixedFolder();
    const human = run('detect', mix);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`skipped   ${JSON.stringify(path.join(mix, 'notes.txt'))}: unsupported format (not an image deid reads)`);
    expect(human.stdout).toContain(`skipped   ${JSON.stringify(path.join(mix, '.hidden.jpg'))}: hidden file`);
    expect(human.stdout).toContain('(+1 sidecar, not images)');
    const json = run('detect', mix, '--json');
    const out = JSON.parse(json.stdout) as { files: { path: string; skipped?: string; reason?: string }[]; summary: Record<string, number> };
    expect(out.files.map((f) => [path.basename(f.path), f.skipped ?? null])).toEqual([
      ['.hidden.jpg', 'hidden'],
      ['a.deid.json', 'sidecar'],
      ['a.jpg', null],
      ['notes.txt', 'unsupported'],
    ]);
    expect(out.summary).toMatchObject({ files: 1, errors: 0, skipped: 2, sidecars: 1 });
  }, LOADED_MODELS_TIMEOUT);

  test('--recipe counts images: one image among other files drafts its recipe; two images say "2 images"', () => {
    const mix = mixedFolder();
    const recipe = path.join(tmp, 'draft.json');
    const one = run('detect', mix, '--recipe', recipe);
    expect(one.stderr).toMatch(/draft recipe with \d+ step\(s\) written/);
    expect(one.stdout).toContain('skipped   ');
    expect(JSON.parse(fs.readFileSync(recipe, 'utf8')).steps.length).toBeGreaterThan(0);

    fs.copyFileSync(SAMPLE, path.join(mix, 'b.jpg'));
    const two = run('detect', mix, '--recipe', path.join(tmp, 'two.json'));
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--recipe drafts the steps for ONE image; the arguments hold 2 images \(3 other files skipped\)/);
    expect(fs.existsSync(path.join(tmp, 'two.json'))).toBe(false);

    // One input that cannot be read: said before the detectors load, nothing written.
    const missing = run('detect', path.join(tmp, 'missing.jpg'), '--recipe', path.join(tmp, 'missing.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no recipe written: ".*missing\.jpg": cannot read: ENOENT/);
    expect(missing.stdout).toBe('');
    expect(fs.existsSync(path.join(tmp, 'missing.json'))).toBe(false);
  }, LOADED_MODELS_TIMEOUT);
});
