import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { scanStructure, stripMetadata } from '../../src/core/metadata/scan';
import { allFiles } from '../helpers/files';
import { CORPUS } from '../helpers/paths';

/**
 * A Node Buffer is a Uint8Array whose slice() is a view, not a copy: a walk that copied with
 * slice() and then wrote (a canonical SOS tail, a TIFF rational in lowest terms) wrote into its
 * caller's file, and a second scan of the same Buffer answered differently. Every corpus file,
 * as a Buffer: scanned twice and stripped, it is unchanged and answers as a plain copy does.
 */
test('the walks and strip never write into their input, and a Buffer answers as a plain Uint8Array', () => {
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const outcome = (f: () => unknown) => {
    try {
      return JSON.stringify(f());
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  let checked = 0;
  for (const file of allFiles(CORPUS).filter((f) => !/README/.test(f))) {
    const buffer = fs.readFileSync(file);
    const plain = new Uint8Array(buffer);
    const before = sha(buffer);
    const first = outcome(() => scanStructure(buffer).findings);
    const second = outcome(() => scanStructure(buffer).findings);
    const stripped = outcome(() => sha(stripMetadata(buffer).bytes));
    expect([file, sha(buffer)]).toEqual([file, before]);
    expect([file, first]).toEqual([file, second]);
    expect([file, first]).toEqual([file, outcome(() => scanStructure(plain).findings)]);
    expect([file, stripped]).toEqual([file, outcome(() => sha(stripMetadata(plain).bytes))]);
    checked++;
  }
  expect(checked).toBeGreaterThan(100);
});
