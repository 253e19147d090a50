/**
 * The HEIF walk splits every kept HEVC/AV1 item into its units (isobmff-coded.ts), which costs
 * the item's length, and iloc (14496-12 8.11.3) may point any number of items at the same bytes:
 * 2000 grid tiles on one 600 kB run of NAL units (a 688 kB file) took 7.3 s, and 2000 tiles
 * starting at different units of it 6.8 s. Items pointing at the same extents are now read once,
 * with the same verdict; items whose bytes overlap from different starts, adding up to more than
 * the file, are refused before they are read again and again, with the reason. Asserted as work
 * (bytes split into units, isobmff-coded.ts unitWork), never as wall time.
 */
import { isobmffFormat } from '../../src/core/metadata/isobmff';
import { unitWork } from '../../src/core/metadata/isobmff-coded';
import { be16, be32, box, fullBox, ftyp, latin1 } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { concatBytes } from '../helpers/plant';

/**
 * A grid (23008-12 6.6.2.3) of `tiles` hidden hvc1 items, every one pointing at `length` bytes of
 * one mdat run of 6-byte NAL units (a 4-byte length, a VPS header), tile i `shift(i)` bytes in.
 */
function sharedTiles(tiles: number, length: number, shift: (i: number) => number = () => 0, cut = 0): Uint8Array {
  const columns = Math.min(tiles, 256);
  const rows = Math.ceil(tiles / columns);
  const infe = (id: number, type: string, flags: number) => fullBox('infe', 2, flags, be16(id), be16(0), latin1(type), latin1('\0'));
  const iinf = fullBox('iinf', 0, 0, be16(tiles + 1), infe(1, 'grid', 0), ...Array.from({ length: tiles }, (_, i) => infe(2 + i, 'hvc1', 1)));
  const iref = fullBox('iref', 0, 0, box('dimg', be16(1), be16(tiles), ...Array.from({ length: tiles }, (_, i) => be16(2 + i))));
  // hvcC (14496-15 8.3.3.1): version 1, then fields up to lengthSizeMinusOne (byte 21: 3), no arrays.
  const hvcC = box('hvcC', concatBytes(Uint8Array.of(1), new Uint8Array(20), Uint8Array.of(0x03, 0)));
  const ipco = box('ipco', hvcC, fullBox('ispe', 0, 0, be32(64), be32(64)), fullBox('ispe', 0, 0, be32(64 * columns), be32(64 * rows)));
  const ipma = fullBox('ipma', 0, 0, be32(tiles + 1), concatBytes(be16(1), Uint8Array.of(1, 3)), ...Array.from({ length: tiles }, (_, i) => concatBytes(be16(2 + i), Uint8Array.of(2, 1, 2))));
  const descriptor = concatBytes(Uint8Array.of(0, 0, rows - 1, columns - 1), be16(64 * columns), be16(64 * rows));
  const iloc = (dataAt: number) =>
    fullBox('iloc', 1, 0, Uint8Array.of(0x44, 0), be16(tiles + 1),
      concatBytes(be16(1), be16(1), be16(0), be16(1), be32(0), be32(descriptor.length)),
      ...Array.from({ length: tiles }, (_, i) => concatBytes(be16(2 + i), be16(0), be16(0), be16(1), be32(dataAt + shift(i)), be32(length - cut))));
  const hdlr = fullBox('hdlr', 0, 0, be32(0), latin1('pict'), new Uint8Array(12), latin1('\0'));
  const meta = (dataAt: number) => fullBox('meta', 0, 0, hdlr, fullBox('pitm', 0, 0, be16(1)), iinf, iref, box('iprp', ipco, ipma), iloc(dataAt), box('idat', descriptor));
  const head = ftyp('heic', ['mif1', 'heic']);
  const dataAt = head.length + meta(0).length + 8;
  const units = new Uint8Array(length);
  for (let o = 0; o + 6 <= length; o += 6) units.set([0, 0, 0, 2, 0x40, 0x01], o);
  return concatBytes(head, meta(dataAt), box('mdat', units));
}

test('2000 grid tiles pointing at one 600 kB run of NAL units: the same findings as one tile would give, the run read once', () => {
  const file = sharedTiles(2000, 600_000);
  const before = unitWork.bytes;
  const findings = findingsOf(isobmffFormat.walk(file));
  expect(unitWork.bytes - before).toBeLessThanOrEqual(file.length);
  // The grid's hidden tiles and the hvcC's reserved bits, as before; nothing about the shared run.
  expect(findings.map((f) => f.detail)).toEqual([expect.stringMatching(/a grid of 8 x 256 tiles with 2000 inputs/), expect.stringMatching(/hvcC reserved bits/)]);
});

test('2000 tiles starting at different units of one run: refused with the reason, before being read again and again; strip refuses', () => {
  const file = sharedTiles(2000, 600_000, (i) => 6 * (i % 1000), 6000);
  const before = unitWork.bytes;
  const findings = findingsOf(isobmffFormat.walk(file));
  expect(findings).toContainEqual(expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/picture items whose coded data overlap: the distinct ones add up to more than the file's \d+ bytes.*not read/) }));
  expect(unitWork.bytes - before).toBeLessThanOrEqual(file.length);
  expect(() => (isobmffFormat.strip as NonNullable<typeof isobmffFormat.strip>)(file)).toThrow();
});

test('an Exif item of 300 extents of one 1 MB run is refused as malformed, naming the sizes, instead of being joined into 300 MB', () => {
  const extents = 300;
  const length = 1_000_000;
  const infe = (id: number, type: string) => fullBox('infe', 2, 0, be16(id), be16(0), latin1(type), latin1('\0'));
  const hvcC = box('hvcC', concatBytes(Uint8Array.of(1), new Uint8Array(20), Uint8Array.of(0x03, 0)));
  const iprp = box('iprp', box('ipco', hvcC, fullBox('ispe', 0, 0, be32(64), be32(64))), fullBox('ipma', 0, 0, be32(1), concatBytes(be16(1), Uint8Array.of(2, 1, 2))));
  const iloc = (at: number) =>
    fullBox('iloc', 1, 0, Uint8Array.of(0x44, 0), be16(2), concatBytes(be16(1), be16(0), be16(0), be16(1), be32(at), be32(6)),
      concatBytes(be16(2), be16(0), be16(0), be16(extents)), ...Array.from({ length: extents }, () => concatBytes(be32(at), be32(length))));
  const hdlr = fullBox('hdlr', 0, 0, be32(0), latin1('pict'), new Uint8Array(12), latin1('\0'));
  const meta = (at: number) => fullBox('meta', 0, 0, hdlr, fullBox('pitm', 0, 0, be16(1)), fullBox('iinf', 0, 0, be16(2), infe(1, 'hvc1'), infe(2, 'Exif')), fullBox('iref', 0, 0, box('cdsc', be16(2), be16(1), be16(1))), iprp, iloc(at));
  const head = ftyp('heic', ['mif1', 'heic']);
  const at = head.length + meta(0).length + 8;
  const data = new Uint8Array(length);
  data.set([0, 0, 0, 2, 0x40, 0x01]);
  const file = concatBytes(head, meta(at), box('mdat', data));
  expect(file.length).toBeLessThan(1_100_000);
  expect(() => isobmffFormat.walk(file)).toThrow(expect.objectContaining({ code: 'malformed', message: `HEIF: the ${extents} extents of one item add up to ${extents * length} bytes, more than the ${file.length} bytes of the file they point into (they repeat or overlap)` }));
});
