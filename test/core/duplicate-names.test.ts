import { spawnSync } from 'node:child_process';
import { DeidError } from '../../src/core/errors';
import { buildSidecar } from '../../src/core/sidecar/build';
import { hasDuplicateName } from '../../src/core/sidecar/duplicate-names';
import { parseSidecar, serializeSidecar, SIDECAR_DUPLICATE_NAME } from '../../src/core/sidecar/schema';

/**
 * I-JSON (RFC 7493 §2.3): an object's member names must be unique. JSON.parse keeps the last of a
 * repeated name, Python's json (and others) can keep the first: a sidecar with one says one thing
 * to the signature check and another to the next reader, so parseSidecar refuses it.
 */
const AT = '2024-05-01T09:58:00.000Z';
const TEXT = serializeSidecar(
  buildSidecar({
    alternateId: 'DEID-7KQ2-M9XH-3TRA',
    toolVersion: '0.1.0',
    image: { format: 'jpeg', width: 640, height: 480, bytes: new TextEncoder().encode('not really a jpeg') },
    steps: [
      { op: 'pixelate', region: { x: 10, y: 20, w: 200, h: 120 }, regionKind: 'face', cellSize: 24, cellsAcross: 5, at: AT },
      { op: 'export', at: AT },
    ],
    removed: ['exif'],
    now: new Date('2024-05-01T10:00:00.000Z'),
  }),
);

function once(text: string, find: string, replace: string): string {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0) throw new Error(`"${find}" is not in the text exactly once`);
  return text.slice(0, at) + replace + text.slice(at + find.length);
}

function refusal(text: string): string {
  JSON.parse(text); // the text itself is valid JSON: only the repeated name is wrong
  try {
    parseSidecar(text);
  } catch (e) {
    if (e instanceof DeidError && e.code === 'schema') return e.message;
    throw e;
  }
  throw new Error('parseSidecar accepted it');
}

/** Python's json with a hook that sees every member in order: an independent duplicate check. */
function pythonSeesDuplicate(texts: string[]): boolean[] {
  const script = [
    'import json, sys',
    'def pairs(p):',
    '    names = [k for k, _ in p]',
    '    if len(names) != len(set(names)): raise ValueError("dup")',
    '    return dict(p)',
    'out = []',
    'for t in json.load(sys.stdin):',
    '    try: json.loads(t, object_pairs_hook=pairs); out.append(False)',
    '    except ValueError: out.append(True)',
    'print(json.dumps(out))',
  ].join('\n');
  const py = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  expect(py.status).toBe(0);
  return JSON.parse(py.stdout) as boolean[];
}

const validDate = '"createdAt": "2024-05-01T10:00:00.000Z",';

test('the sidecar as written parses (the same name in sibling objects is no repeat)', () => {
  expect(parseSidecar(TEXT).alternateId).toBe('DEID-7KQ2-M9XH-3TRA');
});

test('a repeated name at the top level is refused', () => {
  // JSON.parse keeps the later createdAt; a first-keeping reader sees 2024-01-01.
  const text = once(TEXT, validDate, `"createdAt": "2024-01-01T00:00:00.000Z",\n  ${validDate}`);
  expect(refusal(text)).toBe(SIDECAR_DUPLICATE_NAME);
});

test('a repeated name in a nested object is refused', () => {
  const text = once(TEXT, '"format": "jpeg",', '"format": "png",\n    "format": "jpeg",');
  expect(refusal(text)).toBe(SIDECAR_DUPLICATE_NAME);
});

test('a repeated name in an object inside an array is refused', () => {
  const text = once(TEXT, '"op": "export",', '"op": "export",\n      "op": "export",');
  expect(refusal(text)).toBe(SIDECAR_DUPLICATE_NAME);
});

test('names equal once their escapes are decoded are one name', () => {
  const text = once(TEXT, '"alternateId"', '"alternateId": "DEID-AAAA-AAAA-AAAA",\n  "\\u0061lternateId"');
  expect(JSON.parse(text).alternateId).toBe('DEID-7KQ2-M9XH-3TRA');
  expect(refusal(text)).toBe(SIDECAR_DUPLICATE_NAME);
});

test('agrees with Python json on names, escapes and strings that look like structure', () => {
  const texts = [
    '{"a":1,"a":2}',
    '{"a":1,"\\u0061":2}',
    '{"a\\"":1,"a\\\\":2}',
    '{"a\\\\":1,"a\\u005c":2}',
    '{"x":{"a":1},"a":2}',
    '[{"a":1},{"a":2}]',
    '[{"a":1,"b":[{"a":1}],"a":3}]',
    '{"s":"{\\"a\\":1,\\"a\\":2}","t":"}],{["}',
    '{"a":"x","b":{"c":[1,{"d":2,"e":{}}]},"c":[],"d":{"":1,"":2}}',
    '{"\\ud83d\\ude00":1,"😀":2}',
    '{"a":[],"b":[[[]]],"c":{}}',
    ' [ 1 , "a" , { "k" : null , "K" : true } ] ',
  ];
  expect(texts.map(hasDuplicateName)).toEqual(pythonSeesDuplicate(texts));
  expect(pythonSeesDuplicate(texts).filter(Boolean).length).toBeGreaterThanOrEqual(5);
});

test('a document nested 100,000 deep is checked without running out of stack', () => {
  const depth = 100_000;
  const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  expect(hasDuplicateName(deepArray)).toBe(false);
  expect(() => parseSidecar(deepArray)).toThrow(DeidError);
  const deepObject = `${'{"a":'.repeat(depth)}{"b":1,"b":2}${'}'.repeat(depth)}`;
  expect(hasDuplicateName(deepObject)).toBe(true);
  expect(refusal(deepObject)).toBe(SIDECAR_DUPLICATE_NAME);
  expect(hasDuplicateName(`${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`)).toBe(false);
});
