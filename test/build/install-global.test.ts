import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, SAMPLE } from '../helpers/paths';

// README "The deid command line": outside the checkout `npx deid` asks the npm registry for an
// unrelated package, so the README tells users to put deid on the PATH with `npm install -g .`
// (--prefix without root) and docs/scale.md's examples call `deid` by name. npm, the oracle,
// must make that a working `deid` that strips a photo in a folder of its own.
test("the README's `npm install -g .` (with --prefix) gives a deid that works from a photos folder outside the checkout", () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  expect(readme).toContain('`npm install -g .` (add `--prefix ~/.local` without\nroot, with `~/.local/bin` on the `PATH`)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-global-'));
  try {
    const prefix = path.join(work, 'local');
    const install = spawnSync('npm', ['install', '-g', '.', '--prefix', prefix, '--offline', '--no-audit', '--no-fund'], { cwd: REPO, encoding: 'utf8' });
    expect(install.stderr).not.toMatch(/ERR!/);
    expect(install.status).toBe(0);
    const photos = path.join(work, 'Study photos');
    fs.mkdirSync(photos);
    fs.copyFileSync(SAMPLE, path.join(photos, 'IMG_0001.jpg'));
    const env = { ...process.env, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` };
    const r = spawnSync('bash', ['-c', 'deid strip "Study photos" --out clean && deid verify clean'], { cwd: work, env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('clean     clean/IMG_0001.jpg (jpeg)');
    expect(r.status).toBe(0);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 60_000);
