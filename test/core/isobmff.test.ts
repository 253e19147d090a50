import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { isobmffFormat } from '../../src/core/metadata/isobmff';
import type { FindingKind } from '../../src/core/metadata/types';
import { findingsOf, kindsOf, returnsOrDeidError, sortedKindsOf } from '../helpers/container';
import { kindsImpliedByExiftool, readExiftool, type ExiftoolRecord } from '../helpers/exiftool';
import { be } from '../helpers/chunks';
import { CORPUS } from '../helpers/paths';
import { concatBytes, noiseRgb, plantWithExiftool, TIFF_TYPE, writeTiff } from '../helpers/plant';

// ---- a small ISO-BMFF writer (ISO/IEC 14496-12 4.2, HEIF items of ISO/IEC 23008-12) ----

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const cstr = (s: string): Uint8Array => ascii(`${s}\0`);


function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concatBytes(...payload);
  return concatBytes(be(8 + body.length, 4), ascii(type), body);
}

function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Uint8Array {
  return box(type, be(version, 1), be(flags, 3), ...payload);
}

function ftyp(major: string, ...compatible: string[]): Uint8Array {
  return box('ftyp', ascii(major), be(0, 4), ...compatible.map(ascii));
}

interface ItemSpec {
  id: number;
  type: string;
  contentType?: string;
  data?: Uint8Array;
  /** Where the data lives: mdat (construction method 0) or idat (method 1). */
  store?: 'mdat' | 'idat';
  /** 1-based ipco indices. */
  props?: number[];
  infeVersion?: 0 | 1 | 2 | 3;
}

interface HeifSpec {
  brands?: string[];
  items: ItemSpec[];
  primary?: number | null;
  refs?: Array<{ type: string; from: number; to: number[] }>;
  props?: Uint8Array[];
  ilocVersion?: 0 | 1 | 2;
  offsetSize?: 4 | 8;
  baseOffsetSize?: 0 | 4 | 8;
  metaExtra?: Uint8Array[];
  top?: Uint8Array[];
  trailer?: Uint8Array;
  /** mdat header: 32-bit size, 64-bit largesize, or size 0 ("to the end of the file"). */
  mdatHeader?: 'normal' | 'large' | 'to-end';
}

const AV1_DUMMY = Uint8Array.from([0x12, 0x00, 0x0a, 0x04, 0x00, 0x00, 0x00, 0x02]);

function infe(item: ItemSpec): Uint8Array {
  const version = item.infeVersion ?? 2;
  if (version < 2) {
    return fullBox('infe', version, 0, be(item.id, 2), be(0, 2), cstr(''), cstr(item.contentType ?? ''), ...(version === 1 ? [cstr('')] : []));
  }
  return fullBox('infe', version, 0, be(item.id, version === 2 ? 2 : 4), be(0, 2), ascii(item.type), cstr(''), ...(item.type === 'mime' ? [cstr(item.contentType ?? '')] : []));
}

