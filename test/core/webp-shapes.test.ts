/**
 * Bytes hidden in chunks WebP keeps (VP8X beyond 10 bytes or in its reserved bits, ANIM beyond
 * 6 bytes), metadata inside ANMF frames named by kind, and FourCCs that are not echoed.
 */
import sharp from 'sharp';
import { webpFormat } from '../../src/core/metadata/webp';
import { latin1, riffChunk, webpChunks, webpFile } from '../helpers/chunks';
import { concatBytes } from '../helpers/plant';
import { findingsOf } from '../helpers/container';

const strip = webpFormat.strip as NonNullable<typeof webpFormat.strip>;
const SECRET = 'Patient John Smith MRN 1234567!';

function has(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes).includes(Buffer.from(text, 'latin1'));
}

async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).raw().toBuffer();
}

describe('WebP chunk shapes', () => {
  let vp8l: Uint8Array;
  const vp8xPayload = (): Uint8Array => {
    const p = new Uint8Array(10);
    p[0] = 0x10; // alpha
    p.set([15, 0, 0], 4);
    p.set([15, 0, 0], 7);
    return p;
  };

  beforeAll(async () => {
    const webp = new Uint8Array(await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).webp({ lossless: true }).toBuffer());
    const [chunk] = webpChunks(webp);
    vp8l = webp.subarray(chunk.offset, chunk.end);
  });

  /** Found as `detail`, stripped to a canonical clean file with the same pixels and no secret. */
  async function expectCanonical(planted: Uint8Array, detail: string): Promise<Uint8Array> {
    const found = findingsOf(webpFormat.walk(planted));
    expect(found).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail })]);
    expect(JSON.stringify(found)).not.toMatch(/John|JSM/);
    const result = strip(planted);
    expect(result.removed).toEqual(['unknown-segment']);
    expect(has(result.bytes, SECRET) || has(result.bytes, 'JSM')).toBe(false);
    expect(findingsOf(webpFormat.walk(result.bytes))).toEqual([]);
    expect(Buffer.from(strip(result.bytes).bytes).equals(Buffer.from(result.bytes))).toBe(true);
    expect((await pixels(result.bytes)).equals(await pixels(planted))).toBe(true);
    return result.bytes;
  }

  test('a canonical VP8X file is clean and strips to itself', () => {
    const clean = webpFile([riffChunk('VP8X', vp8xPayload()), vp8l]);
    expect(findingsOf(webpFormat.walk(clean))).toEqual([]);
    expect(Buffer.from(strip(clean).bytes).equals(Buffer.from(clean))).toBe(true);
  });

  test('the reviewer case: VP8X with text after its 10 bytes', async () => {
    const out = await expectCanonical(webpFile([riffChunk('VP8X', concatBytes(vp8xPayload(), latin1(SECRET))), vp8l]), 'VP8X chunk with unexpected length or reserved bits set');
    expect(Buffer.from(out).equals(Buffer.from(webpFile([riffChunk('VP8X', vp8xPayload()), vp8l])))).toBe(true);
  });

  test('the reviewer case: VP8X reserved bytes "JSM"; reserved flag bits', async () => {
    const reserved = vp8xPayload();
    reserved.set(latin1('JSM'), 1);
    await expectCanonical(webpFile([riffChunk('VP8X', reserved), vp8l]), 'VP8X chunk with unexpected length or reserved bits set');
    for (const bit of [0x01, 0x40, 0x80]) {
      const flags = vp8xPayload();
      flags[0] |= bit;
      const planted = webpFile([riffChunk('VP8X', flags), vp8l]);
      expect(findingsOf(webpFormat.walk(planted))).toHaveLength(1);
      const out = strip(planted).bytes;
      expect(out[20]).toBe(0x10);
      expect(findingsOf(webpFormat.walk(out))).toEqual([]);
    }
  });

  test('the reviewer case: ANIM with text after its 6 bytes is rewritten to 6 bytes', async () => {
    // A real animation: VP8X animation flag, ANIM, one ANMF frame of 16 x 16 (RFC 9649 2.7.1.1).
    const flags = vp8xPayload();
    flags[0] |= 0x02;
    const frameHeader = new Uint8Array(16);
    frameHeader.set([15, 0, 0, 15, 0, 0, 100, 0, 0], 6);
    const anmf = riffChunk('ANMF', concatBytes(frameHeader, vp8l));
    const out = await expectCanonical(webpFile([riffChunk('VP8X', flags), riffChunk('ANIM', concatBytes(new Uint8Array(6), latin1(SECRET))), anmf]), 'ANIM chunk with unexpected length');
    expect(webpChunks(out).map((c) => [c.id, c.dataEnd - c.dataStart])).toEqual([['VP8X', 10], ['ANIM', 6], ['ANMF', anmf.length - 8]]);
  });

  test('EXIF, XMP and ICCP inside an ANMF frame are reported as exif, xmp and icc', () => {
    const frameHeader = new Uint8Array(16);
    frameHeader[6] = 15; // width - 1
    frameHeader[9] = 15; // height - 1
    const anmf = riffChunk('ANMF', concatBytes(frameHeader, riffChunk('EXIF', SECRET), riffChunk('XMP ', SECRET), riffChunk('ICCP', SECRET), riffChunk('ab1!', SECRET), vp8l));
    const flags = vp8xPayload();
    flags[0] |= 0x02;
    const planted = webpFile([riffChunk('VP8X', flags), riffChunk('ANIM', new Uint8Array([255, 255, 255, 255, 0, 0])), anmf]);
    const found = findingsOf(webpFormat.walk(planted));
    expect(found.map((f) => f.kind)).toEqual(['exif', 'xmp', 'icc', 'unknown-segment']);
    expect(found[3].detail).toBe('frame chunk with a non-letter FourCC not on the allowlist');
    expect(JSON.stringify(found)).not.toMatch(/John|ab1/);
    const result = strip(planted);
    expect(result.removed).toEqual(['exif', 'icc', 'unknown-segment', 'xmp']);
    expect(has(result.bytes, SECRET)).toBe(false);
    expect(findingsOf(webpFormat.walk(result.bytes))).toEqual([]);
  });

  test('an unknown top-level FourCC is named only when it is made of letters', () => {
    const planted = webpFile([riffChunk('VP8X', vp8xPayload()), riffChunk('J.S.', 'x'), riffChunk('ABCD', 'y'), vp8l]);
    const found = findingsOf(webpFormat.walk(planted));
    expect(found.map((f) => f.detail)).toEqual(['chunk with a non-letter FourCC not on the allowlist', 'chunk "ABCD" not on the allowlist']);
    expect(JSON.stringify(webpFormat.walk(planted))).not.toContain('J.S.');
  });
});
