import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, SAMPLE } from '../helpers/paths';

/**
 * What `deid detect` writes, through the built CLI as a user runs it (the detectors'
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
