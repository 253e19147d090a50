/**
 * Builds the Photoshop UXP panel into dist/: one bundle (index.js), index.html, manifest.json
 * (its version taken from package.json) and the icons. Load dist/manifest.json in UXP Developer
 * Tool; `node scripts/package.js` zips dist/ into a .ccx. Rules: research/photoshop-uxp.md
 * "Runtime, React, build".
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const webpack = require('webpack');
const CopyWebpackPlugin = require('copy-webpack-plugin');
const pkg = require('./package.json');

const DIST = path.resolve(__dirname, 'dist');

/** The manifest as shipped: the version always comes from package.json, so the two cannot drift. */
function manifestWithVersion(content) {
  const manifest = JSON.parse(content.toString('utf8'));
  manifest.version = pkg.version;
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The TypeScript/TSX rule shared by every bundle. */
function swcRule() {
  return {
    test: /\.[jt]sx?$/,
    exclude: /node_modules/,
    use: {
      loader: 'swc-loader',
      options: {
        jsc: {
          parser: { syntax: 'typescript', tsx: true, decorators: true },
          transform: { react: { runtime: 'automatic' } },
          // UXP 7's V8 runs ES2019 at least; newer syntax is lowered rather than risked.
          target: 'es2019',
        },
      },
    },
  };
}

const plugin = (argv) => ({
  name: 'plugin',
  mode: argv.mode || 'production',
  entry: path.resolve(__dirname, 'src/panels/index.tsx'),
  // UXP provides `require` for its own modules; web target otherwise (no Node built-ins).
  target: 'web',
  output: {
    path: DIST,
    filename: 'index.js',
    clean: true,
  },
  // UXP forbids eval/new Function, which every eval-* devtool relies on.
  devtool: false,
  module: { rules: [swcRule()] },
  resolve: {
    extensions: ['.tsx', '.ts', '.js', '.mjs', '.json'],
    alias: {
      // exifr's package "main" is a UMD build that probes for Node's fs/zlib; its browser ESM
      // build reads from the bytes we hand it and needs neither.
      exifr$: path.resolve(__dirname, 'node_modules/exifr/dist/full.esm.mjs'),
    },
    // Anything that still asks for a Node built-in gets nothing rather than a polyfill: the
    // panel only ever passes bytes to the core.
    fallback: { fs: false, path: false, zlib: false, stream: false, crypto: false, os: false },
  },
  // Host modules exist only inside Photoshop; `require` them at run time.
  externals: {
    photoshop: 'commonjs2 photoshop',
    uxp: 'commonjs2 uxp',
    os: 'commonjs2 os',
    fs: 'commonjs2 fs',
  },
  externalsType: 'commonjs2',
  plugins: [
    new webpack.DefinePlugin({
      __DEID_VERSION__: JSON.stringify(pkg.version),
      // Some dependencies read Node's `global`. webpack's own shim for it falls back to
      // `new Function("return this")`, which UXP forbids; UXP's V8 has globalThis.
      global: 'globalThis',
    }),
    // UXP loads one script; lazy chunks would need a loader it does not have.
    new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
    new CopyWebpackPlugin({
      patterns: [
        // `minimized: true` keeps webpack's minimizers off these: UXP's HTML parser is not a
        // browser's, and an index.html with its optional tags dropped is not worth the risk.
        { from: 'plugin/manifest.json', to: 'manifest.json', transform: manifestWithVersion, info: { minimized: true } },
        { from: 'plugin/index.html', to: 'index.html', info: { minimized: true } },
        { from: 'plugin/icons/*.png', to: 'icons/[name][ext]' },
      ],
    }),
  ],
  node: { global: false, __filename: false, __dirname: false },
  performance: { hints: false },
  optimization: { splitChunks: false },
});

/** The <style> of plugin/index.html, so the preview lays the panel out with the panel's own CSS. */
function previewHtml(content) {
  const panel = fs.readFileSync(path.resolve(__dirname, 'plugin/index.html'), 'utf8');
  const style = /<style>[\s\S]*?<\/style>/.exec(panel);
  if (!style) throw new Error('plugin/index.html has no <style> block');
  return content.toString('utf8').replace('<!-- PANEL_STYLE: the <style> of plugin/index.html is inserted here by webpack.config.js -->', style[0]);
}

/**
 * `npm run preview`: the panel's React tree for a browser (preview/index.tsx), with Spectrum
 * Web Components standing in for UXP's widgets and a sample photograph as the document.
 * Output in build/preview/; scripts/preview.js serves it on 127.0.0.1.
 */
const preview = (argv) => ({
  name: 'preview',
  mode: argv.mode || 'production',
  entry: path.resolve(__dirname, 'preview/index.tsx'),
  target: 'web',
  output: { path: path.resolve(__dirname, 'build/preview'), filename: 'preview.js', clean: true },
  devtool: false,
  module: { rules: [swcRule()] },
  resolve: {
    extensions: ['.tsx', '.ts', '.js', '.mjs', '.json'],
    alias: { exifr$: path.resolve(__dirname, 'node_modules/exifr/dist/full.esm.mjs') },
    fallback: { fs: false, path: false, zlib: false, stream: false, crypto: false, os: false },
  },
  plugins: [
    new webpack.DefinePlugin({ __DEID_VERSION__: JSON.stringify(`${pkg.version}-preview`), global: 'globalThis' }),
    new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
    new CopyWebpackPlugin({
      patterns: [
        { from: 'preview/index.html', to: 'index.html', transform: previewHtml, info: { minimized: true } },
        { from: 'samples/patient-photo.jpg', to: 'photo.jpg' },
      ],
    }),
  ],
  performance: { hints: false },
});

module.exports = (_env, argv = {}) => [plugin(argv), preview(argv)];
