import sharp from 'sharp';
import { scanStructure, stripMetadata } from '../../src/core/metadata/scan';
import { noiseRgb } from '../helpers/plant';

/**
 * The last rule of the JPEG, PNG and WebP walks: a file with no finding must be exactly what
 * strip writes, so a rule that changes bytes without saying why still fails the file. No real
 * input reaches it (every rule names what it changes), so each format's ICC judge is made to
 * forget that: it drops a clean profile and reports nothing. The walk must then say the file is
 * not in the form strip writes, and strip must still write a file that walks clean. PNG's walk
 * changes a chunk's action only together with a finding, so there the judge cannot do this.
 */
let mockSabotage = false;

jest.mock('../../src/core/metadata/jpeg-icc', () => {
  const real = jest.requireActual('../../src/core/metadata/jpeg-icc');
  return {
    ...real,
    planJpegIcc: (...args: unknown[]) => {
      const plan = real.planJpegIcc(...args) as Map<number, { action: string; findings: unknown[] }>;
      if (mockSabotage) for (const v of plan.values()) if (v.action === 'keep' && v.findings.length === 0) v.action = 'drop';
      return plan;
    },
  };
});
jest.mock('../../src/core/metadata/png-icc', () => {
  const real = jest.requireActual('../../src/core/metadata/png-icc');
  return {
    ...real,
    judgeIccp: (...args: unknown[]) => {
      const verdict = real.judgeIccp(...args);
      return mockSabotage && verdict.findings.length === 0 ? { ...verdict, replacement: null } : verdict;
    },
  };
});
jest.mock('../../src/core/metadata/webp-icc', () => {
  const real = jest.requireActual('../../src/core/metadata/webp-icc');
  return {
    ...real,
    judgeWebpIccp: (...args: unknown[]) => {
      const verdict = real.judgeWebpIccp(...args);
      return mockSabotage && verdict.findings.length === 0 ? { ...verdict, profile: null } : verdict;
    },
  };
});

afterEach(() => {
  mockSabotage = false;
});

const ICC_PART = /^(APP2 ICC|iCCP|ICCP)$/;

/** A file of `format` that walks clean and keeps an ICC profile: sharp's, made clean by strip. */
async function cleanWithProfile(format: 'jpeg' | 'png' | 'webp'): Promise<Uint8Array> {
  const image = sharp(noiseRgb(32, 24), { raw: { width: 32, height: 24, channels: 3 } }).withIccProfile('p3');
  const encoded = format === 'jpeg' ? image.jpeg() : format === 'png' ? image.png() : image.webp({ lossless: true });
  return stripMetadata(new Uint8Array(await encoded.toBuffer())).bytes;
}

test.each(['jpeg', 'webp'] as const)('%s: a rule that drops a clean profile without a finding is caught by the last rule', async (format) => {
  const bytes = await cleanWithProfile(format);
  const honest = scanStructure(bytes);
  expect(honest.findings).toEqual([]);
  expect(honest.parts.filter((p) => ICC_PART.test(p.name))).toHaveLength(1);

  mockSabotage = true;
  const report = scanStructure(bytes);
  expect(report.findings).toEqual([{ kind: 'unknown-segment', where: 'file', detail: 'not in the canonical form strip writes' }]);
  // Strip writes the file without the profile; that file is then what strip writes: clean.
  const stripped = stripMetadata(bytes).bytes;
  expect(stripped.length).toBeLessThan(bytes.length);
  expect(scanStructure(stripped).findings).toEqual([]);
  expect(scanStructure(stripped).parts.filter((p) => ICC_PART.test(p.name))).toHaveLength(0);
});

test('png: a judge that drops a clean profile without a finding changes nothing (png.ts acts on findings only)', async () => {
  const bytes = await cleanWithProfile('png');
  expect(scanStructure(bytes).findings).toEqual([]);
  mockSabotage = true;
  expect(scanStructure(bytes).findings).toEqual([]);
  expect(Buffer.from(stripMetadata(bytes).bytes).equals(Buffer.from(bytes))).toBe(true);
});
