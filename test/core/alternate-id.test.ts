import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import { sha256Hex } from '../../src/core/hash';
import { isAlternateId, newAlternateId, parseAlternateId } from '../../src/core/sidecar/alternate-id';

describe('newAlternateId', () => {
  it('encodes the random bytes as grouped Crockford base32', () => {
    expect(newAlternateId((n) => new Uint8Array(n))).toBe('DEID-0000-0000-0000');
    expect(newAlternateId((n) => new Uint8Array(n).fill(0xff))).toBe('DEID-ZZZZ-ZZZZ-ZZZZ');
    // 0x08 0x42 0x10 0x84 0x21 0x08 0x42 0x10 is 00001 repeated: every symbol is "1"
    expect(newAlternateId(() => Uint8Array.from([0x08, 0x42, 0x10, 0x84, 0x21, 0x08, 0x42, 0x10]))).toBe('DEID-1111-1111-1111');
  });

  it('asks the random source for 8 bytes (60 bits used) and refuses a short answer', () => {
    const asked: number[] = [];
    newAlternateId((n) => {
      asked.push(n);
      return new Uint8Array(n);
    });
    expect(asked).toEqual([8]);
    expect(() => newAlternateId(() => new Uint8Array(4))).toThrow(DeidError);
  });

  it('uses the platform CSPRNG by default: ids differ and are well formed', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newAlternateId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(isAlternateId(id)).toBe(true);
  });

  it('property: every 60-bit value gives a distinct valid id that parses back to itself', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        const id = newAlternateId(() => bytes);
        expect(id).toMatch(/^DEID-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
        expect(id.slice('DEID'.length)).not.toMatch(/[ILOU]/);
        expect(parseAlternateId(id)).toBe(id);
        const changed = Uint8Array.from(bytes);
        changed[0] ^= 0x80;
        expect(newAlternateId(() => changed)).not.toBe(id);
      }),
    );
  });
});

describe('parseAlternateId and isAlternateId', () => {
  it('reads what people type or hear: case, spaces, look-alikes', () => {
    expect(parseAlternateId('deid 7kq2 m9xh 3tra')).toBe('DEID-7KQ2-M9XH-3TRA');
    expect(parseAlternateId('7KQ2-M9XH-3TRA')).toBe('DEID-7KQ2-M9XH-3TRA');
    expect(parseAlternateId('DEID-OIL0-0000-0000')).toBe('DEID-0110-0000-0000');
  });

  it('refuses wrong lengths and letters outside the alphabet', () => {
    for (const bad of ['', 'DEID-7KQ2-M9XH', 'DEID-7KQ2-M9XH-3TRA-0000', 'DEID-7KQ2-M9XH-3TRU', 'DEID-7KQ2-M9XH-3TR!']) {
      expect(() => parseAlternateId(bad)).toThrow(DeidError);
    }
    expect(isAlternateId('DEID-7KQ2-M9XH-3TRA')).toBe(true);
    expect(isAlternateId('deid-7kq2-m9xh-3tra')).toBe(false);
    expect(isAlternateId('DEID-7KQ2-M9XH-3TRL')).toBe(false);
    expect(isAlternateId(42)).toBe(false);
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
