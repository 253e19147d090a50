/**
 * The rows of indexed and sub-byte PNGs (png-rows.ts: palette entries no pixel uses, bits after
 * a row's last pixel) are read in every walk, with or without scanData. A 240 kB indexed PNG
 * declaring 15800 x 15800 (just under the 250 MP limit) is 250 MB of rows, which the walk held
 * whole (304 MB peak, 0.85 s). They are now inflated in pieces and read two rows at a time, and a
 * row repeating the one before is not looked at again. Asserted as work (rows read one by one)
 * and as the peak memory of a child process, never as wall time; libspng (sharp) is the oracle
 * for the pixels strip writes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { pngFormat } from '../../src/core/metadata/png';
import { emptyFacts, readRows } from '../../src/core/metadata/png-rows';
import { parseIhdr, rawImageSize } from '../../src/core/metadata/png-rules';
import { be32, pngChunk } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { densestZeros } from '../helpers/deflate-build';
import { REPO } from '../helpers/paths';
import { concatBytes } from '../helpers/plant';

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const SIDE = 15800;

function ihdrData(width: number, height: number, depth: number, colourType: number, interlace = 0): Uint8Array {
  return concatBytes(be32(width), be32(height), Uint8Array.of(depth, colourType, 0, 0, interlace));
}

/** 15800 x 15800, 8-bit indexed, every pixel index 0 (filter 0 on every row), a one-entry palette. */
function flatIndexed(): { file: Uint8Array; zlib: Uint8Array } {
  const zlib = densestZeros(SIDE * (1 + SIDE));
  const file = concatBytes(SIGNATURE, pngChunk('IHDR', ihdrData(SIDE, SIDE, 8, 3)), pngChunk('PLTE', Uint8Array.of(10, 20, 30)), pngChunk('IDAT', zlib), pngChunk('IEND', new Uint8Array(0)));
  return { file, zlib };
}

test('a 240 kB indexed PNG declaring 15800 x 15800: clean, one row read one by one, not 15800', () => {
  const { file, zlib } = flatIndexed();
  expect(file.length).toBeLessThan(250_000);
  for (const options of [{}, { scanData: true }]) expect(findingsOf(pngFormat.walk(file, options))).toEqual([]);
  const ihdr = parseIhdr(ihdrData(SIDE, SIDE, 8, 3), 0, 13);
  const facts = emptyFacts(ihdr);
  readRows(zlib, ihdr, SIDE, SIDE, facts);
  expect(facts.rowsRead).toBe(1);
  expect([...(facts.used as Uint8Array)].map((u, i) => (u ? i : -1)).filter((i) => i >= 0)).toEqual([0]);
});

test('its walk in a child process (the built core) peaks below the 250 MB its rows take whole', () => {
  const script = `
    const { pngFormat } = require(${JSON.stringify(path.join(REPO, 'build', 'core', 'metadata', 'png.js'))});
    const file = require('fs').readFileSync(process.argv[1]);
    const parts = pngFormat.walk(new Uint8Array(file.buffer, file.byteOffset, file.length), { scanData: true });
    const status = require('fs').readFileSync('/proc/self/status', 'utf8');
    console.log(JSON.stringify({ findings: parts.filter((p) => p.finding).length, peak: 1024 * Number(/VmHWM:\\s*(\\d+) kB/.exec(status)[1]) }));`;
  const file = path.join(os.tmpdir(), `deid-png-rows-${process.pid}.png`);
  fs.writeFileSync(file, flatIndexed().file);
  try {
    const r = spawnSync(process.execPath, ['-e', script, file], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout) as { findings: number; peak: number };
    expect(out.findings).toBe(0);
    expect(out.peak).toBeLessThan(200 * 1024 * 1024);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('repeated rows with bits set after their last pixel are each counted, and strip clears them all with the same pixels (libspng)', async () => {
  // 13 pixels of 1 bit: 2 bytes a row, the last 3 bits spare (PNG 7.2); every row 0xaa 0xaf.
  const width = 13;
  const height = 50;
  const rows = new Uint8Array(height * 3);
  for (let y = 0; y < height; y++) rows.set([0, 0xaa, 0xaf], 3 * y);
  const file = concatBytes(SIGNATURE, pngChunk('IHDR', ihdrData(width, height, 1, 0)), pngChunk('IDAT', deflateSync(rows)), pngChunk('IEND', new Uint8Array(0)));
  expect(findingsOf(pngFormat.walk(file))).toEqual([expect.objectContaining({ detail: `bits set after the last pixel of ${height} scanline(s) (never decoded)` })]);
  const stripped = (pngFormat.strip as NonNullable<typeof pngFormat.strip>)(file).bytes;
  expect(findingsOf(pngFormat.walk(stripped))).toEqual([]);
  const pixels = (png: Uint8Array) => sharp(png).raw().toBuffer();
  expect((await pixels(stripped)).equals(await pixels(file))).toBe(true);
  // Interlaced (Adam7, PNG 8.2): the passes' rows repeat too, each pass read from its first row.
  const ihdr = parseIhdr(ihdrData(width, height, 1, 0, 1), 0, 13);
  const facts = emptyFacts(ihdr);
  readRows(new Uint8Array(deflateSync(new Uint8Array(rawImageSize(ihdr, width, height)))), ihdr, width, height, facts);
  expect(facts.rowsRead).toBe(7);
});
