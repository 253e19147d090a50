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
require(main).runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`deid: internal error: ${e && e.stack ? e.stack : e}\n`); process.exitCode = 2; },
);
