import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputRefused, readInputFile } from '../../src/cli/read-input';
import { SAMPLE } from '../helpers/paths';

test('a file read in small pieces is the same bytes as read at once (the loop past 2 GiB reads in 1 GiB calls)', () => {
  const whole = fs.readFileSync(SAMPLE);
  for (const chunk of [1, 7, 4096, whole.length, whole.length + 5]) {
    expect(Buffer.from(readInputFile(SAMPLE, undefined, chunk)).equals(whole)).toBe(true);
  }
});

test('a file over the size limit is refused with the limit named, before it is read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-read-'));
  try {
    const big = path.join(dir, 'big.jpg');
    fs.writeFileSync(big, Buffer.alloc(3000));
    expect(() => readInputFile(big, 2048)).toThrow(InputRefused);
    expect(() => readInputFile(big, 2048)).toThrow(/3000 bytes is over the .* MB limit per file/);
    expect(readInputFile(big, 3000).length).toBe(3000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
