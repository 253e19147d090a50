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
// unhandled 'error' stack trace. A strip stopped here is as safe as one killed (atomic.ts).
process.stdout.on('error', (e) => {
  if (e && e.code === 'EPIPE') {
    process.stderr.write('deid: stopped: the output pipe was closed before every result was printed\n');
    process.exit(2);
  }
  throw e;
});
require(main).runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`deid: internal error: ${e && e.stack ? e.stack : e}\n`); process.exitCode = 2; },
);
