/**
 * Test-side helpers for progressive JPEGs (T.81 Annex G): the scans of a file (jpeg-scans.ts),
 * each walked with ProgressiveScans in file order, and files made by the
 * libjpeg-turbo tools (jpegtran) where sharp has no option: restart intervals, scan scripts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProgressiveScans, type ScanExtent } from '../../src/core/metadata/jpeg-scan-progressive';
import { scanHeaders, type ScanHeader } from './jpeg-scans';

export interface WalkedScan extends ScanHeader {
  extent: ScanExtent | null;
}

/** Every scan of a progressive (SOF2) file, walked in order; null for any other file. */
export function progressiveScans(bytes: Uint8Array): WalkedScan[] | null {
  const headers = scanHeaders(bytes);
  if (headers.length === 0 || headers[0].frameMarker !== 0xc2) return null;
  const walker = new ProgressiveScans(headers[0].frame);
  return headers.map((h) => ({ ...h, extent: walker.extent(bytes, h.start, h.end, h, h.restartInterval) }));
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