function buildMeta(spec: HeifSpec, mdatDataStart: number): Uint8Array {
  const version = spec.ilocVersion ?? 1;
  const offsetSize = spec.offsetSize ?? 4;
  const baseSize = spec.baseOffsetSize ?? 0;
  const idatItems = spec.items.filter((i) => i.data && i.store === 'idat');
  const mdatItems = spec.items.filter((i) => i.data && i.store !== 'idat');
  const located = [...mdatItems, ...idatItems];
  const idSize = version === 2 ? 4 : 2;
  const ilocEntries: Uint8Array[] = [];
  let mdatPos = 0;
  let idatPos = 0;
  for (const item of located) {
    const inIdat = item.store === 'idat';
    const relative = inIdat ? idatPos : mdatPos;
    const base = inIdat || baseSize === 0 ? 0 : mdatDataStart;
    const offset = inIdat ? relative : base === 0 ? mdatDataStart + relative : relative;
    ilocEntries.push(concatBytes(
      be(item.id, idSize),
      ...(version === 0 ? [] : [be(inIdat ? 1 : 0, 2)]),
      be(0, 2),
      be(base, baseSize),
      be(1, 2),
      be(offset, offsetSize),
      be((item.data as Uint8Array).length, 4),
    ));
    if (inIdat) idatPos += (item.data as Uint8Array).length;
    else mdatPos += (item.data as Uint8Array).length;
  }
  const iloc = fullBox('iloc', version, 0, be((offsetSize << 12) | (4 << 8) | (baseSize << 4), 2), be(located.length, version === 2 ? 4 : 2), ...ilocEntries);
  const bigIds = spec.items.some((i) => i.id > 0xffff);
  const refs = spec.refs ?? [];
  const iref = refs.length === 0 ? [] : [fullBox('iref', bigIds ? 1 : 0, 0, ...refs.map((r) => box(r.type, be(r.from, bigIds ? 4 : 2), be(r.to.length, 2), ...r.to.map((t) => be(t, bigIds ? 4 : 2)))))];
  const withProps = spec.items.filter((i) => i.props && i.props.length > 0);
  const ipma = fullBox('ipma', 0, 0, be(withProps.length, 4), ...withProps.map((i) => concatBytes(be(i.id, 2), be((i.props as number[]).length, 1), ...(i.props as number[]).map((p) => be(p, 1)))));
  const primary = spec.primary === undefined ? spec.items[0]?.id : spec.primary;
  return box('meta', be(0, 4),
    fullBox('hdlr', 0, 0, be(0, 4), ascii('pict'), be(0, 12), cstr('')),
    ...(primary === null || primary === undefined ? [] : [fullBox('pitm', 0, 0, be(primary, 2))]),
    iloc,
    fullBox('iinf', 0, 0, be(spec.items.length, 2), ...spec.items.map(infe)),
    ...iref,
    box('iprp', box('ipco', ...(spec.props ?? [])), ipma),
    ...(idatItems.length > 0 ? [box('idat', ...idatItems.map((i) => i.data as Uint8Array))] : []),
    ...(spec.metaExtra ?? []),
  );
}

function mdatBox(data: Uint8Array, header: HeifSpec['mdatHeader']): Uint8Array {
  if (header === 'large') return concatBytes(be(1, 4), ascii('mdat'), be(16 + data.length, 8), data);
  if (header === 'to-end') return concatBytes(be(0, 4), ascii('mdat'), data);
  return box('mdat', data);
}

function mdatHeaderSize(header: HeifSpec['mdatHeader']): number {
  return header === 'large' ? 16 : 8;
}

/** A HEIF/AVIF file whose items and boxes the test chooses (pixel data is a placeholder). */
function buildHeif(spec: HeifSpec): Uint8Array {
  const head = ftyp(...((spec.brands ?? ['avif', 'mif1', 'miaf']) as [string, ...string[]]));
  const top = spec.top ?? [];
  const mdatData = concatBytes(...spec.items.filter((i) => i.data && i.store !== 'idat').map((i) => i.data as Uint8Array));
  // Field sizes do not depend on offset values: build once to measure, again with real offsets.
  const metaLength = buildMeta(spec, 0).length;
  const mdatDataStart = head.length + metaLength + top.reduce((n, t) => n + t.length, 0) + mdatHeaderSize(spec.mdatHeader);
  const parts = [head, buildMeta(spec, mdatDataStart), ...top, mdatBox(mdatData, spec.mdatHeader)];
  if (spec.trailer) parts.push(spec.trailer);
  return concatBytes(...parts);
}

/** An Exif item payload: 4-byte offset to the TIFF header, "Exif\0\0", a TIFF with a GPS IFD. */
function exifItem(): Uint8Array {
  const tiff = writeTiff([
    { entries: [{ tag: 0x010f, type: TIFF_TYPE.ASCII, value: 'Camera' }, { tag: 0x8825, type: TIFF_TYPE.LONG, value: { ifds: [1] } }] },
    { entries: [{ tag: 0x0001, type: TIFF_TYPE.ASCII, value: 'N' }] },
  ]);
  return concatBytes(be(6, 4), ascii('Exif\0\0'), tiff);
}

const ISPE = fullBox('ispe', 0, 0, be(8, 4), be(8, 4));
const AV1C = box('av1C', Uint8Array.from([0x81, 0x00, 0x0c, 0x00]));
const auxC = (urn: string) => fullBox('auxC', 0, 0, cstr(urn));
const C2PA_UUID = Uint8Array.from([0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7c, 0x4c, 0x4d]);

/** The minimal clean AVIF: one av01 primary item with ispe and av1C. */
function cleanSpec(): HeifSpec {
  return { items: [{ id: 1, type: 'av01', data: AV1_DUMMY, props: [1, 2] }], props: [ISPE, AV1C] };
}

