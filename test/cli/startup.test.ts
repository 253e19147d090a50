import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';

// Every shard of a batch is a new process: starting the CLI must not load what verify and strip
// never use (the review server, the report writer, the detectors, apply, bag).
test('loading the CLI loads verify and strip, and no other command', () => {
  const main = path.join(REPO, 'build', 'cli', 'main.js');
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(main)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const loaded = (JSON.parse(r.stdout) as string[]).map((f) => path.relative(path.join(REPO, 'build', 'cli'), f));
  expect(loaded).toEqual(expect.arrayContaining(['verify.js', 'strip.js']));
  for (const lazy of ['apply-command.js', 'bag.js', 'detect.js', 'report.js', 'review.js', 'summarize.js']) expect(loaded).not.toContain(lazy);
  expect(loaded.some((f) => f.startsWith(`detect${path.sep}`) || f.startsWith(`review${path.sep}`))).toBe(false);
});
