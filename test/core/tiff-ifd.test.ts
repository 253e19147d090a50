import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import { minimalOrientationExif, scanExif, TAG } from '../../src/core/metadata/tiff-ifd';
import { TIFF_TYPE, writeTiff, type TiffEntrySpec, type TiffIfdSpec } from '../helpers/plant';

const { ASCII, SHORT, LONG, UNDEFINED } = TIFF_TYPE;

function kinds(tiff: Uint8Array): string[] {
  return scanExif(tiff, 'test').findings.map((f) => f.kind).sort();
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeidError) return e.code;
    throw e;
  }
  return 'none';
}

const orientation = (value: number): TiffEntrySpec => ({ tag: TAG.orientation, type: SHORT, value: [value] });

describe('scanExif', () => {
  test.each([true, false])('groups tag labels into one exif finding, never values (little-endian %s)', (little) => {
    const tiff = writeTiff([
      {
        entries: [
          { tag: TAG.make, type: ASCII, value: 'SecretMake' },
          { tag: TAG.orientation, type: SHORT, value: [8] },
          { tag: TAG.artist, type: ASCII, value: 'Jane Q Patient' },
          { tag: TAG.exifIfd, type: LONG, value: { ifds: [1] } },
        ],
      },
      {
        entries: [
          { tag: 0x9003, type: ASCII, value: '2020:01:02 03:04:05' },
          { tag: 0xa431, type: ASCII, value: 'SN-998877' },
          { tag: 0xa430, type: ASCII, value: 'Owner Name' },
          { tag: 0x829a, type: SHORT, value: [1] },
        ],
      },
    ], { little });
    const scan = scanExif(tiff, 'APP1 @ 2');
    expect(scan.orientation).toBe(8);
    expect(scan.onlyOrientation).toBe(false);
    expect(scan.findings).toHaveLength(1);
    expect(scan.findings[0]).toMatchObject({ kind: 'exif', where: 'APP1 @ 2 IFD0' });
    expect(scan.findings[0].detail).toBe(
      'EXIF tags: camera make/model, artist name, dates, camera serial number, camera owner name, camera settings',
    );
    expect(JSON.stringify(scan)).not.toMatch(/Secret|Jane|998877|Owner Name|2020/);
  });

  test('GPS, MakerNote, IFD1 thumbnail and embedded blocks each get their own kind', () => {
    const tiff = writeTiff([
      {
        entries: [
          { tag: TAG.xmp, type: UNDEFINED, value: new Uint8Array(8) },
          { tag: TAG.exifIfd, type: LONG, value: { ifds: [1] } },
          { tag: TAG.iptc, type: UNDEFINED, value: new Uint8Array(8) },
          { tag: TAG.photoshopIrb, type: UNDEFINED, value: new Uint8Array(8) },
          { tag: TAG.icc, type: UNDEFINED, value: new Uint8Array(8) },
          { tag: TAG.gpsIfd, type: LONG, value: { ifds: [2] } },
          { tag: TAG.imageSourceData, type: UNDEFINED, value: new Uint8Array(8) },
        ],
        next: 3,
      },
      { entries: [{ tag: TAG.makerNote, type: UNDEFINED, value: new Uint8Array(16) }, { tag: TAG.interopIfd, type: LONG, value: { ifds: [4] } }] },
      { entries: [{ tag: 2, type: 5, value: [51, 30, 0] }] },
      { entries: [{ tag: TAG.jpegInterchangeFormat, type: LONG, value: [0] }, { tag: 0x0202, type: LONG, value: [0] }] },
      { entries: [{ tag: 1, type: ASCII, value: 'R98' }] },
    ]);
    expect(kinds(tiff)).toEqual(['exif', 'gps', 'icc', 'iptc', 'layers', 'makernote', 'photoshop-irb', 'thumbnail', 'thumbnail', 'xmp']);
    const gps = scanExif(tiff, 'x').findings.find((f) => f.kind === 'gps');
    expect(gps?.detail).toMatch(/1 GPS tags/);
  });

  test('SubIFDs are a thumbnail finding; a pointer of the wrong type is not followed', () => {
    const sub = writeTiff([
      { entries: [{ tag: TAG.subIfds, type: LONG, value: { ifds: [1, 2] } }] },
      { entries: [{ tag: 256, type: SHORT, value: [8] }] },
      { entries: [{ tag: 256, type: SHORT, value: [4] }] },
    ]);
    expect(scanExif(sub, 'x').findings.find((f) => f.kind === 'thumbnail')?.detail).toMatch(/2 SubIFD/);
    const wrongType = writeTiff([{ entries: [{ tag: TAG.exifIfd, type: ASCII, value: 'abc' }] }]);
    expect(kinds(wrongType)).toEqual(['exif']);
  });

  test('minimalOrientationExif is 26 bytes, reads back as clean orientation', () => {
    for (let o = 1; o <= 8; o++) {
      const block = minimalOrientationExif(o);
      expect(block.length).toBe(26);
      expect(scanExif(block, 'x')).toEqual({ findings: [], orientation: o, onlyOrientation: true });
    }
    expect(() => minimalOrientationExif(9)).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(() => minimalOrientationExif(2.5)).toThrow(DeidError);
  });

  test('a hand-made little-endian orientation-only block is clean too; anything more is not', () => {
    expect(scanExif(writeTiff([{ entries: [orientation(3)] }], { little: true }), 'x').onlyOrientation).toBe(true);
    const plusOne = writeTiff([{ entries: [orientation(3), { tag: 282, type: 5, value: [72] }] }]);
    expect(scanExif(plusOne, 'x')).toMatchObject({ orientation: 3, onlyOrientation: false, findings: [{ kind: 'exif' }] });
    const withIfd1 = writeTiff([{ entries: [orientation(3)], next: 1 }, { entries: [{ tag: 259, type: SHORT, value: [6] }] }]);
    expect(kinds(withIfd1)).toEqual(['exif', 'thumbnail']);
    const hiddenTail = Uint8Array.from([...minimalOrientationExif(6), 0x4a, 0x44]);
    expect(scanExif(hiddenTail, 'x')).toMatchObject({ orientation: 6, onlyOrientation: false, findings: [{ kind: 'exif' }] });
    const padded = minimalOrientationExif(6);
    padded[21] = 0x4a;
    expect(scanExif(padded, 'x').onlyOrientation).toBe(false);
    const badValue = writeTiff([{ entries: [orientation(9)] }]);
    expect(scanExif(badValue, 'x')).toMatchObject({ orientation: null, onlyOrientation: false });
  });

  test('cycles are malformed', () => {
    const selfNext = writeTiff([{ entries: [orientation(1)], next: 0 }]);
    expect(errorCode(() => scanExif(selfNext, 'x'))).toBe('malformed');
    const chain: TiffIfdSpec[] = [
      { entries: [{ tag: TAG.exifIfd, type: LONG, value: { ifds: [1] } }] },
      { entries: [{ tag: TAG.interopIfd, type: LONG, value: { ifds: [0] } }] },
    ];
    expect(errorCode(() => scanExif(writeTiff(chain), 'x'))).toBe('malformed');
    const loopViaNext = writeTiff([{ entries: [orientation(1)], next: 1 }, { entries: [orientation(1)], next: 0 }]);
    expect(errorCode(() => scanExif(loopViaNext, 'x'))).toBe('malformed');
  });

  test('offsets past the end are truncated; bad headers are malformed; BigTIFF is unsupported', () => {
    const tiff = writeTiff([{ entries: [{ tag: TAG.exifIfd, type: LONG, value: [1 << 20] }] }]);
    expect(errorCode(() => scanExif(tiff, 'x'))).toBe('truncated');
    expect(errorCode(() => scanExif(tiff.subarray(0, 12), 'x'))).toBe('truncated');
    expect(errorCode(() => scanExif(new Uint8Array([0x49, 0x49, 42]), 'x'))).toBe('truncated');
    expect(errorCode(() => scanExif(new Uint8Array([0x41, 0x41, 42, 0, 8, 0, 0, 0]), 'x'))).toBe('malformed');
    expect(errorCode(() => scanExif(new Uint8Array([0x49, 0x49, 41, 0, 8, 0, 0, 0]), 'x'))).toBe('malformed');
    expect(errorCode(() => scanExif(new Uint8Array([0x49, 0x49, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'x'))).toBe('unsupported');
    expect(errorCode(() => scanExif(new Uint8Array([0x49, 0x49, 42, 0, 4, 0, 0, 0]), 'x'))).toBe('malformed');
  });

  test('overlapping directories cannot make the walk quadratic', () => {
    // 4000 IFD offsets, each a "directory" of 0xFFFF entries overlapping all the others.
    const size = 64 * 1024;
    const tiff = new Uint8Array(size).fill(0xff);
    tiff.set([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
    const started = Date.now();
    expect(errorCode(() => scanExif(tiff, 'x'))).not.toBe('none');
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('random and mutated blocks: a scan or DeidError, nothing else', () => {
    const seed = writeTiff([
      { entries: [orientation(6), { tag: TAG.exifIfd, type: LONG, value: { ifds: [1] } }, { tag: TAG.gpsIfd, type: LONG, value: { ifds: [2] } }], next: 3 },
      { entries: [{ tag: TAG.makerNote, type: UNDEFINED, value: new Uint8Array(12) }] },
      { entries: [{ tag: 1, type: ASCII, value: 'N' }] },
      { entries: [{ tag: TAG.subIfds, type: LONG, value: { ifds: [1] } }] },
    ]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        errorCode(() => scanExif(bytes, 'x'));
        errorCode(() => scanExif(Uint8Array.from([0x4d, 0x4d, 0, 42, ...bytes]), 'x'));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const copy = seed.slice();
        for (const [at, value] of flips) copy[at] = value;
        errorCode(() => scanExif(copy, 'x'));
      }),
      { numRuns: 200 },
    );
  });
});
