/**
 * ISO-BMFF (HEIF/AVIF) walk on planted fixtures, alongside isobmff.test.ts: sharp/exiftool AVIFs
 * checked against exiftool's reading of the same bytes, C2PA uuid boxes in both header forms, a
 * hand-built HEIF whose every finding kind carries a planted value that must never show in a
 * finding. (Random and mutated bytes: container-contract.test.ts.)
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { isobmffFormat } from '../../src/core/metadata/isobmff';
import type { FindingKind } from '../../src/core/metadata/types';
import { auxC, box, buildHeif, colr, exifItem, fullBox, largeBox, latin1, uuidBox } from '../helpers/chunks';
import { findingsOf, sortedKindsOf } from '../helpers/container';
import { kindsImpliedByExiftool, readExiftool, type ExiftoolRecord } from '../helpers/exiftool';
import { concatBytes, noiseRgb, plantWithExiftool, tempDir, TIFF_TYPE, writeTiff } from '../helpers/plant';

const SECRET = 'ZebraSecret';
const C2PA_UUID = 'd8fec3d61b0e483c92975828877c4c4d';

function kindsOf(bytes: Uint8Array): FindingKind[] {
  return sortedKindsOf(isobmffFormat.walk(bytes));
}

/**
 * exiftool's HEIF structure groups are not identity: QuickTime (brands, handler, codec
 * configuration, ispe, MediaDataSize/Offset) and Meta (primary item, image size) describe the
 * container. Everything else goes through the shared group map, and an unknown group fails.
 */
const BMFF_STRUCTURE_GROUPS = /^(QuickTime|Meta)$/;

function impliedKinds(record: ExiftoolRecord): Set<FindingKind> {
  const filtered = Object.fromEntries(Object.entries(record).filter(([key]) => !BMFF_STRUCTURE_GROUPS.test(key.split(':')[0]))) as ExiftoolRecord;
  const { kinds, unmapped } = kindsImpliedByExiftool(filtered, 'jpeg');
  expect(unmapped).toEqual([]);
  return kinds;
}

/** A TIFF block with IFD0 Artist (the secret) and a GPS IFD. */
function secretTiff(): Uint8Array {
  return writeTiff([
    { entries: [{ tag: 0x013b, type: TIFF_TYPE.ASCII, value: `${SECRET}Artist` }, { tag: 0x8825, type: TIFF_TYPE.LONG, value: { ifds: [1] } }] },
    { entries: [{ tag: 0x0001, type: TIFF_TYPE.ASCII, value: 'N' }, { tag: 0x0002, type: TIFF_TYPE.RATIONAL, value: [51, 30, 0] }] },
  ]);
}

