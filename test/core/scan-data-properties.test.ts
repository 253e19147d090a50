/**
 * WalkOptions.scanData on damaged encoder output (properties): the deep readers added for PNG
 * (every IDAT inflated, palette and row bits), WebP (a full VP8L decode, VP8 token probabilities)
 * and HEIF/AVIF (coded units, derived items) meet bytes a hostile sender flipped, cut or
 * inserted. Every outcome is a result or a DeidError (never a TypeError, RangeError or a hang),
 * and the by-need contract holds with scanData as without: a file the deep walk calls clean
 * strips to itself; what strip writes walks clean and strips to itself. Seeds are sharp
 * (libspng, libwebp, libheif/aom) output at settings that exercise the deep readers.
 */
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { isobmffFormat } from '../../src/core/metadata/isobmff';
import { pngFormat } from '../../src/core/metadata/png';
import type { ContainerFormat } from '../../src/core/metadata/types';
import { webpFormat } from '../../src/core/metadata/webp';
import { findingsOf, mutateAll, mutationArbitrary } from '../helpers/container';
import '../helpers/fast-check-seed';
import { noiseRgb } from '../helpers/plant';

const DEEP = { scanData: true };
const W = 37;
const H = 23;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * PNG damage with each chunk's CRC made right again (zlib's crc32, PNG 5.3): a wrong CRC is
 * refused before any image data is read, so without this the deep readers would see no damage.
 */
function withCrcs(png: Uint8Array): Uint8Array {
  const out = png.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let at = 8; at + 12 <= out.length;) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return out;
}

/** The by-need contract under scanData on one file; returns what happened. */
function agree(format: ContainerFormat, bytes: Uint8Array): 'refused' | 'clean' | 'found' {
  const strip = format.strip as NonNullable<ContainerFormat['strip']>;
  let found: number;
  try {
    found = findingsOf(format.walk(bytes, DEEP)).length;
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    expect(() => strip(bytes, DEEP)).toThrow(DeidError);
    return 'refused';
  }
  let out: Uint8Array | null = null;
  try {
    out = strip(bytes, DEEP).bytes;
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
  }
  if (found === 0) expect(out !== null && same(out, bytes)).toBe(true);
  if (out) {
    expect(findingsOf(format.walk(out, DEEP))).toEqual([]);
    expect(same(strip(out, DEEP).bytes, out)).toBe(true);
  }
  return found === 0 ? 'clean' : 'found';
}

describe('scanData on damaged encoder output: only results or DeidError, and verify clean => strip is the identity', () => {
  const seeds: Record<'png' | 'webp' | 'avif', Uint8Array[]> = { png: [], webp: [], avif: [] };

  beforeAll(async () => {
    const rgb = () => sharp(Buffer.from(noiseRgb(W, H)), { raw: { width: W, height: H, channels: 3 } });
    const rgba = () => rgb().ensureAlpha(0.5);
    const out = async (p: sharp.Sharp) => new Uint8Array(await p.toBuffer());
    seeds.png = await Promise.all([
      out(rgb().png({ palette: true, colours: 16 })),
      out(rgb().png({ palette: true, colours: 4, progressive: true })),
      out(rgba().png({ palette: true })),
      out(rgb().toColourspace('rgb16').png()),
      out(rgba().png({ progressive: true })),
    ]);
    seeds.webp = await Promise.all([
      out(rgb().webp({ lossless: true })),
      out(rgba().webp({ lossless: true, effort: 6 })),
      // Four colours: libwebp codes them with a colour-indexing transform and bundled pixels.
      out(sharp(await out(rgb().png({ palette: true, colours: 4 }))).webp({ lossless: true })),
      out(rgba().webp({ quality: 60 })),
      out(rgb().webp({ nearLossless: true, quality: 60 })),
    ]);
    seeds.avif = await Promise.all([out(rgb().avif({ quality: 50 })), out(rgba().avif({ lossless: true }))]);
  });

  test.each([
    ['png', pngFormat],
    ['webp', webpFormat],
    ['avif', isobmffFormat],
  ] as const)('%s', (name, format) => {
    const seen = { refused: 0, clean: 0, found: 0 };
    // The seeds themselves: honest encoder output is clean under scanData (but 4-bit palette rows
    // sharp leaves bits in, a finding the strip clears: png-need.test.ts).
    for (const seed of seeds[name]) agree(format, seed);
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), (pick, ms) => {
        const damaged = mutateAll(seeds[name], pick, ms);
        seen[agree(format, name === 'png' ? withCrcs(damaged) : damaged)]++;
      }),
      { numRuns: 300 },
    );
    // Both outcomes occur: the property is not vacuous.
    expect(seen.refused).toBeGreaterThan(10);
    expect(seen.clean + seen.found).toBeGreaterThan(10);
  });
});
