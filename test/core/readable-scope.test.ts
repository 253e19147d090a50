import exifr from 'exifr';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { labelFor } from '../../src/core/metadata/readable';
import { scanMetadata, stripMetadata } from '../../src/core/metadata/scan';
import fc from 'fast-check';
import '../helpers/fast-check-seed';
import { EXIFR_JPEG_STEPS_OVER, exifrFollowsWalk, jpegHeaderDetails, readableDetails } from '../../src/core/metadata/readable';
import { concatBytes, insertJpegSegments, jpegSegment, noiseRgb } from '../helpers/plant';
import { CORPUS } from '../helpers/paths';

/**
 * What exifr is asked to read (core/metadata/scan.ts): every block, except the TIFF-structured
 * ones where the walk has read an EXIF block tag by tag and named its fields itself. A clean file,
 * or one whose EXIF block the walk cannot read, is read whole.
 */
const XMP = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

const XMP_HEADER = 'http://ns.adobe.com/xap/1.0/\0';

/** APP13 "Photoshop 3.0" with one 8BIM 0x0404 IPTC-IIM resource holding By-line (2:80). */
function iptcSegment(name: string): Uint8Array {
  const record = [0x1c, 2, 80, 0, name.length, ...Buffer.from(name, 'latin1')];
  if (record.length % 2) record.push(0); // resource data is padded to an even length
  const size = record.length;
  return jpegSegment(0xed, Uint8Array.from([...Buffer.from('Photoshop 3.0\0', 'latin1'), ...Buffer.from('8BIM', 'latin1'), 0x04, 0x04, 0, 0, size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, ...record]));
}

async function jpeg(metadata: { exif?: boolean; xmp?: boolean; gps?: boolean }): Promise<Uint8Array> {
  let img = sharp(noiseRgb(48, 32), { raw: { width: 48, height: 32, channels: 3 } }).jpeg({ quality: 85 });
  if (metadata.exif) {
    img = img.withExif({
      IFD0: { Artist: 'Jane Doe', DateTime: '2026:01:02 03:04:05' },
      ...(metadata.gps ? { IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } } : {}),
    });
  }
  if (metadata.xmp) img = img.withXmp(XMP);
  return new Uint8Array(await img.toBuffer());
}

// exifr's exports are read-only: a stand-in module that records each call and hands it to exifr.
jest.mock('exifr', () => {
  const real = jest.requireActual('exifr');
  const parse = jest.fn((...args: unknown[]) => real.parse(...args));
  return { __esModule: true, default: { ...real, parse }, parse };
});
const parse = exifr.parse as unknown as jest.Mock;
beforeEach(() => parse.mockClear());

/** The blocks exifr was asked for in each call. */
const askedFor = () => parse.mock.calls.map(([, options]) => Object.entries(options as Record<string, unknown>).filter(([k, v]) => v === true && ['tiff', 'ifd0', 'exif', 'gps', 'interop', 'ifd1', 'xmp', 'iptc', 'icc'].includes(k)).map(([k]) => k).sort());

test('a file the walk finds clean is read by exifr whole', async () => {
  const clean = stripMetadata(await jpeg({ exif: true, xmp: true })).bytes;
  const report = await scanMetadata(clean);
  expect(report.findings).toEqual([]);
  expect(askedFor()).toEqual([['exif', 'gps', 'ifd0', 'ifd1', 'interop', 'iptc', 'tiff', 'xmp']]);
});

test('an EXIF block the walk read tag by tag is not read again; the XMP fields are still named, without exifr', async () => {
  const report = await scanMetadata(await jpeg({ exif: true, xmp: true }));
  expect(askedFor()).toEqual([]);
  const byKind = new Map(report.findings.map((f) => [f.kind, f.detail]));
  expect(byKind.get('xmp')).toMatch(/readable: .*person or owner name/);
  expect(byKind.get('exif')).toMatch(/artist name/);
  expect(byKind.get('exif')).not.toMatch(/readable:/);
});

test('a file with EXIF only, named by the walk: exifr is not asked at all', async () => {
  const report = await scanMetadata(await jpeg({ exif: true }));
  expect(report.findings.map((f) => f.kind)).toContain('exif');
  expect(askedFor()).toEqual([]);
});