// ---- helpers ----

function walkKinds(bytes: Uint8Array): FindingKind[] {
  return sortedKindsOf(isobmffFormat.walk(bytes));
}

function expectDeidError(fn: () => unknown, codes: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DeidError);
    expect(codes).toContain((e as DeidError).code);
    return;
  }
  throw new Error('expected a DeidError');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * exiftool's HEIF structure groups: QuickTime (brands, handler, codec configuration, ispe) and
 * Meta (primary item, size) describe the container, not the person.
 */
const BMFF_STRUCTURE_GROUPS = /^(QuickTime|Meta)$/;

function impliedKinds(record: ExiftoolRecord): { kinds: Set<FindingKind>; unmapped: string[] } {
  const filtered = Object.fromEntries(Object.entries(record).filter(([key]) => !BMFF_STRUCTURE_GROUPS.test(key.split(':')[0]))) as ExiftoolRecord;
  return kindsImpliedByExiftool(filtered, 'jpeg');
}

// ---- tests ----

describe('ISO-BMFF detect', () => {
  test.each([
    [['heic', 'mif1', 'heic'], 'heif'],
    [['mif1', 'heic'], 'heif'],
    [['msf1', 'hevc'], 'heif'],
    [['heix'], 'heif'],
    [['avif', 'mif1', 'miaf'], 'avif'],
    [['avis', 'msf1'], 'avif'],
    [['mif1', 'avif', 'miaf'], 'avif'],
    [['heic', 'avif'], 'heif'],
  ])('brands %j -> %s', (brands, format) => {
    expect(isobmffFormat.detect(buildHeif({ ...cleanSpec(), brands }))).toBe(format);
  });

  test('video brands, other files and short input are not ours', () => {
    expect(isobmffFormat.detect(concatBytes(ftyp('isom', 'mp42'), box('mdat')))).toBeNull();
    expect(isobmffFormat.detect(concatBytes(ftyp('crx ', 'isom'), box('mdat')))).toBeNull();
    expect(isobmffFormat.detect(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBeNull();
    expect(isobmffFormat.detect(new Uint8Array(0))).toBeNull();
    expect(isobmffFormat.detect(ftyp('heic').subarray(0, 12))).toBeNull();
  });
});

describe('ISO-BMFF walk on the real phone HEIC/HEIF corpus', () => {
  const files = listFiles(path.join(CORPUS, 'heic'));
  let records: Map<string, ExiftoolRecord>;

  beforeAll(() => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    records = readExiftool(files);
  });

  test('every file is detected as heif and walks without error', async () => {
    for (const file of files) {
      const bytes = new Uint8Array(await fs.readFile(file));
      expect({ file, format: isobmffFormat.detect(bytes) }).toEqual({ file, format: 'heif' });
      expect(isobmffFormat.walk(bytes).length).toBeGreaterThan(3);
    }
  });

  test('the walk reports every kind exiftool implies', async () => {
    for (const file of files) {
      const { kinds: expected, unmapped } = impliedKinds(records.get(file) as ExiftoolRecord);
      expect({ file, unmapped }).toEqual({ file, unmapped: [] });
      expect(expected.has('exif')).toBe(true);
      const found = kindsOf(isobmffFormat.walk(new Uint8Array(await fs.readFile(file))));
      const missing = [...expected].filter((k) => !found.has(k));
      expect({ file, missing }).toEqual({ file, missing: [] });
    }
  });

  test('the iPhone file: thumbnail item and the HDR gain map are reported, its XMP too', async () => {
    const parts = isobmffFormat.walk(new Uint8Array(await fs.readFile(path.join(CORPUS, 'heic/mobile/iphone_13_pro_max.HEIC'))));
    const findings = findingsOf(parts);
    expect(findings.some((f) => f.kind === 'thumbnail')).toBe(true);
    expect(findings.some((f) => f.kind === 'unknown-segment' && /^auxiliary image \(depth\/gain map/.test(f.detail))).toBe(true);
    expect(findings.some((f) => f.kind === 'makernote')).toBe(true);
  });

  test('the iPhone files\' hdlr (an empty name, then one more zero byte) is no finding; exiftool reads no name there; strip writes the one-NUL hdlr', async () => {
    for (const name of ['IMG_5195.HEIC', 'mobile/iphone_13_pro_max.HEIC']) {
      const file = path.join(CORPUS, 'heic', name);
      const bytes = new Uint8Array(await fs.readFile(file));
      // meta's first child (14496-12 8.11.1: hdlr first): size 34 = 8 header, 4 version/flags,
      // 4 pre_defined, 'pict', 12 reserved, then 00 00.
      const at = Buffer.from(bytes).indexOf('hdlr') - 4;
      expect({ name, hdlr: [...bytes.subarray(at, at + 34)] }).toEqual({ name, hdlr: [0, 0, 0, 34, ...Buffer.from('hdlr'), 0, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('pict'), ...new Array(12).fill(0), 0, 0] });
      expect({ name, shown: records.get(file)!['QuickTime:HandlerDescription'] ?? null }).toEqual({ name, shown: null });
      const parts = isobmffFormat.walk(bytes);
      expect({ name, hdlr: parts.filter((p) => p.name.startsWith('meta/hdlr')).map((p) => p.finding) }).toEqual({ name, hdlr: [null] });
      const out = Buffer.from(isobmffFormat.strip!(bytes).bytes);
      const outAt = out.indexOf('hdlr') - 4;
      expect({ name, size: out.readUInt32BE(outAt), name0: out[outAt + 32] }).toEqual({ name, size: 33, name0: 0 });
    }
  });

  test('details never carry metadata values', async () => {
    const bytes = new Uint8Array(await fs.readFile(path.join(CORPUS, 'heic/IMG_5195.HEIC')));
    const record = records.get(path.join(CORPUS, 'heic/IMG_5195.HEIC')) as ExiftoolRecord;
    const text = JSON.stringify(findingsOf(isobmffFormat.walk(bytes)));
    for (const key of ['IFD0:Model', 'IFD0:Software', 'ExifIFD:LensModel']) {
      expect(typeof record[key]).toBe('string');
      expect(text).not.toContain(String(record[key]));
    }
  });
});

describe('ISO-BMFF walk on AVIF written by sharp and exiftool', () => {
  test('a plain sharp AVIF with alpha is clean (the alpha auxiliary image is picture)', async () => {
    const avif = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } }).avif().toBuffer();
    const parts = isobmffFormat.walk(new Uint8Array(avif));
    expect(findingsOf(parts)).toEqual([]);
    expect(parts.some((p) => p.name === 'item 2')).toBe(true);
  });

  test('EXIF and ICC from sharp, XMP and GPS from exiftool are all found', async () => {
    const raw = noiseRgb(16, 16);
    const avif = await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } })
      .avif()
      .withExif({ IFD0: { Artist: 'Someone', Make: 'Maker' } })
      .withIccProfile('p3')
      .toBuffer();
    expect(walkKinds(new Uint8Array(avif))).toEqual(['exif', 'icc']);
    const planted = await plantWithExiftool(new Uint8Array(avif), ['-XMP-dc:Creator=Someone', '-GPSLatitude=10', '-GPSLatitudeRef=N'], '.avif');
    expect(isobmffFormat.detect(planted)).toBe('avif');
    expect(walkKinds(planted)).toEqual(['exif', 'gps', 'icc', 'xmp']);
  });
});

