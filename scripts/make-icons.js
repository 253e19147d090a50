#!/usr/bin/env node
/**
 * Draws the plugin's PNG icons (committed under plugin/icons; run again only to change them).
 *
 * UXP wants a 23x23 panel icon and a 24x24 plugin icon, each with an @2x variant, theme "all"
 * (research/photoshop-uxp.md "Manifest v5"). The picture is a framed photo whose middle is a
 * mosaic of grey cells: what the panel does to a face. Drawn as SVG and rasterised by sharp so
 * every size is crisp rather than scaled from one bitmap.
 */
'use strict';
const path = require('node:path');
const sharp = require('sharp');

const OUT_DIR = path.resolve(__dirname, '../plugin/icons');
/** [file name, pixel size]; the 2x files hold the same drawing at double resolution. */
const ICONS = [
  ['panel.png', 23],
  ['panel@2x.png', 46],
  ['plugin.png', 24],
  ['plugin@2x.png', 48],
];
/** Mosaic grid inside the frame (cells per side) and its greys, darkest to lightest. */
const GRID = 3;
const GREYS = ['#5a5a5a', '#8c8c8c', '#b4b4b4'];
/** Mid-grey reads on both Photoshop's dark and light UI themes. */
const FRAME = '#9a9a9a';

function drawSvg(size) {
  const unit = size / 24;
  const inset = 3 * unit;
  const inner = size - 2 * inset;
  const cell = inner / GRID;
  const cells = [];
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < GRID; col++) {
      const fill = GREYS[(row * 2 + col) % GREYS.length];
      cells.push(`<rect x="${inset + col * cell}" y="${inset + row * cell}" width="${cell}" height="${cell}" fill="${fill}"/>`);
    }
  }
  const stroke = 1.5 * unit;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">` +
      `<rect x="${stroke / 2}" y="${stroke / 2}" width="${size - stroke}" height="${size - stroke}" rx="${2 * unit}" fill="none" stroke="${FRAME}" stroke-width="${stroke}"/>` +
      cells.join('') +
      '</svg>',
  );
}

async function main() {
  for (const [name, size] of ICONS) {
    // No metadata: sharp writes none unless asked (withMetadata), which suits a de-identification tool.
    await sharp(drawSvg(size)).resize(size, size).png({ compressionLevel: 9 }).toFile(path.join(OUT_DIR, name));
    process.stdout.write(`wrote plugin/icons/${name} (${size}x${size})\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
