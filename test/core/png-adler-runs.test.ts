/**
 * scanData's Adler-32 check (png.ts checkAdler) costs what the compressed stream holds, not what
 * it inflates to: a 1.9 MB PNG declaring 15800 x 15800 RGBA16 (just under the 250 MP limit) is
 * 2 GB of rows, which the walk inflated byte by byte (35 s in one report, 5 s here). The work is
 * asserted as the bytes summed one at a time (zlibChecksums' `summed`), never as wall time; the
 * checksum itself against a byte-by-byte reference (RFC 1950 8.2) over streams written by hand
 * and by zlib.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { pngFormat } from '../../src/core/metadata/png';
import { zlibChecksums } from '../../src/core/metadata/zlib-extent';
import { be32, pngChunk } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { adler32, densestZeros, fixedDeflate, type DeflateOp } from '../helpers/deflate-build';
import { concatBytes } from '../helpers/plant';

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG of one IDAT holding `zlib`, IHDR as given (PNG 11.2.1). */
function png(width: number, height: number, depth: number, colourType: number, zlib: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE, pngChunk('IHDR', concatBytes(be32(width), be32(height), Uint8Array.of(depth, colourType, 0, 0, 0))), pngChunk('IDAT', zlib), pngChunk('IEND', new Uint8Array(0)));
}

describe('a 1.9 MB flat PNG declaring 15800 x 15800 RGBA16 (2 GB of rows)', () => {
  const SIDE = 15800;
  const rows = SIDE * (1 + SIDE * 8);
  const zlib = densestZeros(rows);

  it('is built as declared: 2 bits per 258 bytes, under 2 MB', () => {
    expect(zlib.length).toBeLessThan(2_000_000);
    expect(rows).toBeGreaterThan(1.99e9);
    // The writer is checked by zlib itself on a smaller run of the same form (it verifies the Adler-32).
    expect(inflateSync(densestZeros(1_000_003)).every((v) => v === 0)).toBe(true);
  });

  it('is clean under scanData, its checksum found right while summing a few bytes, not 2 GB', () => {
    const file = png(SIDE, SIDE, 16, 6, zlib);
    expect(findingsOf(pngFormat.walk(file, { scanData: true }))).toEqual([]);
    const { stored, computed, summed } = zlibChecksums(zlib);
    expect(computed).toBe(stored);
    expect(summed).toBeLessThan(1_000_000);
  });

  it('with a wrong Adler-32: a finding, and strip writes the right one', () => {
    const wrong = zlib.slice();
    wrong[wrong.length - 1] ^= 1;
    const file = png(SIDE, SIDE, 16, 6, wrong);
    const findings = findingsOf(pngFormat.walk(file, { scanData: true }));
    expect(findings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/Adler-32 of the compressed image data does not match/) })]);
    const out = (pngFormat.strip as NonNullable<typeof pngFormat.strip>)(file, { scanData: true }).bytes;
    expect(Buffer.from(out).equals(Buffer.from(file))).toBe(false);
    expect(Buffer.from(out).equals(Buffer.from(png(SIDE, SIDE, 16, 6, zlib)))).toBe(true);
  });
});

describe('zlibChecksums: the Adler-32 of the inflated bytes, from the symbols', () => {
  const reference = (stream: Uint8Array) => adler32(new Uint8Array(inflateSync(stream)));

  it('equals the byte-by-byte reference for matches at any distance, alone or repeated, overlapping or not', () => {
    const op = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.record({ length: fc.integer({ min: 3, max: 258 }), distance: fc.constantFrom(1, 2, 3, 7, 8, 255, 258, 259, 1000, 32767, 32768) }),
      fc.record({ length: fc.integer({ min: 3, max: 258 }), distance: fc.integer({ min: 1, max: 32768 }) }),
    );
    // Literals first so the distances reach back into real output; then runs of one repeated match.
    const program = fc.tuple(fc.integer({ min: 1, max: 33000 }), fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.tuple(op, fc.integer({ min: 1, max: 200 })), { maxLength: 30 }));
    fc.assert(
      fc.property(program, ([literals, seed, steps]) => {
        const ops: DeflateOp[] = [];
        for (let i = 0, x = seed; i < literals; i++, x = (Math.imul(x, 1103515245) + 12345) >>> 0) ops.push(x >>> 24);
        let size = literals;
        for (const [o, times] of steps) {
          for (let t = 0; t < times; t++) {
            if (typeof o === 'number') {
              ops.push(o);
              size++;
            } else if (o.distance <= size) {
              ops.push(o);
              size += o.length;
            }
          }
        }
        const { stream, inflated } = fixedDeflate(ops);
        expect(inflateSync(stream).equals(inflated)).toBe(true);
        expect(zlibChecksums(stream).computed).toBe(adler32(inflated));
      }),
      { numRuns: 40 },
    );
  });

  it('equals the reference for zlib\'s own streams: every level and strategy, stored blocks included', () => {
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i++) data[i] = i < 1000 ? (i * 131) & 0xff : i % 40_000 < 20_000 ? data[i - 1000] : (i * i) & 0xff;
    for (const level of [0, 1, 6, 9]) {
      for (const strategy of [0, 1, 2, 3]) {
        const stream = new Uint8Array(deflateSync(data, { level, strategy }));
        expect(zlibChecksums(stream)).toEqual(expect.objectContaining({ computed: reference(stream), stored: reference(stream) }));
      }
    }
  });

  it('matches repeated at distance 32768 sum one period, not the run', () => {
    const period: DeflateOp[] = [];
    for (let i = 0; i < 32768; i++) period.push((i * 7 + (i >> 8)) & 0xff);
    const { stream, inflated } = fixedDeflate([...period, ...new Array<DeflateOp>(4000).fill({ length: 258, distance: 32768 })]);
    const { computed, summed } = zlibChecksums(stream);
    expect(computed).toBe(adler32(inflated));
    // 32768 literals, then one period for 1,032,000 repeated bytes.
    expect(summed).toBe(2 * 32768);
  });
});
