/**
 * A VP8 key frame (RFC 6386 9.1-9.2) declaring 15500 x 15500 (939,625 macroblocks, under the
 * 250 MP limit) with 20 bytes of first partition: its macroblock modes run past the end at the
 * first rows, which libwebp refuses there (vp8_dec.c ParseFrame, "Premature end-of-partition0").
 * The walk read every macroblock of nothing first and held an object for each, 30+ MB of heap
 * for a 48-byte file. Asserted as work, never as wall time: the walk, run in a child process
 * whose V8 heap is capped at 32 MB, answers with the refusal instead of running out of memory.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { webpFormat } from '../../src/core/metadata/webp';
import { riffChunk, webpFile } from '../helpers/chunks';
import { REPO } from '../helpers/paths';

/** A shown key frame of width x height whose first partition is `size` zero bytes and nothing else. */
function truncatedKeyFrame(width: number, height: number, size: number): Uint8Array {
  const payload = new Uint8Array(10 + size);
  // RFC 6386 9.1: frame tag (key frame 0, version 0, show_frame 1, first_part_size), start code, 14-bit sizes.
  const tag = (1 << 4) | (size << 5);
  payload.set([tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8]);
  return webpFile([riffChunk('VP8 ', payload)]);
}

test('a 48-byte VP8 declaring 15500 x 15500 is refused as truncated, in and out of scanData', () => {
  const file = truncatedKeyFrame(15500, 15500, 20);
  expect(file.length).toBeLessThan(64);
  for (const options of [{}, { scanData: true }]) {
    expect(() => webpFormat.walk(file, options)).toThrow(expect.objectContaining({ code: 'truncated', message: expect.stringMatching(/first partition ends early/) }));
  }
});

test('the refusal comes with a V8 heap of 32 MB (the built core in a child process)', () => {
  const script = `
    const { webpFormat } = require(${JSON.stringify(path.join(REPO, 'build', 'core', 'metadata', 'webp.js'))});
    try { webpFormat.walk(Uint8Array.from(${JSON.stringify([...truncatedKeyFrame(15500, 15500, 20)])}), { scanData: true }); console.log('no error'); }
    catch (e) { console.log(e.message); }`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=32', '-e', script], { encoding: 'utf8' });
  expect(r.stdout.trim()).toBe('VP8 bitstream: first partition ends early');
  expect(r.status).toBe(0);
});
