#!/usr/bin/env node
'use strict';
/**
 * `npm run package`: zips the built plugin (dist/) into dist/<id>_PS.ccx, the file Creative Cloud
 * installs. A .ccx is a zip of the plugin folder with manifest.json at its root; dotfiles, lock
 * files, source maps and earlier packages are left out (research/photoshop-uxp.md). Run the
 * webpack build first. Usage: node scripts/package.js [distDir]
 */
const fs = require('node:fs');
const path = require('node:path');
const { zipSync } = require('fflate');
const { manifestProblems } = require('./manifest-rules');

/** Fixed timestamp in every entry, so the same build gives the same bytes (zip dates start 1980). */
const ENTRY_TIME = new Date('2000-01-01T00:00:00Z');
const EXCLUDED = [/^\./, /\.map$/i, /\.ccx$/i, /\.tmp$/i, /^package-lock\.json$/, /^yarn\.lock$/, /^pnpm-lock\.yaml$/, /^npm-shrinkwrap\.json$/];

function isExcluded(name) {
  return EXCLUDED.some((re) => re.test(name));
}

/** Files under dir as zip paths ("icons/panel.png"), skipping excluded names at any depth. */
function collect(dir, prefix = '') {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (isExcluded(entry.name)) continue;
    const full = path.join(dir, entry.name);
    const zipPath = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...collect(full, zipPath));
    else if (entry.isFile()) out.push(zipPath);
  }
  return out;
}

function packagePlugin(distDir) {
  const manifestPath = path.join(distDir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new Error(`${manifestPath} not found: build the plugin first (npm run build:plugin)`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const pkg = require('../package.json');
  const problems = manifestProblems(manifest, {
    packageVersion: pkg.version,
    fileExists: (p) => fs.existsSync(path.join(distDir, p)),
  });
  if (problems.length > 0) throw new Error(`dist/manifest.json breaks the packaging rules:\n  - ${problems.join('\n  - ')}`);
  const files = {};
  for (const p of collect(distDir)) files[p] = [new Uint8Array(fs.readFileSync(path.join(distDir, ...p.split('/')))), { mtime: ENTRY_TIME }];
  const outPath = path.join(distDir, `${manifest.id}_${manifest.host.app}.ccx`);
  const tmp = `${outPath}.tmp`;
  fs.writeFileSync(tmp, zipSync(files, { level: 9 }));
  fs.renameSync(tmp, outPath);
  return { outPath, files: Object.keys(files) };
}

if (require.main === module) {
  try {
    const { outPath, files } = packagePlugin(path.resolve(process.argv[2] || path.join(__dirname, '..', 'dist')));
    process.stdout.write(`wrote ${path.relative(process.cwd(), outPath)} (${files.length} files)\n`);
  } catch (e) {
    process.stderr.write(`package: ${e.message}\n`);
    process.exit(1);
  }
}

module.exports = { packagePlugin };