/** Item location layouts (ISO/IEC 14496-12 8.11.3 iloc versions, mdat size forms) every item test runs over. */
const ITEM_LAYOUTS = [
  ['iloc v0, 4-byte offsets', { ilocVersion: 0 as const }],
  ['iloc v1, 8-byte offsets and a base offset', { ilocVersion: 1 as const, offsetSize: 8 as const, baseOffsetSize: 8 as const }],
  ['iloc v2, 32-bit ids, 4-byte base offset', { ilocVersion: 2 as const, baseOffsetSize: 4 as const }],
  ['mdat with a 64-bit largesize', { mdatHeader: 'large' as const }],
  ['mdat with size 0 (to the end)', { mdatHeader: 'to-end' as const }],
] as const;

describe('ISO-BMFF walk on hand-built files', () => {
  test('the minimal file is clean, and its parts cover the boxes', () => {
    const parts = isobmffFormat.walk(buildHeif(cleanSpec()));
    expect(findingsOf(parts)).toEqual([]);
    expect(parts.map((p) => p.name)).toEqual(expect.arrayContaining(['ftyp', 'meta', 'meta/iloc', 'meta/iinf', 'mdat', 'item 1']));
  });

  test.each(ITEM_LAYOUTS)('an Exif item is followed through iloc to its GPS IFD (%s)', (_, options) => {
    const spec: HeifSpec = { ...cleanSpec(), ...options };
    spec.items = [...spec.items, { id: 2, type: 'Exif', data: exifItem() }];
    spec.refs = [{ type: 'cdsc', from: 2, to: [1] }];
    const findings = findingsOf(isobmffFormat.walk(buildHeif(spec)));
    expect(findings.map((f) => f.kind).sort()).toEqual(['exif', 'gps']);
    expect(findings.every((f) => f.where.startsWith('item 2'))).toBe(true);
  });

  test.each(ITEM_LAYOUTS)('strip drops the Exif item and keeps the coded item byte for byte (%s)', (_, options) => {
    const spec: HeifSpec = { ...cleanSpec(), ...options };
    spec.items = [...spec.items, { id: 2, type: 'Exif', data: exifItem() }, { id: 3, type: 'mime', contentType: 'application/rdf+xml', data: ascii('<x:xmpmeta/>'), store: 'ilocVersion' in options && options.ilocVersion === 0 ? 'mdat' : 'idat' }];
    spec.refs = [{ type: 'cdsc', from: 2, to: [1] }];
    const out = isobmffFormat.strip!(buildHeif(spec));
    expect(out.removed).toEqual(['exif', 'gps', 'xmp']);
    expect(findingsOf(isobmffFormat.walk(out.bytes))).toEqual([]);
    expect(Buffer.from(out.bytes).includes(Buffer.from(AV1_DUMMY))).toBe(true);
    expect(Buffer.from(out.bytes).includes('Exif')).toBe(false);
    expect(Buffer.from(out.bytes).includes('xmpmeta')).toBe(false);
    expect(Buffer.from(isobmffFormat.strip!(out.bytes).bytes).equals(Buffer.from(out.bytes))).toBe(true);
  });

  test('an item stored in two extents comes out as one, bytes in between are unreferenced', () => {
    // iloc v1: item 1 in two extents of mdat with 5 foreign bytes between them.
    const head = ftyp('avif', 'mif1', 'avif');
    const hdlr = fullBox('hdlr', 0, 0, be(0, 4), ascii('pict'), be(0, 12), cstr(''));
    const ipco = box('iprp', box('ipco', ISPE, AV1C), fullBox('ipma', 0, 0, be(1, 4), be(1, 2), be(2, 1), be(0x81, 1), be(2, 1)));
    const iinf = fullBox('iinf', 0, 0, be(1, 2), fullBox('infe', 2, 0, be(1, 2), be(0, 2), ascii('av01'), cstr('')));
    const meta = (start: number) => box('meta', be(0, 4), hdlr, fullBox('pitm', 0, 0, be(1, 2)),
      fullBox('iloc', 1, 0, be(0x4400, 2), be(1, 2), be(1, 2), be(0, 2), be(0, 2), be(2, 2), be(start, 4), be(4, 4), be(start + 9, 4), be(4, 4)), iinf, ipco);
    const start = head.length + meta(0).length + 8;
    const file = concatBytes(head, meta(start), box('mdat', ascii('0AAA'), ascii('xyzzy'), ascii('BBBB')));
    expect(findingsOf(isobmffFormat.walk(file)).map((f) => f.detail)).toEqual(['5 bytes in mdat that no item points to']);
    const out = isobmffFormat.strip!(file).bytes;
    // '0' (0x30) heads an AV1 frame OBU without a size field: the item is one OBU to its end.
    expect(Buffer.from(out).includes('0AAABBBB')).toBe(true);
    expect(Buffer.from(out).includes('xyzzy')).toBe(false);
    expect(findingsOf(isobmffFormat.walk(out))).toEqual([]);
  });

  test('an Exif item in idat (construction method 1) is read too', () => {
    const spec = cleanSpec();
    spec.items.push({ id: 2, type: 'Exif', data: exifItem(), store: 'idat' });
    expect(walkKinds(buildHeif(spec))).toEqual(['exif', 'gps']);
  });

  test('an Exif item whose extent points outside the file is plain exif', () => {
    const bytes = buildHeif({ ...cleanSpec(), items: [...cleanSpec().items, { id: 2, type: 'Exif', data: exifItem() }] });
    // Cut the file inside the Exif data: the iloc extent now runs past the end; mdat is size 0.
    const spec: HeifSpec = { ...cleanSpec(), mdatHeader: 'to-end', items: [...cleanSpec().items, { id: 2, type: 'Exif', data: exifItem() }] };
    const cut = buildHeif(spec);
    const findings = findingsOf(isobmffFormat.walk(cut.subarray(0, cut.length - 10)));
    expect(findings).toEqual([expect.objectContaining({ kind: 'exif', detail: expect.stringMatching(/does not follow/) })]);
    expect(walkKinds(bytes)).toEqual(['exif', 'gps']);
  });

  test('XMP as a mime item (infe v2 and v0) is xmp; other MIME types are unknown', () => {
    for (const infeVersion of [0, 1, 2] as const) {
      const spec = cleanSpec();
      spec.items.push({ id: 2, type: 'mime', contentType: 'application/rdf+xml', data: ascii('<x:xmpmeta/>'), infeVersion });
      expect(walkKinds(buildHeif(spec))).toEqual(['xmp']);
    }
    const spec = cleanSpec();
    spec.items.push({ id: 2, type: 'mime', contentType: 'text/plain', data: ascii('a name') });
    const findings = findingsOf(isobmffFormat.walk(buildHeif(spec)));
    expect(findings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: 'MIME item of type "text/plain"' })]);
    // The content type is author-written text: an unregistered one is never repeated.
    const custom = cleanSpec();
    custom.items.push({ id: 2, type: 'mime', contentType: 'x-patient/john-smith-mrn-1234567', data: ascii('a name') });
    const customFindings = findingsOf(isobmffFormat.walk(buildHeif(custom)));
    expect(customFindings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: 'a MIME item of another type' })]);
    expect(JSON.stringify(isobmffFormat.walk(buildHeif(custom)))).not.toMatch(/john|1234567/);
  });

  test('a thmb item is a thumbnail; depth and gain-map auxiliaries are findings; alpha is not', () => {
    const spec: HeifSpec = {
      items: [
        { id: 1, type: 'av01', data: AV1_DUMMY, props: [1, 2] },
        { id: 2, type: 'av01', data: AV1_DUMMY, props: [1, 2] },
        { id: 3, type: 'av01', data: AV1_DUMMY, props: [1, 2, 3] },
        { id: 4, type: 'av01', data: AV1_DUMMY, props: [1, 2, 4] },
      ],
      props: [ISPE, AV1C, auxC('urn:mpeg:mpegB:cicp:systems:auxiliary:alpha'), auxC('urn:mpeg:hevc:2015:auxid:2')],
      refs: [{ type: 'thmb', from: 2, to: [1] }, { type: 'auxl', from: 3, to: [1] }, { type: 'auxl', from: 4, to: [1] }],
    };
    const findings = findingsOf(isobmffFormat.walk(buildHeif(spec)));
    expect(findings.map((f) => [f.where, f.kind])).toEqual([
      ['item 2 ("av01")', 'thumbnail'],
      ['item 4 ("av01")', 'unknown-segment'],
    ]);
    expect(findings[1].detail).toBe('auxiliary image (depth/gain map or other non-alpha plane)');
    // The auxC type is a free-text URN: never repeated.
    expect(JSON.stringify(findings)).not.toContain('auxid:2');
  });

  test('grid tiles of the primary item are picture; an image outside it is an additional image', () => {
    const spec: HeifSpec = {
      brands: ['heic', 'mif1'],
      items: [
        // One row of two 8x8 tiles (each with its ispe), shown as 16x8.
        { id: 10, type: 'grid', data: Uint8Array.from([0, 0, 0, 1, 0, 16, 0, 8]) },
        { id: 11, type: 'hvc1', data: AV1_DUMMY, props: [1] },
        { id: 12, type: 'hvc1', data: AV1_DUMMY, props: [1] },
        { id: 13, type: 'hvc1', data: AV1_DUMMY },
      ],
      props: [ISPE],
      primary: 10,
      refs: [{ type: 'dimg', from: 10, to: [11, 12] }],
    };
    const findings = findingsOf(isobmffFormat.walk(buildHeif(spec)));
    expect(findings).toEqual([expect.objectContaining({ where: 'item 13 ("hvc1")', kind: 'unknown-segment', detail: expect.stringMatching(/additional image/) })]);
  });

  test('32-bit item ids with iref v1 resolve references', () => {
    const spec: HeifSpec = {
      items: [{ id: 70000, type: 'av01', data: AV1_DUMMY, infeVersion: 3 }, { id: 70001, type: 'av01', data: AV1_DUMMY, infeVersion: 3 }],
      primary: null,
      ilocVersion: 2,
      refs: [{ type: 'thmb', from: 70001, to: [70000] }],
    };
    // Without pitm nothing is the picture: the other image is an additional one.
    expect(findingsOf(isobmffFormat.walk(buildHeif(spec))).map((f) => [f.where, f.kind])).toEqual([
      ['item 70000 ("av01")', 'unknown-segment'],
      ['item 70001 ("av01")', 'thumbnail'],
    ]);
  });

  test('item types off the allowlist and properties no item uses are findings; an unused ICC colr is icc', () => {
    const spec = cleanSpec();
    spec.items.push({ id: 2, type: 'tmap', data: AV1_DUMMY });
    spec.props = [ISPE, AV1C, fullBox('udes', 0, 0, cstr('en'), cstr('Name'), cstr('Desc'), cstr('tags')), box('colr', ascii('prof'), new Uint8Array(8)), box('colr', ascii('nclx'), be(0x0001000d, 4), be(0x0006, 2), be(0x80, 1))];
    const findings = findingsOf(isobmffFormat.walk(buildHeif(spec)));
    expect(findings.map((f) => [f.kind, f.detail])).toEqual([
      ['unknown-segment', 'item of type "tmap" not on the allowlist'],
      ['unknown-segment', 'item property "udes" not associated with any item'],
      ['icc', 'item property "colr" not associated with any item'],
      ['unknown-segment', 'item property "colr" not associated with any item'],
    ]);
    // Used by the primary item, the same properties are judged on their bytes.
    const used = cleanSpec();
    used.props = spec.props;
    used.items[0].props = [1, 2, 3, 4, 5];
    expect(findingsOf(isobmffFormat.walk(buildHeif(used))).map((f) => [f.kind, f.detail])).toEqual([
      ['unknown-segment', 'item property "udes" not on the allowlist'],
      ['icc', 'ICC profile that cannot be read (it may hold any text)'],
    ]);
  });

  test('uuid boxes: the C2PA one is c2pa, any other is unknown; unknown boxes and free space too', () => {
    const spec: HeifSpec = {
      ...cleanSpec(),
      top: [box('uuid', C2PA_UUID, ascii('jumb')), box('uuid', new Uint8Array(16).fill(7), ascii('vendor')), box('Xtra', ascii('x')), box('free', new Uint8Array(4)), box('skip', ascii('old name'))],
      metaExtra: [box('xml ', ascii('<x/>'))],
    };
    const findings = findingsOf(isobmffFormat.walk(buildHeif(spec)));
    expect(findings.map((f) => [f.where.replace(/ @ \d+$/, ''), f.kind])).toEqual([
      ['meta/xml ', 'unknown-segment'],
      ['uuid', 'c2pa'],
      ['uuid', 'unknown-segment'],
      ['????', 'unknown-segment'],
      ['free', 'unknown-segment'],
      ['skip', 'unknown-segment'],
    ]);
  });

  test('bytes after the last box are a trailer', () => {
    const findings = findingsOf(isobmffFormat.walk(buildHeif({ ...cleanSpec(), trailer: Uint8Array.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 9]) })));
    expect(findings).toEqual([expect.objectContaining({ kind: 'trailer', detail: '9 bytes after the last box' })]);
    expect(walkKinds(buildHeif({ ...cleanSpec(), trailer: ascii('ab') }))).toEqual(['trailer']);
  });

  test('an image sequence is a finding (not rewritten); user data and metadata inside moov too, tracks are not', () => {
    const trak = box('trak', fullBox('tkhd', 0, 1, new Uint8Array(80)), box('mdia', fullBox('mdhd', 0, 0, new Uint8Array(20)), box('udta', ascii('name'))));
    const moov = box('moov', fullBox('mvhd', 0, 0, new Uint8Array(96)), trak, box('udta', box('\u00a9nam', ascii('x'))), fullBox('meta', 0, 0));
    const findings = findingsOf(isobmffFormat.walk(buildHeif({ ...cleanSpec(), brands: ['avis', 'msf1'], top: [moov] })));
    expect(findings.map((f) => f.where.replace(/ @ \d+$/, ''))).toEqual(['moov', 'moov/trak/mdia/udta', 'moov/udta', 'moov/meta']);
    expect(new Set(findings.map((f) => f.kind))).toEqual(new Set(['unknown-segment']));
  });
});

