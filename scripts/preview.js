#!/usr/bin/env node
/**
 * Serves the built panel preview (build/preview/, made by `webpack --config-name preview`) on
 * 127.0.0.1 only, at a random port unless PORT is set. `npm run preview` builds and runs this.
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.jpg': 'image/jpeg', '.txt': 'text/plain; charset=utf-8' };

/** Serves the files directly in `dir` (no subfolders, no directory listing); resolves to the server. */
function serveDirectory(dir, port = 0) {
  const files = new Set(fs.readdirSync(dir));
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url || '/', 'http://127.0.0.1').pathname.slice(1)) || 'index.html';
    if (!files.has(name) || name.includes('/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)] || 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(path.join(dir, name)).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

module.exports = { serveDirectory };

if (require.main === module) {
  const dir = path.resolve(__dirname, '../build/preview');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    console.error('build/preview is missing: run `npm run preview` (it builds first).');
    process.exit(2);
  }
  serveDirectory(dir, Number(process.env.PORT) || 0).then((server) => {
    console.log(`Panel preview: http://127.0.0.1:${server.address().port}/  (Ctrl+C to stop)`);
  });
}
