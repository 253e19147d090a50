import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { indexOfByte, useByteSearch } from '../../src/core/bytes';
import { scanStructure, stripMetadata } from '../../src/core/metadata/scan';
import { installNativeByteSearch } from '../../src/cli/native-bytes';
import { CORPUS } from '../helpers/paths';

const listFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));

afterEach(() => useByteSearch(null));

/** Uint8Array.prototype.indexOf, called directly: the answer every installed search must give. */
const builtIn = (bytes: Uint8Array, value: number, from: number) => Uint8Array.prototype.indexOf.call(bytes, value, from);

test("Node's Buffer search gives the typed array's answers: any view, any value, any offset", () => {
  installNativeByteSearch();
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.nat(40),
      fc.nat(40),
      fc.integer({ min: 0, max: 255 }),
      fc.nat(700),
      (raw, cutStart, cutEnd, value, from) => {
        // A view with an offset into a larger buffer, as readInputFile and subarray give.
        const view = raw.subarray(Math.min(cutStart, raw.length), Math.max(Math.min(cutStart, raw.length), raw.length - cutEnd));
        expect(indexOfByte(view, value, from)).toBe(builtIn(view, value, from));
      },
    ),
    { numRuns: 2000 },
  );
  // Values dense at the edges: the last byte, one past the end, an empty view.
  const bytes = Uint8Array.from([0xff, 0, 0xff, 0xff]);
  for (let from = 0; from <= 6; from++) expect(indexOfByte(bytes, 0xff, from)).toBe(builtIn(bytes, 0xff, from));
  expect(indexOfByte(new Uint8Array(0), 0xff, 0)).toBe(-1);
});

test('the corpus walks and strips to the same parts and bytes with either search', () => {
  const files = listFiles(CORPUS).filter((f) => /\.jpe?g$/i.test(f));
  expect(files.length).toBeGreaterThan(50);
  const run = () =>
    files.map((f) => {
      const bytes = new Uint8Array(fs.readFileSync(f));
      const outcome = (fn: () => unknown) => {
        try {
          return fn();
        } catch (e) {
          return { error: (e as Error).message };
        }
      };
      const strip = outcome(() => Buffer.from((stripMetadata(bytes) as { bytes: Uint8Array }).bytes).toString('base64'));
      return { file: path.basename(f), walk: outcome(() => scanStructure(bytes).parts), strip };
    });
  const typed = run();
  installNativeByteSearch();
  const native = run();
  expect(native).toEqual(typed);
  // Not vacuous: the corpus has scans to search, and files the walk refuses.
  expect(typed.some((t) => Array.isArray(t.walk) && (t.walk as Array<{ name: string }>).some((p) => p.name === 'entropy-coded data'))).toBe(true);
});
