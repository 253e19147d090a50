import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { CORPUS, REPO } from '../helpers/paths';

const DEID = path.join(REPO, 'bin', 'deid.js');
const GPS = path.join(CORPUS, 'jpg', 'gps');

test('on a terminal, a batch shows a progress bar on stderr that reaches the total', () => {
  // `script` (util-linux) runs the command on a pseudo-terminal, as a person at a shell would.
  const r = spawnSync('script', ['-qec', `${process.execPath} ${DEID} verify --allow-skipped ${GPS}`, '/dev/null'], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  // Every file the walk examines counts, the folder's README (skipped as not an image) included.
  const total = readdirSync(GPS).length;
  expect(r.stdout).toContain(`] 0/${total} files`);
  expect(r.stdout).toMatch(new RegExp(`verify \\[█+\\] ${total}/${total} files`));
});

test('without a terminal (a pipe, CI, --json into a file) there is no progress bar', () => {
  // --allow-skipped: the folder's README is skipped (not an image) and would make the exit 2.
  const r = spawnSync(process.execPath, [DEID, 'verify', '--allow-skipped', GPS], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/9 files: 0 clean, 9 with findings, 0 errors, 1 skipped/);
});