describe('ISO-BMFF walk refuses broken structure with DeidError only', () => {
  const good = buildHeif({ ...cleanSpec(), items: [...cleanSpec().items, { id: 2, type: 'Exif', data: exifItem() }] });

  test('a file cut inside a box is truncated', () => {
    expectDeidError(() => isobmffFormat.walk(good.subarray(0, good.length - 3)), ['truncated']);
    expectDeidError(() => isobmffFormat.walk(good.subarray(0, 100)), ['truncated']);
  });

  test('a box smaller than its header, or an iloc field size of 2, is malformed', () => {
    const bad = good.slice();
    bad.set(be(4, 4), Buffer.from(good).indexOf('hdlr') - 4); // hdlr claims 4 bytes
    expectDeidError(() => isobmffFormat.walk(bad), ['malformed']);
    const spec = cleanSpec();
    const withIloc = buildHeif(spec);
    const iloc = Buffer.from(withIloc).indexOf('iloc');
    const broken = withIloc.slice();
    broken[iloc + 8] = 0x24; // offset_size 2, length_size 4
    expectDeidError(() => isobmffFormat.walk(broken), ['malformed']);
  });

  test('a missing ftyp is malformed', () => {
    expectDeidError(() => isobmffFormat.walk(box('mdat', new Uint8Array(8))), ['malformed']);
  });

  test('moov nested deeper than the fixed limit is refused, not recursed', () => {
    let nested = box('udta');
    for (let i = 0; i < 40; i++) nested = box('trak', nested);
    expectDeidError(() => isobmffFormat.walk(concatBytes(ftyp('avis', 'msf1'), box('moov', nested))), ['malformed']);
  });

  test('a crafted iloc of zero-size extents stays linear', () => {
    // 5000 items, each claiming 65535 extents of zero bytes: a naive reader loops 3e8 times.
    const entries: Uint8Array[] = [];
    for (let id = 0; id < 5000; id++) entries.push(concatBytes(be(id, 2), be(0, 2), be(0, 2), be(0xffff, 2)));
    const iloc = fullBox('iloc', 1, 0, be(0, 2), be(entries.length, 2), ...entries);
    const file = concatBytes(ftyp('avif', 'mif1'), box('meta', be(0, 4), fullBox('hdlr', 0, 0, be(0, 4), ascii('pict'), be(0, 12), cstr('')), iloc));
    // No pitm: nothing to rewrite, which the walk reports (after reading every entry once).
    expect(findingsOf(isobmffFormat.walk(file))).toEqual([expect.objectContaining({ where: 'file', detail: 'cannot be rewritten losslessly (unsupported)' })]);
  });
});

