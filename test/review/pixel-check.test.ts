import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DetectorRunner } from '../../src/core/detect/residual';
import type { Detection } from '../../src/core/detect/types';
import { indexFolder, type IndexedExport } from '../../src/cli/review/folder-index';
import { PixelChecker } from '../../src/cli/review/pixel-check';
import { applySample } from '../helpers/review';

/**
 * The review server's sharing rules for the detectors, with a stand-in detector that reports two
 * faces (one under the sample's recorded mosaic, one beside it) and counts what it is asked:
 * loaded once, one detection at a time, an unchanged export not checked twice. What the real
 * models find is review-pixels.test.ts's subject.
 */
const UNDER_MOSAIC: Detection = { kind: 'face', box: { x: 180, y: 110, w: 120, h: 150 }, score: 0.9 };
const BESIDE: Detection = { kind: 'face', box: { x: 420, y: 60, w: 100, h: 120 }, score: 0.8 };

let tmp: string;
let entries: IndexedExport[];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-pixel-check-'));
  await applySample(tmp);
  await applySample(tmp);
  entries = indexFolder(tmp).exports;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('detectors load once, run one at a time, and an unchanged export is answered from the first check', async () => {
  let loads = 0;
  let running = 0;
  let most = 0;
  let runs = 0;
  const checker = new PixelChecker(async () => {
    loads++;
    const runner: DetectorRunner = {
      detect: async () => {
        runs++;
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        return [UNDER_MOSAIC, BESIDE];
      },
    };
    return runner;
  });
  const answers = await Promise.all([entries[0]!, entries[1]!, entries[0]!, entries[1]!].map((e) => checker.check(e)));
  expect(loads).toBe(1);
  expect(most).toBe(1);
  expect(runs).toBe(2);
  for (const [i, a] of answers.entries()) {
    expect(a.id).toBe(entries[i % 2]!.id);
    expect(a.found).toEqual({ faces: 2, text: 0 });
    expect(a.uncovered).toEqual([{ kind: 'face', box: BESIDE.box, score: 0.8, covered: 0, detail: 'the face detector found a face (score 0.80), not under any obscured region' }]);
    expect(a.notes.faces).toBe('detector: 2 possible faces, 1 not under an obscured region');
  }
});

test('a failed load answers 503 with its message, every time, without loading again', async () => {
  let loads = 0;
  const checker = new PixelChecker(() => {
    loads++;
    return Promise.reject(new Error('detection is not available: the package retinaface is not installed'));
  });
  for (let i = 0; i < 2; i++) await expect(checker.check(entries[0]!)).rejects.toMatchObject({ status: 503, message: 'detection is not available: the package retinaface is not installed' });
  expect(loads).toBe(1);
});
