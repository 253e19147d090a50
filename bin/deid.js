#!/usr/bin/env node
'use strict';
// The CLI is compiled from src/cli by `npm run build:cli` (tsc -p tsconfig.node.json).
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'build', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('deid: not built yet; run `npm run build:cli` first\n');
  process.exit(2);
}
// A reader that stops early (`deid verify ... | head`) closes the pipe. Stop quietly, as command
// line tools do on SIGPIPE, with exit 2 (not every result was delivered), instead of Node's
// unhandled 'error' stack trace. A batch in progress stops as on Ctrl-C (after the files in hand,
// its temporary files removed, batch.ts) and then ends here; anything else ends at once.
// The same for any other failed write of the results (`--jsonl > shard.jsonl` on a disk that
// fills up: ENOSPC, EDQUOT, EFBIG, EIO): the results are lost, which is neither "findings" nor
// "refused" (exit 1, what the unhandled stack trace exited with), so exit 2 with one line.
let outputClosed = false;
process.stdout.on('error', (e) => {
  if (outputClosed) return;
  outputClosed = true;
  const why = e && e.code === 'EPIPE'
    ? 'the output pipe was closed before every result was printed'
    : `cannot write the results (${e && e.message ? e.message : e}); not every result was delivered`;
  process.stderr.write(`deid: stopped: ${why}\n`);
  const { stopForClosedOutput } = require(path.join(__dirname, '..', 'build', 'cli', 'batch.js'));
  if (!stopForClosedOutput()) process.exit(2);
});
// 130 and 143 are only an interrupted batch's (batch.ts): it has cleaned up, and a read still
// pending (`--files-from -` on a terminal or a slow pipe) must not keep the process alive.
const STOPPED = new Set([130, 143]);
require(main).runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (outputClosed) process.exit(2);
    if (STOPPED.has(code)) process.exit(code);
  },
  (e) => { process.stderr.write(`deid: internal error: ${e && e.stack ? e.stack : e}\n`); process.exitCode = 2; },
);
