import fc from 'fast-check';
import { DEFAULT_POLICY, minimumCellSize } from '../../src/core/policy/policy';
import { chooseCellSize, coarserCellSize } from '../../src/panels/mosaic-choice';

const region = fc.record({ x: fc.nat(500), y: fc.nat(500), w: fc.integer({ min: 1, max: 4000 }), h: fc.integer({ min: 1, max: 4000 }) });
const cellsAcross = (r: { w: number; h: number }, c: number): number => Math.ceil(Math.min(r.w, r.h) / c);

test('every cell size below the policy minimum is refused; the minimum and above are accepted', () => {
  fc.assert(
    fc.property(region, fc.integer({ min: 1, max: 5000 }), (r, size) => {
      const min = minimumCellSize(DEFAULT_POLICY, r);
      const choice = chooseCellSize(DEFAULT_POLICY, r, String(size));
      if (size < min) {
        expect(choice.ok).toBe(false);
        if (!choice.ok) expect(choice.message).toMatch(/^Refused: .*too fine/);
      } else {
        expect(choice).toEqual({ ok: true, cellSize: size, cellsAcross: cellsAcross(r, size) });
      }
    }),
  );
});

test('"Coarser" always gives fewer cells across, never a finer cell, and stops at one cell', () => {
  fc.assert(
    fc.property(region, fc.integer({ min: 0, max: 3000 }), (r, extra) => {
      const size = minimumCellSize(DEFAULT_POLICY, r) + extra;
      const next = coarserCellSize(r, size);
      if (cellsAcross(r, size) <= 1) {
        expect(next).toBeNull();
        return;
      }
      expect(next).not.toBeNull();
      const n = next as number;
      expect(n).toBeGreaterThan(size);
      expect(cellsAcross(r, n)).toBe(cellsAcross(r, size) - 1);
      // The smallest such size: one pixel less would not drop a cell.
      expect(cellsAcross(r, n - 1)).toBeGreaterThan(cellsAcross(r, n));
      expect(chooseCellSize(DEFAULT_POLICY, r, String(n)).ok).toBe(true);
    }),
  );
});

test('what is not a whole number of pixels is refused with a plain message', () => {
  const r = { x: 0, y: 0, w: 100, h: 100 };
  for (const text of ['', ' ', '12.5', 'abc', '-20', '0']) {
    expect(chooseCellSize(DEFAULT_POLICY, r, text)).toEqual({ ok: false, message: 'Enter the cell size as a whole number of pixels.' });
  }
});

test('a cell size below the minimum the action enforced (mosaics next to it) is refused, at or above it accepted', () => {
  const r = { x: 200, y: 100, w: 100, h: 200 };
  expect(chooseCellSize(DEFAULT_POLICY, r, '20').ok).toBe(true);
  expect(chooseCellSize(DEFAULT_POLICY, r, '20', 40)).toEqual({ ok: false, message: 'Refused: with the mosaics next to it, this area needs cells of at least 40 px.' });
  expect(chooseCellSize(DEFAULT_POLICY, r, '40', 40)).toMatchObject({ ok: true, cellSize: 40 });
});
