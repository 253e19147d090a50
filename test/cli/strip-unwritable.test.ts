import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS, REPO } from '../helpers/paths';

// A read-only folder inside --out (a share mounted read-only, a folder another user owns): each
// photo going there is refused with the output it could not write and the folder, in words. The
// refusal used to quote Node's message, which names the hidden staging file
// (".Canon_40D.jpg.deid-tmp-<host>-<pid>-<random>"), a name the user never chose and cannot find.
// Root writes into any folder, so as root the strip runs as nobody (as report-coverage does).
test('a photo whose output folder cannot be written is refused naming the output and the folder, never the staging file', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-strip-ro-'));
  try {
    const input = path.join(work, 'Study photos');
    fs.mkdirSync(path.join(input, 'ward 3'), { recursive: true });
    fs.mkdirSync(path.join(input, 'phone'));
    fs.copyFileSync(path.join(CORPUS, 'jpg', 'Canon_40D.jpg'), path.join(input, 'ward 3', 'Canon_40D.jpg'));
    fs.copyFileSync(path.join(CORPUS, 'jpg', 'mobile', 'jolla.jpg'), path.join(input, 'phone', 'jolla.jpg'));
    const out = path.join(work, 'clean');
    fs.mkdirSync(path.join(out, 'ward 3'), { recursive: true });
    for (const d of [work, input, path.join(input, 'ward 3'), path.join(input, 'phone'), out]) fs.chmodSync(d, 0o777);
    fs.chmodSync(path.join(out, 'ward 3'), 0o555);
    const command = [process.execPath, path.join(REPO, 'bin', 'deid.js'), 'strip', input, '--out', out];
    const r = process.getuid?.() === 0
      ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...command], { encoding: 'utf8' })
      : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
    const said = r.stdout + r.stderr;
    const target = path.join(out, 'ward 3', 'Canon_40D.jpg');
    expect(said).toContain(`REFUSED   ${path.join(input, 'ward 3', 'Canon_40D.jpg')}: write failed: cannot write ${target} (in ${path.join(out, 'ward 3')}): EACCES (permission denied)`);
    expect(said).not.toMatch(/deid-tmp/);
    expect(r.status).toBe(1);
    // The other photo, in a folder that can be written, is there; nothing is in the locked one.
    expect(fs.readdirSync(path.join(out, 'ward 3'))).toEqual([]);
    expect(fs.existsSync(path.join(out, 'phone', 'jolla.jpg'))).toBe(true);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
