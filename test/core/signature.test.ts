import { signOffVerdict } from '../../src/core/signature/signed-off';
import { ed25519 } from '@noble/curves/ed25519';
import { DeidError } from '../../src/core/errors';
import { canonicalJson } from '../../src/core/signature/canonical-json';
import { formatFingerprint, generateReviewerKey, keyFingerprint, parseReviewerKey, serializeReviewerKey } from '../../src/core/signature/keys';
import { checkSidecarSignature, parseTrustedReviewers, signatureFindings, signedMessage } from '../../src/core/signature/sidecar-signature';
import { signOffSidecar } from '../../src/core/signature/sign-off';
import { buildSidecar } from '../../src/core/sidecar/build';
import { MANUAL_ITEMS, applyAutoChecks, setItemStatus } from '../../src/core/sidecar/checklist';
import { parseSidecar, serializeSidecar, validateSidecar } from '../../src/core/sidecar/schema';
import type { Sidecar } from '../../src/core/sidecar/types';

function doubleFromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalJson (RFC 8785)', () => {
  // RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
  const APPENDIX_B: [string, string][] = [
    ['0000000000000000', '0'], ['8000000000000000', '0'], ['0000000000000001', '5e-324'], ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'], ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'], ['c340000000000000', '-9007199254740992'], ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'], ['44b52d02c7e14af6', '1e+23'], ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'], ['444b1ae4d6e2ef4f', '999999999999999900000'], ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'], ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'], ['41b3de4355555554', '333333333.33333325'], ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'], ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'], ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  test.each(APPENDIX_B)('Appendix B: %s -> %s', (bits, text) => {
    expect(canonicalJson(doubleFromBits(bits))).toBe(text);
  });

  test('Appendix B: NaN and Infinity have no canonical form', () => {
    expect(() => canonicalJson(doubleFromBits('7fffffffffffffff'))).toThrow(DeidError);
    expect(() => canonicalJson(doubleFromBits('7ff0000000000000'))).toThrow(DeidError);
  });

  test('section 3.2.2 sample: literals, numbers and string escaping', () => {
    const input = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  test('section 3.2.3 sample: members sorted by UTF-16 code units', () => {
    const input = JSON.parse('{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}');
    const values = Object.values(JSON.parse(canonicalJson(input)) as Record<string, string>);
    // Object.values would reorder integer-like keys, so read the order from the text itself.
    const order = [...canonicalJson(input).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual(['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
    expect(values).toHaveLength(7);
  });

  test('nested objects are sorted too; undefined members are left out as JSON.stringify does', () => {
    expect(canonicalJson({ b: [{ z: 1, a: undefined, y: 'x' }], a: true })).toBe('{"a":true,"b":[{"y":"x","z":1}]}');
  });

  test('lone surrogates are not I-JSON', () => {
    expect(() => canonicalJson({ a: '\ud800' })).toThrow(/lone surrogate/);
    expect(canonicalJson('\ud83d\ude00')).toBe('"😀"');
  });
});

const ID = 'DEID-7KQ2-M9XH-3TRA';
const WHEN = '2024-05-02T08:00:00.000Z';

function exported(): Sidecar {
  const s = buildSidecar({
    alternateId: ID,
    toolVersion: '0.1.0',
    image: { format: 'jpeg', width: 640, height: 480, bytes: new TextEncoder().encode('stand-in bytes') },
    steps: [{ op: 'pixelate', region: { x: 10, y: 20, w: 200, h: 120 }, regionKind: 'face', cellSize: 24, at: WHEN }],
    removed: ['exif'],
    now: new Date(WHEN),
  });
  return { ...s, checklist: applyAutoChecks(s.checklist, { 'metadata-removed': { ok: true }, 'file-named': { ok: true }, flattened: { ok: true }, 'regions-meet-policy': { ok: true } }) };
}

function ticked(s: Sidecar) {
  let c = s.checklist;
  for (const item of MANUAL_ITEMS) c = setItemStatus(c, item.id, 'not-present');
  return c;
}

/** The sidecar as it lands on disk and is read back. */
function roundTrip(s: Sidecar): Sidecar {
  return parseSidecar(serializeSidecar(s));
}

describe('signed sign-off', () => {
  const key = generateReviewerKey(new Uint8Array(32).fill(7));
  const other = generateReviewerKey(new Uint8Array(32).fill(9));

  test('signOffSidecar signs a complete checklist; the file round-trips and verifies with the public key alone', () => {
    const signed = roundTrip(signOffSidecar(exported(), ticked(exported()), 'Dr A. Reviewer', WHEN, key));
    expect(signed.schemaVersion).toBe(2);
    expect(signed.signature?.fingerprint).toBe(keyFingerprint(key.publicKey));
    expect(checkSidecarSignature(signed)).toEqual({ state: 'valid', fingerprint: keyFingerprint(key.publicKey) });
    // Independent of our own verify: noble's verify on the canonical bytes we document.
    expect(ed25519.verify(signed.signature!.value, signedMessage(signed), signed.signature!.publicKey)).toBe(true);
    expect(signatureFindings(signed, 'x.deid.json')).toEqual([]);
  });

  test('refused while an item is open, with the reasons', () => {
    expect(() => signOffSidecar(exported(), exported().checklist, 'R', WHEN, key)).toThrow(/cannot sign off while these are open:[\s\S]*not checked: Faces/);
  });

  const edits: [string, (s: Sidecar) => void][] = [
    ['an item status', (s) => { s.checklist.items[0].status = 'ok'; }],
    ['the reviewer', (s) => { s.checklist.reviewer = 'Someone Else'; }],
    ['the date', (s) => { s.checklist.reviewedAt = '2024-05-03T08:00:00.000Z'; }],
    ['a step', (s) => { s.steps[0].cellSize = 48; }],
    ['the image hash', (s) => { s.image.sha256 = '0'.repeat(64); }],
    ['an added issue', (s) => { s.checklist.issues.push({ description: 'x', resolved: true }); }],
  ];
  test.each(edits)('a hand edit of %s is reported as signature-invalid', (_what, edit) => {
    const signed = roundTrip(signOffSidecar(exported(), ticked(exported()), 'Dr A. Reviewer', WHEN, key));
    const edited = JSON.parse(JSON.stringify(signed)) as Sidecar;
    edit(edited);
    const findings = signatureFindings(validateSidecar(edited), 'x.deid.json');
    expect(findings).toEqual([{ kind: 'signature-invalid', where: 'x.deid.json', detail: expect.stringMatching(/changed after it was signed/) }]);
  });

  test('a swapped public key (fingerprint kept) and a dropped signature are reported', () => {
    const signed = roundTrip(signOffSidecar(exported(), ticked(exported()), 'R', WHEN, key));
    const swapped = { ...signed, signature: { ...signed.signature!, publicKey: Buffer.from(other.publicKey).toString('hex') } };
    expect(signatureFindings(swapped, 'x')[0].detail).toMatch(/fingerprint does not belong/);
    // Dropping the signature and going back to version 1: a signed-off but unsigned sidecar.
    const { signature: _s, ...rest } = signed;
    const unsigned = validateSidecar({ ...rest, schemaVersion: 1 });
    expect(signatureFindings(unsigned, 'x')).toEqual([{ kind: 'signature-invalid', where: 'x', detail: expect.stringMatching(/without a signature/) }]);
    // Version 2 without a signature does not even validate.
    expect(() => validateSidecar({ ...rest })).toThrow(DeidError);
  });

  test('a trusted list accepts the listed key and reports another', () => {
    const signed = roundTrip(signOffSidecar(exported(), ticked(exported()), 'R', WHEN, key));
    const resigned = roundTrip(signOffSidecar(signed, signed.checklist, 'R', WHEN, other));
    const trusted = parseTrustedReviewers(`# study 42\n${keyFingerprint(key.publicKey)}  Dr A. Reviewer\n`);
    expect(signatureFindings(signed, 'x', trusted)).toEqual([]);
    expect(signatureFindings(resigned, 'x')).toEqual([]);
    expect(signatureFindings(resigned, 'x', trusted).map((f) => f.kind)).toEqual(['untrusted-reviewer']);
    expect(() => parseTrustedReviewers('not-a-fingerprint')).toThrow(/line 1/);
  });

  test('a fingerprint pasted as deid review prints it (groups of four), or with colons, is the same fingerprint; a hex-like label is not part of it', () => {
    const fp = keyFingerprint(key.publicKey);
    const colons = fp.replace(/(..)(?!$)/g, '$1:');
    const parsed = parseTrustedReviewers(`${formatFingerprint(fp)}  cafe Abe\n${colons}\n${fp.toUpperCase()} Dr B\n`);
    expect([...parsed]).toEqual([fp]);
    expect(() => parseTrustedReviewers(formatFingerprint(fp).slice(0, -5))).toThrow(/line 1: expected a 64-hex-digit key fingerprint first/);
    expect(() => parseTrustedReviewers(`${fp}ab`)).toThrow(/line 1/);
  });

  test('an unsigned, not signed-off sidecar has nothing to report here', () => {
    expect(signatureFindings(exported(), 'x')).toEqual([]);
  });

  test('key text round-trips; a key whose halves do not match is refused', () => {
    expect(parseReviewerKey(serializeReviewerKey(key))).toEqual(key);
    const bad = JSON.parse(serializeReviewerKey(key));
    bad.publicKey = Buffer.from(other.publicKey).toString('hex');
    expect(() => parseReviewerKey(JSON.stringify(bad))).toThrow(/does not match/);
  });
});

describe('a sign-off dated before its export (signOffVerdict)', () => {
  const key = generateReviewerKey(new Uint8Array(32).fill(7));
  const facts = { metadata: [], named: true, regionsNotObscured: 0 };
  const LATER = '2024-05-02T09:00:00.000Z';
  /** exported(), with an export step recorded an hour after the sidecar's createdAt (WHEN). */
  function exportedLater(): Sidecar {
    const s = exported();
    return { ...s, steps: [...s.steps, { op: 'export', at: LATER }] };
  }
  const early = (s: Sidecar) => signOffVerdict(s, facts).problems.filter((p) => /cannot predate/.test(p.detail));

  test('signed between createdAt and the recorded export step: refused, naming the export', () => {
    const at = '2024-05-02T08:30:00.000Z';
    const signed = roundTrip(signOffSidecar(exportedLater(), ticked(exportedLater()), 'R', at, key));
    expect(checkSidecarSignature(signed).state).toBe('valid');
    expect(early(signed)).toEqual([{ kind: 'checklist-incomplete', detail: `signed off at ${at}, before the image was exported (${LATER}): a sign-off cannot predate the export it vouches for; review and sign it off again` }]);
    expect(signOffVerdict(signed, facts).signedOff).toBe(false);
  });

  test('signed at the very instant of the export (another zone) or after: not refused for its date', () => {
    for (const at of [LATER, '2024-05-02T10:00:00.000+01:00', '2024-05-02T09:00:00.001Z']) {
      expect(early(roundTrip(signOffSidecar(exportedLater(), ticked(exportedLater()), 'R', at, key)))).toEqual([]);
    }
    // exported() itself, signed at its createdAt: signed off.
    expect(signOffVerdict(roundTrip(signOffSidecar(exported(), ticked(exported()), 'R', WHEN, key)), facts).signedOff).toBe(true);
  });
});
