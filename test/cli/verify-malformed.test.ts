/**
 * Issue 8.4: a file the structural walk rejects is still read by exifr, and every identifying
 * field it decodes is reported next to the error; such a file is never clean.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { VerifyFileResult } from '../../src/cli/tasks/types';
import { scanStructure } from '../../src/core/metadata/scan';
import { concatBytes, jpegSegment, makeJpeg, plantWithExiftool } from '../helpers/plant';
import { deid, json } from './run';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-verify-malformed-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('a broken camera JPEG with GPS, make/model and XMP: the error and every readable kind, never clean', async () => {
  const camera = await plantWithExiftool(await makeJpeg(), [
    '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-GPSLongitude=0.12', '-GPSLongitudeRef=W',
    '-Make=Canon', '-Model=EOS 5D', '-DateTimeOriginal=2024:03:14 09:26:53', '-XMP:Creator=Jane Roe',
  ]);
  // After the metadata, a segment whose length field says 1 (T.81 B.1.1.4: at least 2): no walk
  // can go on from there, while a metadata reader has already read what came before.
  const dqt = camera.findIndex((b, i) => b === 0xff && camera[i + 1] === 0xdb);
  const broken = concatBytes(camera.subarray(0, dqt), new Uint8Array([0xff, 0xe5, 0x00, 0x01]), camera.subarray(dqt));
  expect(() => scanStructure(broken)).toThrow();
  const file = path.join(dir, 'broken.jpg');
  await fs.writeFile(file, broken);
  const r = await deid('verify', '--json', file);
  const result = json<{ files: VerifyFileResult[] }>(r.stdout).files[0];
  expect(result.clean).toBe(false);
  expect(result.error).toMatch(/^malformed: JPEG/);
  expect(result.findings.map((f) => f.kind).sort()).toEqual(expect.arrayContaining(['exif', 'gps', 'xmp']));
  const details = result.findings.map((f) => f.detail).join(' | ');
  expect(details).toMatch(/GPS position/);
  expect(details).toMatch(/camera make\/model/);
  // Names of fields only, never their values.
  expect(details).not.toMatch(/Canon|Jane|51\.5/);
  expect(r.code).not.toBe(0);
  // The human report names them too.
  const human = await deid('verify', file);
  expect(human.stdout + human.stderr).toMatch(/gps/);
  expect(jpegSegment(0xfe, 'x').length).toBe(5);
});
