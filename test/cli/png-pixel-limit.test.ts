/**
 * `deid verify --policy` with maxPixels: the PNG walk reads an image's rows (indexed and sub-byte
 * images always, every image under --scan-data) only up to the limit the policy gives, the same
 * one pixel decoding has (core/limits.ts when the policy has none). A lower limit refuses what
 * the default reads; a higher one reads what the default refuses. libspng (sharp) is the oracle
 * that both files are valid PNGs of their size.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { be32, pngChunk } from '../helpers/chunks';
import { concatBytes } from '../helpers/plant';
import { deid, json } from './run';

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-png-pixel-limit-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A 1-bit greyscale PNG of side x side, every pixel black: its rows are read in every verify. */
function oneBitGrey(side: number): Uint8Array {
  return concatBytes(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk('IHDR', concatBytes(be32(side), be32(side), Uint8Array.of(1, 0, 0, 0, 0))),
    pngChunk('IDAT', deflateSync(new Uint8Array(side * (1 + Math.ceil(side / 8))), { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  );
}

function policyFile(name: string, maxPixels: number): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, JSON.stringify({ policyVersion: 1, maxPixels }));
  return file;
}

test('a policy maxPixels below a 1000 x 1000 PNG refuses reading it, naming the limit; the default reads it clean', async () => {
  const file = path.join(work, 'small.png');
  fs.writeFileSync(file, oneBitGrey(1000));
  expect(await sharp(file).metadata()).toMatchObject({ format: 'png', width: 1000, height: 1000 });
  expect((await deid('verify', file)).code).toBe(0);
  const r = await deid('verify', '--json', '--policy', policyFile('low.json', 500_000), file);
  expect(r.code).toBe(2);
  expect(json(r.stdout).files[0].error).toMatch(/1000x1000, more than the 0\.5 MP whose data is read \(maxPixels in the policy file/);
});

test('a policy maxPixels above the default reads a 250.02 MP PNG the default refuses', async () => {
  const side = 15812;
  const file = path.join(work, 'large.png');
  fs.writeFileSync(file, oneBitGrey(side));
  expect(await sharp(file, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: side, height: side });
  const byDefault = await deid('verify', '--json', file);
  expect(byDefault.code).toBe(2);
  expect(json(byDefault.stdout).files[0].error).toMatch(/15812x15812, more than the 250 MP/);
  const high = policyFile('high.json', 260_000_000);
  expect((await deid('verify', '--policy', high, file)).code).toBe(0);
  expect((await deid('verify', '--scan-data', '--policy', high, file)).code).toBe(0);
});
