/**
 * The TIFF walk finds where each strip's compressed data ends (tiff-coded.ts), which costs the
 * strip's length, and StripOffsets may point many strips at the same bytes: 20000 strips of one
 * 32 kB deflate stream (193 kB) took 7.7 s, 20000 strips starting at different places in one
 * 200 kB LZW run (360 kB) 9.4 s. Strips pointing at the same bytes are now walked once, with the
 * same verdict; strips whose bytes overlap from different starts, adding up to more than the
 * file, are refused before they are walked, with the reason. Asserted as work (bytes handed to
 * codedExtent, tiff-coded.ts codedWork), never as wall time; libtiff (tiffinfo) is the oracle
 * that the shared-strip file is a valid TIFF.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { codedWork } from '../../src/core/metadata/tiff-coded';
import { tiffFormat } from '../../src/core/metadata/tiff';
import { findingsOf } from '../helpers/container';

/**
 * A little-endian RGB TIFF (TIFF 6.0 sections 2, 6, 8) of width x rows, one row per strip, whose
 * every StripOffsets entry points at `data` (strip i at `shift(i)` bytes into it, `data.length -
 * cut` long). Entries: ImageWidth, ImageLength, BitsPerSample, Compression, Photometric 2,
 * StripOffsets, SamplesPerPixel 3, RowsPerStrip 1, StripByteCounts, PlanarConfiguration 1.
 */
function sharedStrips(width: number, rows: number, compression: number, data: Uint8Array, shift: (i: number) => number = () => 0, cut = 0): Uint8Array {
  const entries: Array<[number, number, number, number]> = [];
  const count = 10;
  const ifdEnd = 8 + 2 + count * 12 + 4;
  const bps = ifdEnd;
  const offsets = bps + 6;
  const counts = offsets + 4 * rows;
  const dataAt = counts + 4 * rows;
  const out = Buffer.alloc(dataAt + data.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  entries.push([256, 4, 1, width], [257, 4, 1, rows], [258, 3, 3, bps], [259, 3, 1, compression], [262, 3, 1, 2], [273, 4, rows, offsets], [277, 3, 1, 3], [278, 4, 1, 1], [279, 4, rows, counts], [284, 3, 1, 1]);
  out.writeUInt16LE(count, 8);
  entries.forEach(([tag, type, n, value], k) => {
    const at = 10 + 12 * k;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(n, at + 4);
    if (type === 3 && n === 1) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  for (let k = 0; k < 3; k++) out.writeUInt16LE(8, bps + 2 * k);
  for (let i = 0; i < rows; i++) {
    out.writeUInt32LE(dataAt + shift(i), offsets + 4 * i);
    out.writeUInt32LE(data.length - cut, counts + 4 * i);
  }
  out.set(data, dataAt);
  return new Uint8Array(out);
}

test('20000 strips of one 32 kB deflate stream: clean as before, the stream walked once', () => {
  const width = 20000;
  const row = new Uint8Array(width * 3);
  for (let i = 0, x = 1; i < row.length; i++, x = (Math.imul(x, 1103515245) + 12345) >>> 0) row[i] = x >>> 28;
  const file = sharedStrips(width, 20000, 8, deflateSync(row, { level: 1 }));
  expect(file.length).toBeLessThan(200_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-tiff-shared-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.tif'), file);
    // libtiff reads it: every strip decodes (tiffinfo -D reads the data).
    expect(execFileSync('tiffinfo', ['-D', path.join(dir, 'a.tif')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(/Image Width: 20000 Image Length: 20000/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const before = codedWork.bytes;
  expect(findingsOf(tiffFormat.walk(file))).toEqual([]);
  expect(codedWork.bytes - before).toBeLessThanOrEqual(file.length);
});

test('20000 strips starting at different places in one 200 kB LZW run: refused with the reason, before being walked again and again', () => {
  const file = sharedStrips(2000, 20000, 5, new Uint8Array(200_000), (i) => (i * 9) % 1000, 1000);
  const before = codedWork.bytes;
  const findings = findingsOf(tiffFormat.walk(file));
  expect(findings).toContainEqual(expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/strips whose compressed data overlap: the distinct ones add up to more than the file's \d+ bytes.*not read/) }));
  expect(codedWork.bytes - before).toBeLessThanOrEqual(file.length);
  expect(() => (tiffFormat.strip as NonNullable<typeof tiffFormat.strip>)(file)).toThrow();
});
