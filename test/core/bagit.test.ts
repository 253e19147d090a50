import fc from 'fast-check';
import { isCalendarDate, parseDeclaration } from '../../src/core/bagit';
import { buildTagFiles, payloadOxum } from '../../src/core/bagit/build';
import { outOfScope, parseManifest } from '../../src/core/bagit/manifest';
import { parseTagFile } from '../../src/core/bagit/tag-file';
import { decodeTagText } from '../../src/core/bagit/text';

const enc = (s: string) => new TextEncoder().encode(s);
const H256 = 'a'.repeat(64);

describe('bagit.txt (RFC 8493 §2.1.1)', () => {
  test('reads the two required lines', () => {
    expect(parseDeclaration(enc('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'))).toMatchObject({ version: '1.0', encoding: 'UTF-8' });
    expect(parseDeclaration(enc('BagIt-Version: 0.97\r\nTag-File-Character-Encoding: ISO-8859-1'))).toMatchObject({ version: '0.97', major: 0, minor: 97 });
  });
  test.each([
    ['a byte-order mark', '\ufeffBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n', /byte-order mark/],
    ['space before the colon', 'BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n', /first line/],
    ['a version without major', 'BagIt-Version: .97\nTag-File-Character-Encoding: UTF-8\n', /first line/],
    ['a missing encoding line', 'BagIt-Version: 1.0\n', /exactly two lines/],
    ['a third line', 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nExtra: x\n', /exactly two lines/],
  ])('refuses %s', (_, text, why) => {
    const r = parseDeclaration(enc(text));
    expect(typeof r).toBe('string');
    expect(r).toMatch(why);
  });
});

describe('tag files (RFC 8493 §2.2.2)', () => {
  test('continuation lines join the previous value; labels keep their case', () => {
    const r = parseTagFile('External-Description: one\n   two\n\tthree\nContact-Name: A\n', 'bag-info.txt', true);
    expect(r.errors).toEqual([]);
    expect(r.elements).toEqual([{ label: 'External-Description', value: 'one two three' }, { label: 'Contact-Name', value: 'A' }]);
  });
  test('odd separators are errors in RFC bags and warnings in pre-RFC drafts', () => {
    const text = 'Test-Tag : 3\nOther:   2\n';
    expect(parseTagFile(text, 'bag-info.txt', true).errors).toHaveLength(2);
    const loose = parseTagFile(text, 'bag-info.txt', false);
    expect(loose.errors).toEqual([]);
    expect(loose.warnings).toHaveLength(2);
    expect(loose.elements.map((e) => e.value)).toEqual(['3', '2']);
  });
  test('a line that is not an element is an error', () => {
    expect(parseTagFile('no colon here\n', 'bag-info.txt', false).errors[0]).toMatch(/not "Label: value"/);
    expect(parseTagFile('  leading continuation\n', 'bag-info.txt', false).errors[0]).toMatch(/continuation/);
  });
  test('UTF-16 with either byte order and ISO-8859-1 decode', () => {
    const le = new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0xe9, 0x00]);
    const be = new Uint8Array([0xfe, 0xff, 0x00, 0x41, 0x00, 0xe9]);
    expect(decodeTagText(le, 'UTF-16')).toBe('Aé');
    expect(decodeTagText(be, 'UTF-16')).toBe('Aé');
    expect(decodeTagText(new Uint8Array([0x41, 0xe9]), 'ISO-8859-1')).toBe('Aé');
    expect(() => decodeTagText(new Uint8Array([0xc3]), 'UTF-8')).toThrow();
  });
});

