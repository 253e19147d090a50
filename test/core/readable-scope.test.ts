import exifr from 'exifr';
import sharp from 'sharp';
import { scanMetadata, stripMetadata } from '../../src/core/metadata/scan';
import { noiseRgb } from '../helpers/plant';

/**
 * What exifr is asked to read (core/metadata/scan.ts): everything on a file the walk finds clean
 * (its second reading is what could still make the file not clean); on a file the walk already
 * reports, only the XMP and IPTC blocks the walk found, whose fields the walk does not name.
 */
const XMP = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Jane Doe</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

async function jpeg(metadata: { exif?: boolean; xmp?: boolean }): Promise<Uint8Array> {
  let img = sharp(noiseRgb(48, 32), { raw: { width: 48, height: 32, channels: 3 } }).jpeg({ quality: 85 });
  if (metadata.exif) img = img.withExif({ IFD0: { Artist: 'Jane Doe', DateTime: '2026:01:02 03:04:05' } });
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

test('a reported file: exifr reads its XMP and names the fields; the EXIF tags are named by the walk alone', async () => {
  const report = await scanMetadata(await jpeg({ exif: true, xmp: true }));
  expect(askedFor()).toEqual([['xmp']]);
  const byKind = new Map(report.findings.map((f) => [f.kind, f.detail]));
  expect(byKind.get('xmp')).toMatch(/readable: .*person or owner name/);
  expect(byKind.get('exif')).toMatch(/artist name/);
  expect(byKind.get('exif')).not.toMatch(/readable:/);
});

test('a reported file with no XMP or IPTC block is not read by exifr again', async () => {
  const report = await scanMetadata(await jpeg({ exif: true }));
  expect(report.findings.map((f) => f.kind)).toContain('exif');
  expect(parse).not.toHaveBeenCalled();
});