test('a frame header exifr reads byte by byte (SOF1) can send it off the segment chain into a comment: there exifr is asked', async () => {
  // exifr steps over SOF0 and SOF2 by their length but reads SOF1 byte by byte: a height of
  // 0xFFC0 looks like an SOF0 marker whose "length" is the width (16), which lands it inside the
  // comment that follows, where an APP1 EXIF block with GPS sits in the text.
  const grey = await sharp({ create: { width: 16, height: 0xffc0, channels: 3, background: '#808080' } }).toColourspace('b-w').jpeg({ quality: 80 }).toBuffer();
  const sof = grey.indexOf(Buffer.from([0xff, 0xc0]));
  const end = sof + 2 + grey.readUInt16BE(sof + 2);
  const sof1 = Buffer.from(grey.subarray(sof, end));
  sof1[1] = 0xc1;
  const withGps = await jpeg({ exif: true, gps: true });
  const at = Buffer.from(withGps).indexOf('Exif\0\0');
  const exifSegment = withGps.slice(at - 4, at - 2 + ((withGps[at - 2] << 8) | withGps[at - 1]));
  const comment = jpegSegment(0xfe, concatBytes(new Uint8Array(16).fill(0x20), exifSegment));
  const bytes = concatBytes(grey.subarray(0, sof), sof1, comment, grey.subarray(end));
  const report = await scanMetadata(bytes);
  expect(report.findings.filter((f) => f.where !== 'read by exifr').map((f) => f.kind)).toEqual(['comment']);
  expect(askedFor()).toHaveLength(1);
  expect(report.findings.find((f) => f.kind === 'gps')).toEqual({ kind: 'gps', where: 'read by exifr', detail: expect.stringMatching(/GPS position/) });
});

test('exifr reads only the file: a value running past its end is not read from the buffer the file sits in', async () => {
  // A TIFF whose Artist (ASCII, 64 bytes) starts 2 bytes before the file's end, inside a larger
  // buffer (as a kept read buffer is) that holds a name right after it.
  const tiff = new Uint8Array(8 + 2 + 2 * 12 + 4 + 2);
  const view = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, 2, true);
  const entry = (i: number, tag: number, count: number, value: number) => {
    view.setUint16(10 + 12 * i, tag, true);
    view.setUint16(12 + 12 * i, 2, true);
    view.setUint32(14 + 12 * i, count, true);
    view.setUint32(18 + 12 * i, value, true);
  };
  entry(0, 0x010f, 4, 0x006f6f46); // Make "Foo", inline
  entry(1, 0x013b, 64, tiff.length - 2); // Artist, running past the end
  tiff.set([0x4a, 0x61], tiff.length - 2);
  const big = new Uint8Array(1 << 16);
  big.set(tiff);
  big.set(Buffer.from('ne Doe, 1 High Street'.padEnd(100, ' '), 'latin1'), tiff.length);
  const inBig = big.subarray(0, tiff.length);
  const alone = await readableDetails(tiff.slice());
  expect(await readableDetails(inBig)).toEqual(alone);
  expect(JSON.stringify(alone)).not.toMatch(/person or owner name/);
  // The control: what follows is readable as the Artist once it is part of the bytes given.
  expect((await readableDetails(big)).exif).toContain('person or owner name');
});

test('a failed file whose other flagged parts are all ones exifr steps over (APP2, APP3, COM, a trailer) names nothing; one flagged APP13 has its fields named', async () => {
  const named = await jpeg({ exif: true });
  const stepsOver = insertJpegSegments(named, [jpegSegment(0xe2, 'FPXR\0whatever'), jpegSegment(0xe3, `${XMP_HEADER}${XMP}`), jpegSegment(0xfe, XMP)]);
  const withTrailer = concatBytes(stepsOver, jpegSegment(0xe1, `${XMP_HEADER}${XMP}`));
  const report = await scanMetadata(withTrailer);
  expect(new Set(report.findings.map((f) => f.kind))).toEqual(new Set(['exif', 'unknown-segment', 'comment', 'trailer']));
  expect(askedFor()).toEqual([]);
  expect(report.findings.some((f) => /readable/.test(f.detail))).toBe(false);
  parse.mockClear();
  const withIptc = await scanMetadata(insertJpegSegments(stepsOver, [iptcSegment('Jane Doe')]));
  expect(withIptc.findings.find((f) => f.kind === 'iptc')?.detail).toMatch(/readable: person or owner name$/);
  expect(askedFor()).toEqual([]);
});

