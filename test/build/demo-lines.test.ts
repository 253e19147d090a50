import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';

// `npm start` prints each command it runs, for the user to copy. They were printed joined by
// spaces, so `--recipient Example Research Unit` ran as three arguments when pasted. bash, the
// oracle, must read each printed line back into exactly the arguments the demo ran.
const { shellLine } = require(path.join(REPO, 'scripts', 'demo.js')) as { shellLine: (args: string[]) => string };

test.each([
  [['bag', 'create', 'out/export', '--out', 'out/bag', '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive']],
  [['strip', 'Study 42 photos/ward 3', '--out', 'clean']],
  [['bag', 'verify', 'out/bag', '--receiver', "O'Brien & Sons", '--log', '$HOME/log;rm -rf x', '*.jpg', '', 'a"b`c`\\d']],
])('a printed command reads back in bash as the arguments the demo ran: %j', (args) => {
  const r = spawnSync('bash', ['-c', `printf '%s\\0' ${shellLine(args)}`], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout.split('\0').slice(0, -1)).toEqual(args);
});
