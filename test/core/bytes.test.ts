import { joinBytes, joinsTo } from '../../src/core/bytes';

describe('joinsTo: pieces joined equal the bytes, without joining them', () => {
  const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

  test('views of the bytes in their own places are equal, in one piece or many', () => {
    expect(joinsTo([bytes], bytes)).toBe(true);
    expect(joinsTo([bytes.subarray(0, 3), bytes.subarray(3, 8)], bytes)).toBe(true);
    expect(joinsTo([bytes.subarray(0, 3), new Uint8Array(0), bytes.subarray(3)], bytes)).toBe(true);
  });

  test('copies are compared byte by byte: equal copies pass, one changed byte fails', () => {
    expect(joinsTo([bytes.subarray(0, 2), Uint8Array.from([3, 4]), bytes.subarray(4)], bytes)).toBe(true);
    expect(joinsTo([bytes.subarray(0, 2), Uint8Array.from([3, 9]), bytes.subarray(4)], bytes)).toBe(false);
  });

  test('a view of the bytes out of its place is compared, not trusted', () => {
    // Same memory, different place: [1,2] where [3,4] belongs.
    expect(joinsTo([bytes.subarray(0, 2), bytes.subarray(0, 2), bytes.subarray(4)], bytes)).toBe(false);
    const twice = Uint8Array.from([7, 7, 7, 7]);
    expect(joinsTo([twice.subarray(0, 2), twice.subarray(0, 2)], twice)).toBe(true);
  });

  test('too short or too long is not equal', () => {
    expect(joinsTo([bytes.subarray(0, 7)], bytes)).toBe(false);
    expect(joinsTo([bytes, Uint8Array.from([9])], bytes)).toBe(false);
    expect(joinsTo([], new Uint8Array(0))).toBe(true);
  });

  test('agrees with joining and comparing, on random pieces', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const base = Uint8Array.from({ length: 64 }, () => rnd(4));
    for (let round = 0; round < 500; round++) {
      const pieces: Uint8Array[] = [];
      let at = 0;
      while (at < 64 && rnd(10) > 0) {
        const len = Math.min(64 - at, rnd(9));
        const kind = rnd(3);
        if (kind === 0) pieces.push(base.subarray(at, at + len));
        else if (kind === 1) pieces.push(base.slice(at, at + len));
        else pieces.push(base.subarray(rnd(64 - len + 1)).subarray(0, len));
        at += len;
      }
      const joined = joinBytes(pieces);
      const same = joined.length === base.length && joined.every((v, i) => v === base[i]);
      expect(joinsTo(pieces, base)).toBe(same);
    }
  });
});
