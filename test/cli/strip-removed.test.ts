import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readExiftool } from '../helpers/exiftool';
import { CORPUS } from '../helpers/paths';
import { deid, json } from './run';

// strip says, per file, what kinds it dropped (as a sidecar's metadata.removed does): a user
// stripping a study's photos should not have to verify every original to learn that GPS went.
// exiftool, the oracle, sees the GPS and EXIF blocks in the original and none in the output.

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-strip-removed-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('strip lists the kinds it removed, in --json and on the line it prints', async () => {
  const input = path.join(CORPUS, 'jpg', 'gps', 'DSCN0010.jpg');
  const j = await deid('strip', '--json', input, '--out', path.join(tmp, 'j'));
  expect(j.code).toBe(0);
  const [file] = json(j.stdout).files;
  expect(file.lossless).toBe(true);
  expect(file.removed).toEqual(expect.arrayContaining(['exif', 'gps']));
  const seen = readExiftool([input, file.output]);
  const groups = (r: Record<string, unknown>) => new Set(Object.keys(r).map((k) => k.split(':')[0]));
  expect([...groups(seen.get(input)!)]).toEqual(expect.arrayContaining(['GPS', 'IFD0']));
  expect([...groups(seen.get(file.output)!)]).not.toContain('GPS');
  expect([...groups(seen.get(file.output)!)]).not.toContain('IFD0');

  const h = await deid('strip', input, '--out', path.join(tmp, 'h'));
  expect(h.code).toBe(0);
  const line = h.stdout.split('\n').find((l) => l.startsWith('stripped '))!;
  expect(line).toMatch(/\(removed [a-z, -]*\bexif\b[a-z, -]*\bgps\b/);
});

test('a file that was already clean says nothing was removed', async () => {
  const first = await deid('strip', '--json', path.join(CORPUS, 'jpg', 'gps', 'DSCN0010.jpg'), '--out', path.join(tmp, 'a'));
  const once = json(first.stdout).files[0].output as string;
  const again = await deid('strip', '--json', once, '--out', path.join(tmp, 'b'));
  expect(again.code).toBe(0);
  expect(json(again.stdout).files[0].removed).toEqual([]);
  const line = (await deid('strip', once, '--out', path.join(tmp, 'c'))).stdout.split('\n').find((l) => l.startsWith('stripped '))!;
  expect(line).not.toMatch(/\(removed /);
});