test('an EXIF block the walk cannot read is read by exifr whole, and what it names is reported', async () => {
  // IFD0 intact, its next-IFD pointer sent past the end: the walk refuses the block as a whole
  // (truncated), while a reader that stops at IFD0 still sees the artist's name.
  const bytes = await jpeg({ exif: true });
  const tiff = Buffer.from(bytes).indexOf('Exif\0\0') + 6;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const little = bytes[tiff] === 0x49;
  const ifd0 = tiff + view.getUint32(tiff + 4, little);
  const count = view.getUint16(ifd0, little);
  view.setUint32(ifd0 + 2 + 12 * count, 0xfffff000, little);
  const report = await scanMetadata(bytes);
  expect(askedFor()).toEqual([['exif', 'gps', 'ifd0', 'ifd1', 'interop', 'iptc', 'tiff', 'xmp']]);
  const exif = report.findings.find((f) => f.kind === 'exif');
  expect(exif?.detail).toMatch(/cannot be read/);
  expect(exif?.detail).toMatch(/readable: .*person or owner name/);
});

test('two EXIF blocks, the first one the walk cannot read: exifr reads whole and its GPS is reported', async () => {
  // exifr reads only the first EXIF block. Here the first has a GPS directory and a TIFF magic
  // number the walk refuses (43, BigTIFF), and the second is one the walk names tag by tag.
  const withGps = await jpeg({ exif: true, gps: true });
  const at = Buffer.from(withGps).indexOf('Exif\0\0');
  const app1 = withGps.slice(at - 4, at - 2 + ((withGps[at - 2] << 8) | withGps[at - 1]));
  const unreadable = app1.slice();
  const little = unreadable[10] === 0x49;
  new DataView(unreadable.buffer).setUint16(12, 43, little);
  const named = (await jpeg({ exif: true })).slice();
  const second = Buffer.from(named).indexOf('Exif\0\0');
  const namedSegment = named.slice(second - 4, second - 2 + ((named[second - 2] << 8) | named[second - 1]));
  const plain = await jpeg({});
  const bytes = insertJpegSegments(plain, [unreadable, namedSegment]);
  const report = await scanMetadata(bytes);
  expect(askedFor()).toEqual([['exif', 'gps', 'ifd0', 'ifd1', 'interop', 'iptc', 'tiff', 'xmp']]);
  const kinds = report.findings.map((f) => f.kind);
  expect(kinds.filter((k) => k === 'exif')).toHaveLength(2);
  expect(kinds).toContain('gps');
  expect(report.findings.find((f) => f.kind === 'gps')?.where).toBe('read by exifr');
});

test('exifr is given one options object per kind of read, the same on every call (it keeps every object it sees)', async () => {
  const bytes = await jpeg({ exif: true, xmp: true });
  const scopes = [{}, { skipTiffBlocks: true }, { icc: true }, { skipTiffBlocks: true, icc: true }];
  for (let i = 0; i < 2; i++) for (const scope of scopes) await readableDetails(bytes, scope);
  const options = parse.mock.calls.map(([, o]) => o);
  expect(new Set(options).size).toBe(4);
  for (let k = 0; k < 4; k++) expect(options[k]).toBe(options[k + 4]);
});

test('field labels: exact names, any *SerialNumber, nothing else', () => {
  const expected: Array<[string, string | null]> = [
    ['GPSLatitude', 'GPS position'], ['longitude', 'GPS position'], ['GPSTimeStamp', 'GPS date/time'], ['GPSAltitude', 'GPS location detail'],
    ['DateTimeOriginal', 'dates'], ['ProfileDateTime', 'dates'], ['BodySerialNumber', 'serial or unique id'], ['LensSerialNumber', 'serial or unique id'],
    ['ImageUniqueID', 'serial or unique id'], ['Artist', 'person or owner name'], ['By-line', 'person or owner name'], ['Make', 'camera make/model'],
    ['CreatorTool', 'editing history/document ids'], ['Caption-Abstract', 'free text'], ['ProfileDescription', 'free text'], ['Sub-location', 'place names'],
    ['DeviceModelDesc', 'device or creator'],
    // Not identifying, or only part of a name: no label.
    ['Orientation', null], ['ExposureTime', null], ['GPSLatitudeRef', null], ['SerialNumberFormat', null], ['artist', null], ['DateTimeX', null],
  ];
  for (const [field, label] of expected) expect([field, labelFor(field)]).toEqual([field, label]);
});

/**
 * The rule that exifr is not asked, against exifr itself: on JPEGs made of a random mix of
 * segments, each holding XMP, IPTC or an EXIF signature in a place exifr reads or steps over
 * (APP1, APP13, APP2, APP3, COM, reserved markers, bytes between segments, after EOI), on every
 * file exifr was not asked about the scan names exactly what exifr, asked, names (nothing, or
 * the XMP and IPTC fields jpegHeaderDetails read in its place).
 */
