import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { sha256Hex } from '../../src/core/hash';
import { buildSidecar } from '../../src/core/sidecar/build';
import { applyAutoChecks, defaultChecklist, setItemStatus, signOff, MANUAL_ITEMS } from '../../src/core/sidecar/checklist';
import { SIDECAR_SCHEMA, parseSidecar, serializeSidecar, validateRecipe, validateSidecar } from '../../src/core/sidecar/schema';
import type { Sidecar, Step } from '../../src/core/sidecar/types';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus/exif-samples');
const SCHEMA_FILE = path.resolve(__dirname, '../../schema/sidecar.schema.json');
const ID = 'DEID-7KQ2-M9XH-3TRA';
const NOW = new Date('2024-05-01T10:00:00.000Z');
const AT = '2024-05-01T09:58:00.000Z';

const STEPS: Step[] = [
  { op: 'pixelate', region: { x: 10, y: 20, w: 200, h: 120 }, regionKind: 'face', cellSize: 24, cellsAcross: 5, at: AT },
  { op: 'overlay', region: { x: 0, y: 300, w: 80, h: 20 }, regionKind: 'text', color: '#000000', at: AT },
  { op: 'flatten', at: AT },
  { op: 'export', at: AT },
  { op: 'strip', at: AT },
];

function sample(): Sidecar {
  return buildSidecar({
    alternateId: ID,
    toolVersion: '0.1.0',
    image: { format: 'jpeg', width: 640, height: 480, bytes: new TextEncoder().encode('not really a jpeg') },
    steps: STEPS,
    removed: ['exif', 'gps', 'exif'],
    now: NOW,
  });
}

function schemaError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeidError && e.code === 'schema') return e.message;
    throw e;
  }
  throw new Error('expected a schema error');
}

describe('buildSidecar', () => {
  it('hashes the exported bytes, names the file by the alternate id and starts an open checklist', () => {
    const bytes = new TextEncoder().encode('not really a jpeg');
    const s = sample();
    expect(s.image).toEqual({ fileName: `${ID}.jpg`, format: 'jpeg', width: 640, height: 480, bytes: bytes.length, sha256: sha256Hex(bytes) });
    expect(s.createdAt).toBe('2024-05-01T10:00:00.000Z');
    expect(s.metadata).toEqual({ removed: ['exif', 'gps'], remaining: [] });
    expect(s.checklist.signedOff).toBe(false);
    expect(s.checklist.items.every((i) => i.status === 'unchecked')).toBe(true);
    expect(s.tool.name).toBe('deid-photo');
  });

  it('records automatic checks when given, and names PNG exports .png', () => {
    const s = buildSidecar({
      alternateId: ID, toolVersion: '1', image: { format: 'png', width: 1, height: 1, bytes: new Uint8Array([1]) },
      steps: [], removed: [], now: NOW, autoChecks: { 'file-named': { ok: true }, flattened: { ok: false, note: '2 layers' } },
    });
    expect(s.image.fileName).toBe(`${ID}.png`);
    expect(s.checklist.items.find((i) => i.id === 'flattened')).toMatchObject({ status: 'issue', note: '2 layers' });
  });

  it('refuses an id that is not an alternate id', () => {
    expect(() => buildSidecar({ alternateId: 'patient-smith', toolVersion: '1', image: { format: 'png', width: 1, height: 1, bytes: new Uint8Array([1]) }, steps: [], removed: [] }))
      .toThrow(DeidError);
  });
});

describe('serializeSidecar / parseSidecar', () => {
  it('round-trips, with a stable key order, 2-space indent and a trailing newline', () => {
    const s = sample();
    const text = serializeSidecar(s);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "schemaVersion": 1,');
    expect(parseSidecar(text)).toEqual(s);
    const reversedKeys = Object.fromEntries(Object.entries(s).reverse()) as unknown as Sidecar;
    expect(serializeSidecar(reversedKeys)).toBe(text);
    expect(Object.keys(JSON.parse(text))).toEqual(['schemaVersion', 'alternateId', 'tool', 'createdAt', 'image', 'steps', 'metadata', 'checklist']);
  });

  it('refuses to write an invalid sidecar', () => {
    expect(() => serializeSidecar({ ...sample(), schemaVersion: 2 as 1 })).toThrow(DeidError);
  });

  it('reports malformed JSON as a schema error', () => {
    expect(schemaError(() => parseSidecar('{"schemaVersion": 1,'))).toMatch(/sidecar is not JSON/);
  });
});