describe('manifests (RFC 8493 §2.1.3)', () => {
  test('percent-decodes only %25, %0A and %0D in RFC bags', () => {
    const r = parseManifest(`${H256}  data/a%25b%0Ac\n${H256}  data/with space.txt\n`, 'manifest-sha256.txt', 'sha256', 'payload', true);
    expect(r.errors).toEqual([]);
    expect([...r.entries.keys()]).toEqual(['data/a%b\nc', 'data/with space.txt']);
    expect(parseManifest(`${H256}  data/%7Efile\n`, 'm', 'sha256', 'payload', true).errors[0]).toMatch(/%/);
    // Pre-RFC drafts encoded nothing: the name is literal.
    expect([...parseManifest(`${H256}  data/%7Efile\n`, 'm', 'sha256', 'payload', false).entries.keys()]).toEqual(['data/%7Efile']);
  });
  test.each([
    ['../escape', /outside data|\.\./],
    ['data/../../etc/passwd', /\.\./],
    ['/etc/passwd', /absolute/],
    ['~/x', /home-directory/],
    ['~root/x', /home-directory/],
    ['data\\..\\x', /backslash/],
    ['data//x', /empty/],
    ['bagit.txt', /outside data/],
  ])('refuses the out-of-scope path %s', (p, why) => {
    const r = parseManifest(`${H256}  ${p}\n`, 'manifest-sha256.txt', 'sha256', 'payload', true);
    expect(r.entries.size).toBe(0);
    expect(r.errors.join(' ')).toMatch(why);
  });
  test('a checksum of the wrong length, and duplicates', () => {
    expect(parseManifest('abc  data/x\n', 'm', 'sha256', 'payload', true).errors[0]).toMatch(/64 hex digits/);
    const twice = `${H256}  data/x\n${'b'.repeat(64)}  data/x\n`;
    expect(parseManifest(twice, 'm', 'sha256', 'payload', false).errors[0]).toMatch(/different checksums/);
    const same = `${H256}  data/x\n${H256}  data/x\n`;
    expect(parseManifest(same, 'm', 'sha256', 'payload', true).errors[0]).toMatch(/twice/);
    expect(parseManifest(same, 'm', 'sha256', 'payload', false).warnings[0]).toMatch(/twice/);
  });
  test('outOfScope accepts ordinary nested paths', () => {
    expect(outOfScope('data/a/b c/d.jpg')).toBeNull();
  });
});

describe('writing a bag', () => {
  const payload = [
    { path: 'data/B.jpg', size: 10, sha256: H256, sha512: 'c'.repeat(128) },
    { path: 'data/A%.deid.json', size: 5, sha256: 'd'.repeat(64), sha512: 'e'.repeat(128) },
  ];
  test('Payload-Oxum counts octets and streams', () => {
    expect(payloadOxum(payload)).toBe('15.2');
  });
  test('tag files parse back, manifests are sorted and percent-encoded, tag manifests cover every tag file', () => {
    const built = buildTagFiles(payload, [{ label: 'Recipient-Organization', value: 'Study\nInjected: line' }]);
    const byName = Object.fromEntries(built.files.map((f) => [f.name, new TextDecoder().decode(f.bytes)]));
    expect(Object.keys(byName)).toEqual(['bagit.txt', 'bag-info.txt', 'manifest-sha256.txt', 'manifest-sha512.txt', 'tagmanifest-sha256.txt', 'tagmanifest-sha512.txt']);
    // A newline in a value cannot forge a second element.
    expect(parseTagFile(byName['bag-info.txt'], 'bag-info.txt', true).elements).toEqual([{ label: 'Recipient-Organization', value: 'Study Injected: line' }]);
    expect(byName['manifest-sha256.txt']).toBe(`${'d'.repeat(64)}  data/A%25.deid.json\n${H256}  data/B.jpg\n`);
    const tagEntries = parseManifest(byName['tagmanifest-sha256.txt'], 't', 'sha256', 'tag', true);
    expect(tagEntries.errors).toEqual([]);
    expect([...tagEntries.entries.keys()].sort()).toEqual(['bag-info.txt', 'bagit.txt', 'manifest-sha256.txt', 'manifest-sha512.txt']);
    expect(built.identity).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('bag-info dates (YYYY-MM-DD)', () => {
  test('every day of the calendar is a date, written as ISO 8601 writes it', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }), (d) => {
        expect(isCalendarDate(d.toISOString().slice(0, 10))).toBe(true);
      }),
    );
  });
  test.each(['2024-13-01', '2024-00-10', '2024-02-30', '2023-02-29', '1900-02-29', '2024-04-31', '2024-01-00', '2024-1-01', '24-01-01', '2024/01/01', ' 2024-01-01', '2024-01-01T00:00'])('refuses %s', (text) => {
    expect(isCalendarDate(text)).toBe(false);
  });
  test('29 February of a leap year, including a century divisible by 400', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2000-02-29')).toBe(true);
  });
});
