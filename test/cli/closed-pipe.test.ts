import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CORPUS, REPO } from '../helpers/paths';

// `deid verify ... | head`: the reader closes the pipe after a few lines. The built command
// ends with exit 2 (not every result was delivered; a finished run here would exit 1) and one
// line saying why, not Node's unhandled 'error' stack trace.
test('a reader that closes the output pipe early ends deid with exit 2 and a one-line reason', async () => {
  const args = ['verify', '--jsonl', '--allow-skipped', ...Array<string>(20).fill(CORPUS)];
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'deid.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(stderr).toMatch(/^deid: stopped: the output pipe was closed before every result was printed$/m);
  expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
  expect(code).toBe(2);
});
