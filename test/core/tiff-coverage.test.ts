/**
 * Bytes of a TIFF file no directory refers to (after the last referenced range, or in a gap
 * between ranges) are invisible to every reader, so the walk reports them.
 */
import sharp from 'sharp';
import { tiffFormat } from '../../src/core/metadata/tiff';
import { latin1 } from '../helpers/chunks';
import { concatBytes, TIFF_TYPE, writeGreyTiff, writeTiff } from '../helpers/plant';
import { findingsOf } from '../helpers/container';

const SECRET = 'Patient John Smith MRN 1234567';

/** A 4x4 grey TIFF whose strip starts `gap` bytes into the data area (the gap holding `filler`). */
function greyWithGap(filler: Uint8Array): Uint8Array {
  const pixels = new Uint8Array(16).map((_, i) => i * 16);
  return writeTiff([{ entries: [
    { tag: 256, type: TIFF_TYPE.SHORT, value: [4] },
    { tag: 257, type: TIFF_TYPE.SHORT, value: [4] },
    { tag: 258, type: TIFF_TYPE.SHORT, value: [8] },
    { tag: 259, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 262, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 273, type: TIFF_TYPE.LONG, value: { dataOffset: filler.length } },
    { tag: 277, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 278, type: TIFF_TYPE.SHORT, value: [4] },
    { tag: 279, type: TIFF_TYPE.LONG, value: [16] },
  ] }], { data: concatBytes(filler, pixels) });
}

test('hand-made, sharp-made (strips, tiles, LZW, JPEG) and two-page TIFFs have no unreferenced bytes', async () => {
  expect(findingsOf(tiffFormat.walk(writeGreyTiff()))).toEqual([]);
  expect(findingsOf(tiffFormat.walk(greyWithGap(new Uint8Array(0))))).toEqual([]);
  for (const options of [{}, { tile: true, tileWidth: 16, tileHeight: 16 }, { compression: 'lzw' as const }, { compression: 'jpeg' as const }]) {
    const tiff = new Uint8Array(await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).tiff(options).toBuffer());
    expect({ options, findings: findingsOf(tiffFormat.walk(tiff)) }).toEqual({ options, findings: [] });
  }
  // Two pages sharing one strip: each page is kept, the shared data is not an overlap.
  expect(findingsOf(tiffFormat.walk(writeGreyTiff([], { pages: 2 })))).toEqual([]);
});

test('bytes after the last referenced range are a trailer, counted, never quoted', () => {
  const base = writeGreyTiff();
  const planted = concatBytes(base, latin1(SECRET));
  const findings = findingsOf(tiffFormat.walk(planted));
  expect(findings).toEqual([{ kind: 'trailer', where: `TIFF @ ${base.length}`, detail: `${SECRET.length} bytes after the last referenced data` }]);
  // One byte of word-alignment padding is not a finding.
  expect(findingsOf(tiffFormat.walk(concatBytes(base, new Uint8Array(1))))).toEqual([]);
});

test('a gap between referenced ranges is an unknown segment; alignment padding is not', () => {
  const planted = greyWithGap(latin1(SECRET));
  const findings = findingsOf(tiffFormat.walk(planted));
  expect(findings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: `${SECRET.length} bytes no directory refers to` })]);
  expect(JSON.stringify(tiffFormat.walk(planted))).not.toContain('John');
  expect(findingsOf(tiffFormat.walk(greyWithGap(new Uint8Array(2))))).toEqual([]);
});

test('many one-byte strips overlapping the directory', () => {
  const rows = 20000;
  const pixels = new Uint8Array(rows);
  const tiff = writeTiff([{ entries: [
    { tag: 256, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 257, type: TIFF_TYPE.SHORT, value: [rows] },
    { tag: 258, type: TIFF_TYPE.SHORT, value: [8] },
    { tag: 259, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 262, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 273, type: TIFF_TYPE.LONG, value: Array.from({ length: rows }, (_, i) => i) },
    { tag: 277, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 278, type: TIFF_TYPE.SHORT, value: [1] },
    { tag: 279, type: TIFF_TYPE.LONG, value: new Array<number>(rows).fill(1) },
  ] }], { data: pixels });
  // 20000 one-byte strips at offsets 0..19999 (inside the header and IFD): the real pixel bytes
  // at the end are then referenced by nothing, and the strips overlap the directory.
  expect(findingsOf(tiffFormat.walk(tiff))).toEqual([
    expect.objectContaining({ kind: 'unknown-segment', detail: 'kept structures overlap (each byte belongs to one structure)' }),
    expect.objectContaining({ kind: 'trailer', detail: `${rows} bytes after the last referenced data` }),
  ]);
  // Strip copies each strip out of the directory into its own place: clean, one page, same bytes.
  const out = tiffFormat.strip!(tiff).bytes;
  expect(findingsOf(tiffFormat.walk(out))).toEqual([]);
});
