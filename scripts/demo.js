#!/usr/bin/env node
'use strict';
// `npm start`: the main job end to end on the bundled sample, with the real `deid` binary.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'out');
const deid = path.join(root, 'bin', 'deid.js');

/**
 * The command as a user would type it: an argument with a space or a shell character is quoted,
 * so a line copied from the demo (`--recipient 'Example Research Unit'`) runs as shown.
 */
function shellLine(args) {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function run(title, args, expected) {
  console.log(`\n$ npx deid ${shellLine(args)}    # ${title}`);
  const r = spawnSync(process.execPath, [deid, ...args], { cwd: root, stdio: 'inherit' });
  if (!expected.includes(r.status)) {
    console.error(`unexpected exit code ${r.status} (expected ${expected.join(' or ')})`);
    process.exit(1);
  }
}

function main() {
  fs.rmSync(out, { recursive: true, force: true });
  run('the sample carries identifying metadata: exit 1', ['verify', 'samples/patient-photo.jpg'], [1]);
  run('lossless strip into out/stripped', ['strip', 'samples/patient-photo.jpg', '--out', 'out/stripped'], [0]);
  run('the stripped copy is clean: exit 0', ['verify', 'out/stripped'], [0]);
  run('replay the recipe: mosaic the face, cover the badge, export under an alternate id', ['apply', 'samples/recipe.json', 'samples/patient-photo.jpg', '--out', 'out/export'], [0]);
  run('verify the export against its sidecar (checklist not yet signed: exit 1)', ['verify', 'out/export'], [1]);
  run('pack the export for transfer as a BagIt bag (unsigned, so only with --allow-unsigned, which the bag records)', ['bag', 'create', 'out/export', '--out', 'out/bag', '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive', '--allow-unsigned', '--log', 'out/transfers.log'], [0]);
  run('the receiver validates the bag, re-verifies every image and writes a receipt', ['bag', 'verify', 'out/bag', '--receipt', 'out/receipt.json', '--receiver', 'Data Manager', '--log', 'out/transfers.log'], [0]);
  console.log('\nThe plugin is built in dist/ (load dist/manifest.json in UXP Developer Tool). Outputs are in out/.');
}

if (require.main === module) main();
module.exports = { shellLine };
