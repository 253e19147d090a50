import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CORPUS, REPO, SAMPLE } from '../helpers/paths';

// detect takes seconds per photo: each file's lines go out as it is done, so a long folder shows
// progress and an interrupted run keeps what it found (the built command: the detectors' runtime
// does not load inside jest's module sandbox).
test('detect prints each file as it is done, before the next is looked at', async () => {
  const files = [SAMPLE, path.join(CORPUS, 'jpg', 'Canon_40D.jpg'), path.join(CORPUS, 'jpg', 'Nikon_D70.jpg')];
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'detect', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  const runningThen = child.exitCode === null;
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  expect(first).toContain(JSON.stringify(SAMPLE));
  expect(first).not.toContain('Nikon_D70');
  expect(runningThen).toBe(true);
}, 60_000);