/** Seeds the contract's builder cannot write (iloc v2 with 8-byte base offsets, item data in
 *  idat, a moov box, a trailer, the head of a real phone HEIF), damaged by flips and a cut;
 *  random bytes and sharp/planted seeds are in container-contract.test.ts. */
describe('ISO-BMFF walk properties on hand-built iloc variants', () => {
  const seeds: Uint8Array[] = [
    buildHeif({ ...cleanSpec(), items: [...cleanSpec().items, { id: 2, type: 'Exif', data: exifItem(), store: 'idat' }, { id: 3, type: 'mime', contentType: 'application/rdf+xml', data: ascii('<x/>') }], refs: [{ type: 'cdsc', from: 2, to: [1] }], ilocVersion: 2, baseOffsetSize: 8 }),
    buildHeif({ ...cleanSpec(), top: [box('moov', box('trak', box('udta')))], trailer: ascii('tail') }),
  ];

  beforeAll(async () => {
    seeds.push(new Uint8Array(await fs.readFile(path.join(CORPUS, 'heic/samplefilehub.heif'))).subarray(0, 4096));
  });

  test('mutated valid files: the walk returns or throws DeidError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat()),
        (which, edits, cut) => {
          const bytes = seeds[which].slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
          returnsOrDeidError(() => isobmffFormat.walk(input));
          expect(() => isobmffFormat.detect(input)).not.toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });
});
