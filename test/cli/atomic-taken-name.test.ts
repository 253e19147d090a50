import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stageFile } from '../../src/cli/atomic';
import { TEMP_PATTERN } from '../../src/cli/what-is';

// Every temporary name's random part is zero here, so the name stageFile picks is known.
jest.mock('node:crypto', () => ({ ...jest.requireActual('node:crypto'), randomBytes: (n: number) => Buffer.alloc(n) }));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-taken-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a temporary name already taken is left alone: the write fails and the other file stays', () => {
  const host = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
  const taken = path.join(dir, `.a.jpg.deid-tmp-${host}-${process.pid}-000000000000`);
  expect(TEMP_PATTERN.test(path.basename(taken))).toBe(true);
  fs.writeFileSync(taken, 'another run is writing this');
  expect(() => stageFile(path.join(dir, 'a.jpg'), new Uint8Array([1, 2, 3]))).toThrow(/EEXIST/);
  expect(fs.readFileSync(taken, 'utf8')).toBe('another run is writing this');
  // A name that is free is written as before.
  const staged = stageFile(path.join(dir, 'b.jpg'), new Uint8Array([1, 2, 3]));
  expect([...fs.readFileSync(staged)]).toEqual([1, 2, 3]);
});
