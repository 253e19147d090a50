import { promises as fs, readdirSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { TAG } from '../../src/core/metadata/tiff-ifd';
import { tiffFormat } from '../../src/core/metadata/tiff';
import type { FindingKind, Part } from '../../src/core/metadata/types';
import { kindsImpliedByExiftool, readExiftool, type ExiftoolRecord } from '../helpers/exiftool';
import { CORPUS } from '../helpers/paths';
import { findingsOf } from '../helpers/container';
import { plantPointers, plantWithExiftool, TIFF_TYPE, writeGreyTiff, type TiffEntrySpec } from '../helpers/plant';

const { ASCII, SHORT, LONG, UNDEFINED } = TIFF_TYPE;

/** Every finding's kind, sorted, repeats kept (a file may carry two thumbnails). */
function kindsOf(parts: Part[]): FindingKind[] {
  return findingsOf(parts).map((f) => f.kind).sort();
}

/** Every TIFF in the corpus, including the folder literally named `"tiff`. */
function corpusTiffs(): string[] {
  const out: string[] = [];
  for (const dir of ['tiff', '"tiff']) {
    for (const name of readdirSync(path.join(CORPUS, dir))) {
      if (/\.tiff"?$/i.test(name)) out.push(path.join(CORPUS, dir, name));
    }
  }
  return out;
}

describe('TIFF walk on the exif-samples corpus', () => {
  const files = corpusTiffs();

  test('reports every kind exiftool implies, and nothing on the structure-only files', async () => {
    expect(files.length).toBe(8);
    expect(files.some((f) => f.includes('"tiff'))).toBe(true);
    const records = readExiftool(files);
    for (const file of files) {
      const { kinds: expected, unmapped } = kindsImpliedByExiftool(records.get(file) as ExiftoolRecord, 'tiff');
      expect({ file, unmapped }).toEqual({ file, unmapped: [] });
      const found = new Set(kindsOf(tiffFormat.walk(new Uint8Array(await fs.readFile(file)))));
      expect({ file, missing: [...expected].filter((k) => !found.has(k)) }).toEqual({ file, missing: [] });
      if (expected.size === 0) expect({ file, found: [...found] }).toEqual({ file, found: [] });
    }
  });
});

describe('TIFF walk on hand-written files', () => {
  test('a structure-only TIFF is clean and decodes', async () => {
    const tiff = writeGreyTiff();
    expect(tiffFormat.detect(tiff)).toBe('tiff');
    expect(findingsOf(tiffFormat.walk(tiff))).toEqual([]);
    const { info } = await sharp(tiff).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([4, 4]);
    const bigEndian = writeGreyTiff([], { little: false });
    expect(findingsOf(tiffFormat.walk(bigEndian))).toEqual([]);
  });

  test('IFD0 text tags that exiftool leaves behind are findings: DocumentName, HostComputer, layers', () => {
    const extra: TiffEntrySpec[] = [
      { tag: TAG.documentName, type: ASCII, value: 'Jane Doe wound.psd' },
      { tag: TAG.pageName, type: ASCII, value: 'page' },
      { tag: TAG.hostComputer, type: ASCII, value: 'CLINIC-PC-7' },
      { tag: TAG.imageSourceData, type: UNDEFINED, value: new Uint8Array(32).fill(7) },
      { tag: 0xc0de, type: LONG, value: [1] },
      { tag: 0x0130, type: SHORT, value: [1] },
    ];
    const parts = tiffFormat.walk(writeGreyTiff(extra));
    const findings = findingsOf(parts);
    expect(findings.map((f) => [f.kind, f.where])).toEqual([
      ['exif', 'TIFF IFD0 tag 0x010d'],
      ['exif', 'TIFF IFD0 tag 0x011d'],
      ['unknown-segment', 'TIFF IFD0 tag 0x0130'],
      ['exif', 'TIFF IFD0 tag 0x013c'],
      ['layers', 'TIFF IFD0 tag 0x935c'],
      ['unknown-segment', 'TIFF IFD0 tag 0xc0de'],
    ]);
    expect(JSON.stringify(parts)).not.toMatch(/Jane|CLINIC/);
    expect(findings[3].detail).toMatch(/host computer/);
    expect(findings[5].detail).toMatch(/private tag/);
  });

  test('Exif and GPS IFDs, XMP, IPTC, IRB, ICC, SubIFDs', () => {
    const parts = tiffFormat.walk(plantPointers());
    expect(kindsOf(parts)).toEqual(['exif', 'gps', 'icc', 'iptc', 'makernote', 'photoshop-irb', 'thumbnail', 'xmp']);
    expect(findingsOf(parts).find((f) => f.kind === 'makernote')?.where).toBe('TIFF ExifIFD tag 0x927c');
  });

  test('extra pages are kept (no finding); reduced-resolution IFDs are thumbnails', () => {
    const twoPages = writeGreyTiff([], { pages: 2 });
    expect(findingsOf(tiffFormat.walk(twoPages))).toEqual([]);
    const reduced = writeGreyTiff([], { pages: 2 });
    // Page 2 gets NewSubfileType = 1 (reduced resolution) by patching its first entry's tag/value.
    const view = new DataView(reduced.buffer);
    const ifd1 = view.getUint32(8 + 2 + 9 * 12, true);
    view.setUint16(ifd1 + 2, TAG.newSubfileType, true);
    view.setUint16(ifd1 + 2 + 2, LONG, true);
    view.setUint32(ifd1 + 2 + 8, 1, true);
    // The patched page lost its ImageWidth entry too; it is dropped whole as a thumbnail.
    expect(kindsOf(tiffFormat.walk(reduced))).toEqual(['thumbnail']);
  });

  test('tags written with exiftool: Artist, Software, Copyright, GPS, XMP', async () => {
    const planted = await plantWithExiftool(writeGreyTiff(), [
      '-Artist=A', '-Software=S', '-Copyright=C', '-GPSLatitude=1', '-GPSLatitudeRef=N', '-XMP:Creator=X', '-ImageDescription=D',
    ], '.tif');
    const kinds = new Set(kindsOf(tiffFormat.walk(planted)));
    expect([...kinds].sort()).toEqual(['exif', 'gps', 'xmp']);
  });

  test('BigTIFF is walked (64-bit offsets); broken files are DeidError', () => {
    const big = new Uint8Array([0x49, 0x49, 0x2b, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]);
    expect(tiffFormat.detect(big)).toBe('tiff');
    expect(() => tiffFormat.walk(big)).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(tiffFormat.detect(new Uint8Array([0x49, 0x49, 0x2a]))).toBeNull();
    expect(tiffFormat.detect(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBeNull();
    expect(() => tiffFormat.walk(new Uint8Array([0x49, 0x49, 42, 0, 0, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'malformed' }));
    // A BigTIFF header whose offset size is not 8.
    expect(() => tiffFormat.walk(new Uint8Array([0x49, 0x49, 0x2b, 0, 4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]))).toThrow(expect.objectContaining({ code: 'malformed' }));
  });
});
