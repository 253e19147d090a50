/**
 * Test-side helpers for progressive JPEGs (T.81 Annex G): the scans of a file found by segment
 * lengths (B.1.1), each walked with ProgressiveScans in file order, and files made by the
 * libjpeg-turbo tools (jpegtran) where sharp has no option: restart intervals, scan scripts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildHuffman, readFrame, type HuffmanTable } from '../../src/core/metadata/jpeg-scan';
import { ProgressiveScans, type ScanExtent } from '../../src/core/metadata/jpeg-scan-progressive';

export interface WalkedScan {
  /** Offset of the SOS marker, of its coded data, and of the marker that ends that data. */
  sos: number;
  start: number;
  end: number;
  ss: number;
  se: number;
  ah: number;
  al: number;
  restartInterval: number;
  extent: ScanExtent | null;
}

/** Where the coded data from `from` ends: the first FF not followed by 00 or RSTn (B.1.1.5). */
export function dataEnd(bytes: Uint8Array, from: number): number {
  let end = from;
  while (end + 1 < bytes.length && !(bytes[end] === 0xff && bytes[end + 1] !== 0 && (bytes[end + 1] < 0xd0 || bytes[end + 1] > 0xd7))) end++;
  return end + 1 < bytes.length ? end : bytes.length;
}

/** Every scan of a progressive (SOF2) file, walked in order; null for any other file. */
export function progressiveScans(bytes: Uint8Array): WalkedScan[] | null {
  const tables: Array<HuffmanTable | undefined> = [];
  let walker: ProgressiveScans | null = null;
  let restartInterval = 0;
  const scans: WalkedScan[] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xd9) break;
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const body = at + 4;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (marker !== 0xc2) return null;
      walker = new ProgressiveScans(readFrame(bytes, at));
    }
    if (marker === 0xdd) restartInterval = (bytes[body] << 8) | bytes[body + 1];
    if (marker === 0xc4) {
      for (let p = body; p < at + 2 + length; ) {
        const { table, end } = buildHuffman(bytes, p + 1);
        tables[(bytes[p] >> 4) * 4 + (bytes[p] & 15)] = table;
        p = end;
      }
    }
    if (marker === 0xda) {
      if (!walker) return null;
      const count = bytes[body];
      const components = Array.from({ length: count }, (_, c) => ({ id: bytes[body + 1 + 2 * c], dc: tables[bytes[body + 2 + 2 * c] >> 4], ac: tables[4 + (bytes[body + 2 + 2 * c] & 15)] }));
      const tail = body + 1 + 2 * count;
      const scan = { components, ss: bytes[tail], se: bytes[tail + 1], ah: bytes[tail + 2] >> 4, al: bytes[tail + 2] & 15 };
      const start = at + 2 + length;
      const end = dataEnd(bytes, start);
      scans.push({ sos: at, start, end, ...scan, restartInterval, extent: walker.extent(bytes, start, end, scan, restartInterval) });
      at = end;
      continue;
    }
    at += 2 + length;
  }
  return scans;
}

/** The libjpeg-turbo tools are on the machine (CI installs libjpeg-turbo-progs). */
export function haveJpegtran(): boolean {
  try {
    execFileSync('jpegtran', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `jpegtran args... file` on `input` (lossless: the same coefficients, recoded). */
export function jpegtran(input: Uint8Array, args: string[], scanScript?: string): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-jpegtran-'));
  try {
    const file = path.join(dir, 'in.jpg');
    fs.writeFileSync(file, input);
    const extra: string[] = [];
    if (scanScript !== undefined) {
      fs.writeFileSync(path.join(dir, 'scans.txt'), scanScript);
      extra.push('-scans', path.join(dir, 'scans.txt'));
    }
    return new Uint8Array(execFileSync('jpegtran', [...args, ...extra, file]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `cjpeg args...` on raw RGB pixels (given as a binary PPM, P6). */
export function cjpeg(rgb: Uint8Array, width: number, height: number, args: string[]): Uint8Array {
  const ppm = Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1'), Buffer.from(rgb)]);
  return new Uint8Array(execFileSync('cjpeg', args, { input: ppm }));
}