describe('AVIF from sharp and exiftool, read by exiftool and the walk', () => {
  let dir: string;
  let avif: Uint8Array;
  let counter = 0;

  beforeAll(async () => {
    dir = tempDir('deid-avif-');
    const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="${SECRET}Xmp"/></rdf:RDF></x:xmpmeta>`;
    avif = new Uint8Array(await sharp(noiseRgb(16, 8), { raw: { width: 16, height: 8, channels: 3 } })
      .withExif({ IFD0: { Artist: `${SECRET}Artist` }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .withXmp(xmp)
      .withIccProfile('p3')
      .avif()
      .toBuffer());
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function record(bytes: Uint8Array): Promise<ExiftoolRecord> {
    const file = path.join(dir, `${counter++}.avif`);
    await fs.writeFile(file, bytes);
    return readExiftool([file]).get(file) as ExiftoolRecord;
  }

  test('EXIF, GPS, XMP and ICC planted by sharp: the walk reports what exiftool implies, without the values', async () => {
    expect(isobmffFormat.detect(avif)).toBe('avif');
    const implied = impliedKinds(await record(avif));
    expect([...implied].sort()).toEqual(['exif', 'gps', 'icc', 'xmp']);
    expect(kindsOf(avif)).toEqual(['exif', 'gps', 'icc', 'xmp']);
    expect(JSON.stringify(isobmffFormat.walk(avif))).not.toContain(SECRET);
  });

  test('exiftool-planted tags on top are found too', async () => {
    const planted = await plantWithExiftool(avif, [`-XMP-photoshop:City=${SECRET}City`, `-EXIF:SerialNumber=${SECRET}1`], '.avif');
    const implied = impliedKinds(await record(planted));
    expect(kindsOf(planted)).toEqual(expect.arrayContaining([...implied]));
    expect(JSON.stringify(isobmffFormat.walk(planted))).not.toContain(SECRET);
  });

  test('a C2PA uuid box appended (32-bit and 64-bit box header) is c2pa; another uuid and an unknown top-level box are unknown', () => {
    const manifest = concatBytes(latin1('jumb'), latin1(`c2pa.claim ${SECRET}Claim`));
    const uuid = Uint8Array.from(C2PA_UUID.match(/../g) ?? [], (h) => parseInt(h, 16));
    for (const tail of [uuidBox(C2PA_UUID, manifest), largeBox('uuid', uuid, manifest)]) {
      const planted = concatBytes(avif, tail);
      const findings = findingsOf(isobmffFormat.walk(planted));
      expect(findings.filter((f) => f.kind === 'c2pa')).toEqual([expect.objectContaining({ where: expect.stringMatching(new RegExp(`@ ${avif.length}$`)) })]);
      expect(JSON.stringify(findings)).not.toContain(SECRET);
    }
    const other = concatBytes(avif, uuidBox('00112233445566778899aabbccddeeff', latin1(SECRET)), box('prIV', latin1(`${SECRET}Box`)));
    const findings = findingsOf(isobmffFormat.walk(other)).filter((f) => f.kind === 'unknown-segment');
    expect(findings).toHaveLength(2);
    expect(JSON.stringify(findings)).not.toContain(SECRET);
    expect(kindsOf(other)).not.toContain('c2pa');
  });

  test('sharp AVIF without metadata is clean', async () => {
    const plain = new Uint8Array(await sharp(noiseRgb(16, 8), { raw: { width: 16, height: 8, channels: 3 } }).avif().toBuffer());
    expect(findingsOf(isobmffFormat.walk(plain))).toEqual([]);
  });
});

describe('a hand-built HEIF with every item-level finding kind', () => {
  const ISPE = fullBox('ispe', 0, 0, new Uint8Array([0, 0, 0, 8, 0, 0, 0, 8]));
  const HVCC = box('hvcC', new Uint8Array(23));
  const icc = concatBytes(new Uint8Array(36), latin1(`desc ${SECRET}Icc`));
  // One IDR NAL unit behind a 1-byte length (the zero hvcC says lengthSizeMinusOne 0).
  const nal = () => Uint8Array.from([15, 19 << 1, 1, ...new Array(13).fill(0)]);
  const spec = {
    items: [
      { id: 1, type: 'hvc1', data: nal(), props: [1, 2, 3] },
      { id: 2, type: 'hvc1', data: nal(), props: [1, 2] },
      { id: 3, type: 'hvc1', data: nal(), props: [1, 2, 4] },
      { id: 4, type: 'hvc1', data: nal(), props: [1, 2, 5] },
      { id: 5, type: 'Exif', data: exifItem(secretTiff()) },
      { id: 6, type: 'mime', contentType: 'application/rdf+xml', data: latin1(`<x:xmpmeta>${SECRET}Xmp</x:xmpmeta>`) },
      { id: 7, type: 'mime', contentType: 'text/plain', data: latin1(`${SECRET}Text`) },
      { id: 8, type: 'Exif', data: exifItem(secretTiff()), inIdat: true },
    ],
    props: [ISPE, HVCC, colr('prof', icc), auxC('urn:mpeg:hevc:2015:auxid:1'), auxC('urn:com:apple:photo:2020:aux:hdrgainmap')],
    refs: [
      { type: 'thmb', from: 2, to: [1] },
      { type: 'auxl', from: 3, to: [1] },
      { type: 'auxl', from: 4, to: [1] },
      { type: 'cdsc', from: 5, to: [1] },
      { type: 'cdsc', from: 8, to: [1] },
    ],
    metaExtra: [box('prIV', latin1(`${SECRET}Meta`))],
  };

  test('exiftool reads the planted EXIF through iloc (the builder is sound)', async () => {
    const dir = tempDir('deid-heif-');
    try {
      const file = path.join(dir, 'hand.heic');
      await fs.writeFile(file, buildHeif(spec));
      const record = readExiftool([file]).get(file) as ExiftoolRecord;
      expect(record['IFD0:Artist']).toBe(`${SECRET}Artist`);
      expect(record['GPS:GPSLatitudeRef']).toBe('North');
      const implied = impliedKinds(record);
      expect(kindsOf(buildHeif(spec))).toEqual(expect.arrayContaining([...implied]));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('each kind is found where it was planted, and no detail carries a planted value', () => {
    const bytes = buildHeif(spec);
    const parts = isobmffFormat.walk(bytes);
    const findings = findingsOf(parts);
    const at = (id: number) => findings.filter((f) => f.where.startsWith(`item ${id} `)).map((f) => f.kind).sort();
    expect(at(1)).toEqual([]);
    expect(at(2)).toEqual(['thumbnail']);
    expect(at(3)).toEqual([]); // alpha plane: picture
    expect(at(4)).toEqual(['unknown-segment']); // gain map
    expect(at(5)).toEqual(['exif', 'gps']);
    expect(at(6)).toEqual(['xmp']);
    expect(at(7)).toEqual(['unknown-segment']);
    expect(at(8)).toEqual(['exif', 'gps']);
    expect(findings.filter((f) => f.kind === 'icc')).toHaveLength(1);
    expect(findings.some((f) => f.kind === 'unknown-segment' && f.where.includes('meta/????'))).toBe(true);
    expect(JSON.stringify(parts)).not.toContain(SECRET);
    // Parts locate the planted bytes: the idat Exif item's part covers its bytes in the file.
    const idatPart = parts.find((p) => p.name === 'item 8' && p.finding?.kind === 'exif');
    expect(idatPart).toBeDefined();
    const located = bytes.subarray(idatPart?.offset, (idatPart?.offset ?? 0) + (idatPart?.length ?? 0));
    expect(Buffer.from(located).includes(`${SECRET}Artist`)).toBe(true);
  });

  describe('malformed', () => {
    const good = buildHeif(spec);

    test('bad signature: no ftyp, or no HEIF/AVIF brand', () => {
      expect(isobmffFormat.detect(good.subarray(8))).toBeNull();
      expect(() => isobmffFormat.walk(good.subarray(8))).toThrow(expect.objectContaining({ code: 'malformed' }));
      const mp4 = good.slice();
      mp4.set(latin1('isom'), 8);
      mp4.set(latin1('mp42'), 16);
      mp4.set(latin1('mp41'), 20);
      expect(isobmffFormat.detect(mp4)).toBeNull();
      expect(() => isobmffFormat.walk(mp4)).toThrow(DeidError);
    });

    test('a box size smaller than its header, at the top level, inside meta, and a short largesize', () => {
      const ftypEnd = new DataView(good.buffer).getUint32(0);
      const top = good.slice();
      new DataView(top.buffer).setUint32(ftypEnd, 7);
      expect(() => isobmffFormat.walk(top)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const inner = good.slice();
      new DataView(inner.buffer).setUint32(Buffer.from(good).indexOf('hdlr') - 4, 3);
      expect(() => isobmffFormat.walk(inner)).toThrow(expect.objectContaining({ code: 'malformed' }));
      const large = concatBytes(good, new Uint8Array([0, 0, 0, 1]), latin1('free'), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 12]));
      expect(() => isobmffFormat.walk(large)).toThrow(expect.objectContaining({ code: 'malformed' }));
    });

    test('a box running past the end is truncated; nesting beyond the limit is malformed', () => {
      const past = concatBytes(good, new Uint8Array([0, 0, 1, 0]), latin1('free'));
      expect(() => isobmffFormat.walk(past)).toThrow(expect.objectContaining({ code: 'truncated' }));
      let nested = box('udta', latin1(SECRET));
      for (let i = 0; i < 12; i++) nested = box(i % 2 ? 'trak' : 'mdia', nested);
      expect(() => isobmffFormat.walk(concatBytes(good, box('moov', nested)))).toThrow(expect.objectContaining({ code: 'malformed', message: expect.stringMatching(/nested/) }));
    });
  });
});