test('whenever exifr is not asked, the scan names what exifr, asked, names (random JPEGs with metadata everywhere)', async () => {
  const named = await jpeg({ exif: true });
  const exifAt = Buffer.from(named).indexOf('Exif\0\0');
  const exifSegment = named.slice(exifAt - 4, exifAt - 2 + ((named[exifAt - 2] << 8) | named[exifAt - 1]));
  // Two frames: baseline SOF0 (exifr steps over it), and SOF1 with a height of 0xFFC0 (exifr
  // reads it byte by byte and takes the width, 16, for the length of an "SOF0" inside it).
  const grey = await sharp({ create: { width: 16, height: 0xffc0, channels: 3, background: '#808080' } }).toColourspace('b-w').jpeg({ quality: 80 }).toBuffer();
  const sofAt = grey.indexOf(Buffer.from([0xff, 0xc0]));
  const sof1 = new Uint8Array(grey);
  sof1[sofAt + 1] = 0xc1;
  const bases = [await jpeg({}), sof1];
  const xmpApp1 = jpegSegment(0xe1, `${XMP_HEADER}${XMP}`);
  const pad = (p: Uint8Array) => concatBytes(new Uint8Array(16).fill(0x20), p);
  const pieces: Record<string, Uint8Array> = {
    exif: exifSegment,
    xmp: xmpApp1,
    xmpSpace: jpegSegment(0xe1, `http://ns.adobe.com/xap/1.0/ ${XMP}`),
    iptc: iptcSegment('Jane Doe'),
    app2: jpegSegment(0xe2, `ICC_PROFILE\0${XMP}`),
    app3: jpegSegment(0xe3, `${XMP_HEADER}${XMP}`),
    app15: jpegSegment(0xef, Buffer.concat([Buffer.from(xmpApp1), Buffer.from(iptcSegment('Jane Doe'))])),
    com: jpegSegment(0xfe, Buffer.from(xmpApp1)),
    comPadded: jpegSegment(0xfe, pad(concatBytes(xmpApp1, iptcSegment('Jane Doe')))),
    comExif: jpegSegment(0xfe, pad(exifSegment)),
    reserved: jpegSegment(0xf1, Buffer.concat([Buffer.from('ab'), Buffer.from(xmpApp1)])),
    gap: concatBytes(Uint8Array.of(0x00, 0x11), xmpApp1),
  };
  const names = Object.keys(pieces);
  let skipped = 0;
  let withNames = 0;
  let asked = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(0, 1), fc.array(fc.constantFrom(...names), { maxLength: 4 }), fc.array(fc.constantFrom(...names), { maxLength: 2 }), fc.boolean(), async (b, early, afterFrame, trailer) => {
      const base = bases[b];
      const sof = Buffer.from(base).indexOf(Buffer.from([0xff, b === 0 ? 0xc0 : 0xc1]));
      const frameEnd = sof + 2 + ((base[sof + 2] << 8) | base[sof + 3]);
      let bytes = concatBytes(base.subarray(0, frameEnd), ...afterFrame.map((n) => pieces[n]), base.subarray(frameEnd));
      bytes = insertJpegSegments(bytes, early.map((n) => pieces[n]));
      if (trailer) bytes = concatBytes(bytes, xmpApp1, iptcSegment('Jane Doe'));
      parse.mockClear();
      let report;
      try {
        report = await scanMetadata(bytes);
      } catch {
        return; // the walk refused the file: readableFindings reads it whole (verify-file.ts)
      }
      if (parse.mock.calls.length > 0) {
        asked++;
        return;
      }
      skipped++;
      expect(report.findings.length).toBeGreaterThan(0);
      const exifCount = [...early, ...afterFrame].filter((n) => n === 'exif').length;
      expect(exifCount).toBeLessThan(2);
      // What the scan names without exifr is what exifr, asked, names: each kind's labels, on
      // the first finding of that kind.
      const byExifr = await readableDetails(bytes, { skipTiffBlocks: exifCount === 1 });
      if (Object.keys(byExifr).length > 0) withNames++;
      const readable = report.findings.filter((f) => /readable: /.test(f.detail));
      expect(Object.fromEntries(readable.map((f) => [f.kind, f.detail.replace(/^.*readable: /, '').split(', ')]))).toEqual(byExifr);
      for (const f of readable) expect(report.findings.find((g) => g.kind === f.kind)).toBe(f);
    }),
    { numRuns: 300 },
  );
  expect(skipped).toBeGreaterThan(30);
  expect(withNames).toBeGreaterThan(30);
  expect(asked).toBeGreaterThan(30);
});

/**
 * The rule above rests on how exifr's JPEG reader moves through a file; read it again from the
 * exifr installed (its dist, the code that runs), so an upgrade that changes it fails here.
 */