describe('validateSidecar', () => {
  it('names each problem by its JSON pointer', () => {
    const bad = JSON.parse(JSON.stringify(sample()));
    bad.steps[1].op = 'blur';
    bad.image.sha256 = 'ABC';
    const message = schemaError(() => validateSidecar(bad));
    expect(message).toMatch(/\/steps\/1\/op/);
    expect(message).toMatch(/\/image\/sha256/);
  });

  it('refuses fields the format does not have, so nothing extra (an original name, a value) can ride along', () => {
    const withName = { ...sample(), originalFileName: 'smith_john.jpg' };
    expect(schemaError(() => validateSidecar(withName))).toMatch(/originalFileName/);
    const stepWithExtra = JSON.parse(JSON.stringify(sample()));
    stepWithExtra.steps[0].note = 'John Smith';
    expect(() => validateSidecar(stepWithExtra)).toThrow(DeidError);
  });

  it('requires what each step needs: a region, and kind and cell size for a mosaic', () => {
    const s = JSON.parse(JSON.stringify(sample()));
    delete s.steps[0].cellSize;
    expect(() => validateSidecar(s)).toThrow(DeidError);
    const t = JSON.parse(JSON.stringify(sample()));
    t.steps[2].region = { x: 0, y: 0, w: 1, h: 1 };
    expect(() => validateSidecar(t)).toThrow(DeidError);
  });

  it('checks what the schema cannot: file name, real dates, nothing remaining, unique items', () => {
    expect(schemaError(() => validateSidecar({ ...sample(), image: { ...sample().image, fileName: 'DEID-0000-0000-0000.jpg' } })))
      .toMatch(/\/image\/fileName: must be "DEID-7KQ2-M9XH-3TRA.jpg"/);
    expect(schemaError(() => validateSidecar({ ...sample(), createdAt: '2024-02-31T10:00:00Z' }))).toMatch(/\/createdAt/);
    expect(schemaError(() => validateSidecar({ ...sample(), createdAt: 'yesterday' }))).toMatch(/\/createdAt/);
    expect(schemaError(() => validateSidecar({ ...sample(), metadata: { removed: [], remaining: ['gps'] } })))
      .toMatch(/\/metadata\/remaining: must be empty/);
    const dup = sample();
    dup.checklist.items.push({ ...dup.checklist.items[0] });
    expect(schemaError(() => validateSidecar(dup))).toMatch(/appears twice/);
  });

  it('requires a reviewer and date on a signed-off checklist', () => {
    const s = sample();
    s.checklist = { ...s.checklist, signedOff: true };
    expect(() => validateSidecar(s)).toThrow(DeidError);
    let c = applyAutoChecks(defaultChecklist(), {
      'metadata-removed': { ok: true }, 'file-named': { ok: true }, flattened: { ok: true }, 'regions-meet-policy': { ok: true },
    });
    for (const item of MANUAL_ITEMS) c = setItemStatus(c, item.id, 'not-present');
    expect(validateSidecar({ ...sample(), checklist: signOff(c, 'R. Reviewer', '2024-05-02T08:00:00Z') }).checklist.signedOff).toBe(true);
  });
});

describe('validateRecipe', () => {
  it('accepts {steps} and a whole sidecar, returning only the steps', () => {
    expect(validateRecipe({ steps: STEPS })).toEqual({ steps: STEPS });
    expect(validateRecipe(sample())).toEqual({ steps: STEPS });
  });

  it('refuses a recipe without steps or with a malformed step', () => {
    expect(schemaError(() => validateRecipe({}))).toMatch(/steps/);
    expect(schemaError(() => validateRecipe({ steps: [{ op: 'overlay', at: AT }] }))).toMatch(/\/steps\/0/);
    expect(schemaError(() => validateRecipe({ steps: [{ op: 'crop', region: { x: 0, y: 0, w: -1, h: 2 }, at: AT }] }))).toMatch(/\/steps\/0\/region\/w/);
    expect(schemaError(() => validateRecipe({ steps: [{ op: 'flatten', at: '2024-13-01T00:00:00Z' }] }))).toMatch(/\/steps\/0\/at/);
  });
});

describe('the published schema', () => {
  it('is the file in schema/ (the core imports it, so they cannot drift) and declares draft 2020-12', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(SIDECAR_SCHEMA);
    expect(SIDECAR_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});

/** Tags that identify a person, place, device or moment (exiftool names). */
const IDENTIFYING_TAG = /GPS|Serial|Owner|Artist|Copyright|Make|Model|Description|Comment|Author|Creator|Date|UniqueID|Software|Name|Keywords|By-line|City|Location|Country|Directory/i;
const MIN_VALUE_LENGTH = 4;

function identifyingValues(file: string): string[] {
  const values = new Set<string>();
  for (const numeric of [false, true]) {
    const out = execFileSync('exiftool', ['-j', '-a', '-G', ...(numeric ? ['-n'] : []), file], { encoding: 'utf8' });
    const [tags] = JSON.parse(out) as Record<string, unknown>[];
    for (const [tag, value] of Object.entries(tags)) {
      if (tag === 'SourceFile' || tag.startsWith('ExifTool:') || !IDENTIFYING_TAG.test(tag)) continue;
      if (/^File:File(Modify|Access|InodeChange)Date$/.test(tag)) continue; // the checkout's times, not the photo's
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const text = String(value).trim();
      if (text.length >= MIN_VALUE_LENGTH) values.add(text);
    }
  }
  return [...values];
}

describe('the sidecar holds no metadata value, file name or path', () => {
  const files = [
    'jpg/gps/DSCN0010.jpg',
    'jpg/Panasonic_DMC-FZ30.jpg',
    'jpg/exif-org/canon-ixus.jpg',
    'jpg/Reconyx_HC500_Hyperfire.jpg',
    'jpg/long_description.jpg',
    'jpg/tests/87_OSError.jpg',
  ];

  it.each(files)('%s', async (rel) => {
    const file = path.join(CORPUS, rel);
    const values = identifyingValues(file);
    expect(values.length).toBeGreaterThan(5);
    // A stripped export: sharp re-encodes without metadata unless asked to keep it.
    const { data, info } = await sharp(file).jpeg({ quality: 90 }).toBuffer({ resolveWithObject: true });
    const s = buildSidecar({
      alternateId: ID, toolVersion: '0.1.0', now: NOW, steps: STEPS, removed: ['exif', 'gps', 'makernote', 'xmp'],
      image: { format: 'jpeg', width: info.width, height: info.height, bytes: new Uint8Array(data) },
    });
    const json = serializeSidecar(s);
    expect(values).toContain(path.basename(file));
    for (const value of values) {
      if (json.includes(value)) throw new Error(`sidecar contains the metadata value ${JSON.stringify(value)}`);
    }
    expect(json).not.toContain(path.basename(file, '.jpg'));
    expect(json).not.toContain(CORPUS);
  });
});
