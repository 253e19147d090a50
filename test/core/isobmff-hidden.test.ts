/**
 * Bytes and pictures hidden INSIDE the coded items a HEIF/AVIF rewrite keeps, on real coded data
 * (HEVC from heif-enc, AV1 from sharp), with libheif's heif-convert as the decoder oracle: each
 * hidden unit leaves the decoded samples unchanged (so nothing but a structural rule can see it),
 * verify reports it, and the strip gives back exactly the file without it, decoding to the same
 * samples, with exiftool reading nothing of it. A second picture (a grid tile cropped off, a
 * second coded picture in one item) is what a viewer never shows: found and refused.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { children } from '../../src/core/metadata/isobmff-box';
import { isobmffFormat } from '../../src/core/metadata/isobmff';
import { itemBytes } from '../../src/core/metadata/isobmff-items';
import { readMeta } from '../../src/core/metadata/isobmff-meta';
import { be, buildHeif, latin1, type HeifSpec } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { EXIFTOOL } from '../helpers/exiftool';
import { heifDecode, heifEnc } from '../helpers/heif';
import { concatBytes, noiseRgb, tempDir } from '../helpers/plant';

const run = promisify(execFile);
const SECRET = latin1('JOHNSMITH-MRN-4711');

interface Coded {
  data: Uint8Array;
  /** The ipco boxes the coded item uses (hvcC/av1C, ispe, ...), in order. */
  props: Uint8Array[];
}

/** The first coded (hvc1/av01) item of a file, with the properties associated with it. */
function codedItem(bytes: Uint8Array): Coded {
  const meta = readMeta(bytes, children(bytes, 0, bytes.length).find((b) => b.type === 'meta')!);
  const item = meta.items.find((i) => i.type === 'hvc1' || i.type === 'av01')!;
  const props = (meta.assoc.get(item.id) ?? []).map((a) => meta.props[a.index - 1]).map((p) => bytes.slice(p.offset, p.end));
  return { data: itemBytes(bytes, meta.locations.get(item.id), meta)!.slice(), props };
}

/** A one-item file around `data` with the coded item's own properties. */
function single(coded: Coded, data: Uint8Array, avif: boolean): Uint8Array {
  const spec: HeifSpec = {
    brand: avif ? 'avif' : 'heic',
    compatible: avif ? ['mif1', 'avif', 'miaf'] : ['mif1', 'heic'],
    items: [{ id: 1, type: avif ? 'av01' : 'hvc1', data, props: coded.props.map((_, i) => i + 1) }],
    props: coded.props,
  };
  return buildHeif(spec);
}

/** A length-prefixed HEVC NAL unit (4-byte lengths, as heif-enc writes) of `type` in `layer`. */
function nal(type: number, layer: number, payload: Uint8Array): Uint8Array {
  return concatBytes(be(payload.length + 2, 4), Uint8Array.of((type << 1) | (layer >> 5), ((layer & 31) << 3) | 1), payload);
}

/** An AV1 OBU with its size field (AV1 5.3). */
function obu(type: number, payload: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of((type << 3) | 2, payload.length), payload);
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay).includes(Buffer.from(needle));
}