test('exifr still steps over exactly the JPEG segments the rule assumes, and stops at the first SOS', () => {
  const dist = readFileSync(require.resolve('exifr'), 'utf8');
  const names: Record<number, string> = { 0xc0: 'SOF0', 0xc2: 'SOF2', 0xc4: 'DHT', 0xdb: 'DQT', 0xdd: 'DRI', 0xda: 'SOS', 0xfe: 'COM' };
  const jpgMarker = [...dist.matchAll(/function \w+\(e\)\{return ((?:\d+===e\|\|)*\d+===e)\}/g)].map((m) => m[1].split('||').map((t) => Number(t.split('===')[0]))).filter((codes) => codes.includes(0xda));
  expect(jpgMarker).toHaveLength(1);
  expect(jpgMarker[0].map((c) => names[c] ?? `0x${c.toString(16)}`).filter((n) => n !== 'SOS').sort()).toEqual([...EXIFR_JPEG_STEPS_OVER].sort());
  expect(dist).toMatch(/function \w+\(e\)\{return e>=224&&e<=239\}/);
  expect(dist).toMatch(/218===\w+&&!1!==\w+\.stopAfterSos\)return/);
});

/** Every corpus JPEG the scan reads and fails (findings), with its bytes and the scan's report. */
async function* failedCorpusJpegs(withDamaged: boolean) {
  const dir = path.join(CORPUS, 'jpg');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.jpe?g$/i.test(f) && (withDamaged || !/invalid|corrupted/.test(f)));
  for (const file of files) {
    const bytes = new Uint8Array(readFileSync(path.join(dir, file)));
    let report;
    try {
      report = await scanMetadata(bytes);
    } catch {
      continue;
    }
    if (report.findings.length > 0) yield { file, bytes, report };
  }
}

/**
 * For a JPEG the walk has failed and exifr still reads, exifr is handed only the bytes up to the
 * end of the first SOS header (scan.ts detailRange): the scan data is most of a camera file and
 * exifr stops at SOS anyway. On every real camera JPEG, exifr's reading of those bytes names
 * exactly what its reading of the whole file names.
 */
test('on camera JPEGs exifr given the bytes up to the first scan names the same fields as from the whole file, and the scan hands it those bytes', async () => {
  let compared = 0;
  for await (const { bytes, report } of failedCorpusJpegs(false)) {
    const sos = report.parts.find((p) => p.name === 'SOS')!;
    const head = bytes.subarray(0, sos.offset + sos.length);
    expect(head.length).toBeLessThan(bytes.length);
    for (const skipTiffBlocks of [false, true]) {
      expect(await readableDetails(head, { skipTiffBlocks })).toEqual(await readableDetails(bytes, { skipTiffBlocks }));
    }
    compared++;
  }
  expect(compared).toBeGreaterThan(10);
  // A file exifr still reads after the walk failed it (its EXIF block unreadable): the bytes given.
  const unreadable = await jpeg({ exif: true, xmp: true });
  const tiff = Buffer.from(unreadable).indexOf('Exif\0\0') + 6;
  const view = new DataView(unreadable.buffer, unreadable.byteOffset);
  const little = unreadable[tiff] === 0x49;
  const ifd0 = tiff + view.getUint32(tiff + 4, little);
  view.setUint32(ifd0 + 2 + 12 * view.getUint16(ifd0, little), 0xfffff000, little);
  parse.mockClear();
  const report = await scanMetadata(unreadable);
  const sos = report.parts.find((p) => p.name === 'SOS')!;
  expect(parse.mock.calls).toHaveLength(1);
  expect((parse.mock.calls[0][0] as Uint8Array).length).toBe(sos.offset + sos.length);
});

/**
 * Where the scan reads XMP and IPTC field names itself (readable.ts jpegHeaderDetails), it names
 * on every camera JPEG in the corpus exactly what exifr names reading the same blocks.
 */
test('on camera JPEGs the XMP and IPTC field names read without exifr are the ones exifr names', async () => {
  let compared = 0;
  let withNames = 0;
  for await (const { file: f, bytes, report } of failedCorpusJpegs(true)) {
    if (!exifrFollowsWalk(report.parts)) continue;
    const ours = jpegHeaderDetails(bytes, report.parts);
    // exifr asked for XMP and IPTC only, as the scan would ask it.
    const theirs = await readableDetails(bytes, { skipTiffBlocks: true });
    expect([f, ours]).toEqual([f, theirs]);
    compared++;
    if (Object.keys(theirs).length > 0) withNames++;
  }
  expect(compared).toBeGreaterThan(40);
  expect(withNames).toBeGreaterThan(8);
});