/** What exiftool prints of every tag it can read, embedded documents included. */
async function exiftoolText(bytes: Uint8Array, ext: string): Promise<string> {
  const dir = tempDir('deid-heif-hidden-');
  try {
    const file = path.join(dir, `in${ext}`);
    await fs.writeFile(file, bytes);
    const { stdout } = await run(EXIFTOOL, ['-a', '-G1', '-s', '-ee', '-u', file]);
    return stdout;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function noisePng(seed: number): Promise<Buffer> {
  return sharp(noiseRgb(64, 48, seed), { raw: { width: 64, height: 48, channels: 3 } }).png().toBuffer();
}

describe('units a decoder skips inside kept coded items (libheif decodes the same samples)', () => {
  let hevc: Coded;
  let av1: Coded;

  beforeAll(async () => {
    hevc = codedItem(await heifEnc(await noisePng(3)));
    av1 = codedItem(new Uint8Array(await sharp(await noisePng(3)).avif().toBuffer()));
    // sharp's AV1 item opens with a temporal delimiter (0x12 0x00), heif-enc's HEVC with a VCL unit.
    expect(Array.from(av1.data.subarray(0, 2))).toEqual([0x12, 0x00]);
  });

  const HEVC_CASES: Array<[string, (d: Uint8Array) => Uint8Array, RegExp]> = [
    ['a VCL NAL unit of layer 1 after the picture', (d) => concatBytes(d, nal(1, 1, concatBytes(Uint8Array.of(0x2f), SECRET))), /1 NAL units a decoder skips/],
    ['an access unit delimiter with bytes after its one field', (d) => concatBytes(nal(35, 0, concatBytes(Uint8Array.of(0x50), SECRET)), d), /1 NAL units a decoder skips/],
    ['end of sequence and end of bitstream units with payloads', (d) => concatBytes(d, nal(36, 0, SECRET), nal(37, 0, SECRET)), /2 NAL units a decoder skips/],
  ];

  test.each(HEVC_CASES)('HEVC: %s', async (_name, plant, detail) => {
    const clean = single(hevc, hevc.data, false);
    const hostile = single(hevc, plant(hevc.data), false);
    const [before, after] = await Promise.all([heifDecode(clean), heifDecode(hostile)]);
    expect(after.data.equals(before.data)).toBe(true);
    expect(findingsOf(isobmffFormat.walk(clean))).toEqual([]);
    expect(findingsOf(isobmffFormat.walk(hostile)).map((f) => f.detail)).toEqual([expect.stringMatching(detail)]);
    const out = isobmffFormat.strip!(hostile).bytes;
    expect(Buffer.from(out).equals(Buffer.from(clean))).toBe(true);
    expect(contains(out, SECRET)).toBe(false);
    expect((await heifDecode(out)).data.equals(before.data)).toBe(true);
    expect(await exiftoolText(out, '.heic')).not.toContain('JOHNSMITH');
  });

  const AV1_CASES: Array<[string, (d: Uint8Array) => Uint8Array, (d: Uint8Array) => Uint8Array, RegExp]> = [
    ['a temporal delimiter with a payload', (d) => concatBytes(obu(2, SECRET), d.subarray(2)), (d) => d.subarray(2), /1 OBUs a decoder skips/],
    ['a redundant frame header after the frame', (d) => concatBytes(d, obu(8, SECRET)), (d) => d, /1 OBUs that carry no picture/],
  ];

  test.each(AV1_CASES)('AV1: %s', async (_name, plant, expected, detail) => {
    const clean = single(av1, expected(av1.data), true);
    const hostile = single(av1, plant(av1.data), true);
    const [before, after] = await Promise.all([heifDecode(clean, '.avif'), heifDecode(hostile, '.avif')]);
    expect(after.data.equals(before.data)).toBe(true);
    expect(findingsOf(isobmffFormat.walk(hostile)).map((f) => f.detail)).toEqual([expect.stringMatching(detail)]);
    const out = isobmffFormat.strip!(hostile).bytes;
    expect(Buffer.from(out).equals(Buffer.from(clean))).toBe(true);
    expect(contains(out, SECRET)).toBe(false);
    expect((await heifDecode(out, '.avif')).data.equals(before.data)).toBe(true);
    expect(await exiftoolText(out, '.avif')).not.toContain('JOHNSMITH');
  });
});

describe('whole pictures a viewer never shows: found and refused', () => {
  test('two coded pictures in one HEVC item: libheif shows the last, the first rides along', async () => {
    const shown = codedItem(await heifEnc(await noisePng(3)));
    const hidden = codedItem(await heifEnc(await noisePng(4)));
    // Same encoder settings, same size: the parameter sets of one serve the other.
    expect(Buffer.from(hidden.props[0]).equals(Buffer.from(shown.props[0]))).toBe(true);
    const both = single(shown, concatBytes(hidden.data, shown.data), false);
    const [seen, alone, other] = await Promise.all([heifDecode(both), heifDecode(single(shown, shown.data, false)), heifDecode(single(shown, hidden.data, false))]);
    expect(seen.data.equals(alone.data)).toBe(true);
    expect(seen.data.equals(other.data)).toBe(false);
    expect(findingsOf(isobmffFormat.walk(both)).map((f) => f.detail)).toEqual(['2 coded pictures in one image item (a decoder shows only one)']);
    expect(() => isobmffFormat.strip!(both)).toThrow(expect.objectContaining({ code: 'unsupported' }));
  });

  test('a grid whose output size crops off a whole tile: sharp (libheif 1.20) shows the first tile only', async () => {
    const shown = codedItem(new Uint8Array(await sharp(await noisePng(3)).avif().toBuffer()));
    const hidden = codedItem(new Uint8Array(await sharp(await noisePng(4)).avif().toBuffer()));
    const props = shown.props.map((_, i) => i + 1);
    const gridOf = (width: number) => buildHeif({
      brand: 'avif', compatible: ['mif1', 'avif', 'miaf'],
      items: [
        // grid (23008-12 6.6.2.3.2): version 0, flags 0, one row, two columns, output size.
        { id: 1, type: 'grid', data: concatBytes(Uint8Array.of(0, 0, 0, 1), be(width, 2), be(48, 2)), inIdat: true, props: [props.length + 1] },
        { id: 2, type: 'av01', data: shown.data, props, flags: 1 },
        { id: 3, type: 'av01', data: hidden.data, props, flags: 1 },
      ],
      refs: [{ type: 'dimg', from: 1, to: [2, 3] }],
      props: [...shown.props, concatBytes(be(20, 4), latin1('ispe'), be(0, 4), be(width, 4), be(48, 4))],
    });
    const cropped = gridOf(64);
    // Debian's heif-convert (libheif 1.15) rejects this grid; sharp's newer libheif shows it.
    const decode = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    const [seen, first, second] = await Promise.all([decode(cropped), decode(single(shown, shown.data, true)), decode(single(hidden, hidden.data, true))]);
    expect(seen.info.width).toBe(64);
    expect(seen.data.equals(first.data)).toBe(true);
    expect(seen.data.equals(second.data)).toBe(false);
    // (Its grid ispe repeats the tile's, a finding of its own.)
    expect(findingsOf(isobmffFormat.walk(cropped)).map((f) => f.detail)).toEqual(expect.arrayContaining(['a grid cropped by whole tiles: coded pictures no viewer shows']));
    expect(() => isobmffFormat.strip!(cropped)).toThrow(expect.objectContaining({ code: 'unsupported' }));
    // Showing one column of the second tile is a real picture: clean, and strip is the identity.
    const whole = gridOf(65);
    expect(findingsOf(isobmffFormat.walk(whole))).toEqual([]);
    expect((await decode(whole)).info.width).toBe(65);
  });
});
