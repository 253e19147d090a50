import fc from 'fast-check';
import sharp from 'sharp';
import { dropTextOnFaces, iou, padBox, suppress } from '../../src/core/detect/boxes';
import { coveredShare, residualFindings, uncoveredDetections } from '../../src/core/detect/coverage';
import { scoreImage } from '../../src/core/detect/evaluate';
import { detectorNotes, withDetectorNotes } from '../../src/core/detect/notes';
import { draftRecipe } from '../../src/core/detect/recipe';
import { QUARTER_TURNS, unturnBox, type Rgb } from '../../src/core/detect/rotate';
import { turnRgb } from '../helpers/turn';
import { textBoxesFromMap } from '../../src/core/detect/text-boxes';
import type { Detection } from '../../src/core/detect/types';
import { maskToRuns } from '../../src/core/pixels/mask-runs';
import { checkStep, DEFAULT_POLICY, loadPolicy, minimumCellSize } from '../../src/core/policy/policy';
import { defaultChecklist } from '../../src/core/sidecar/checklist';
import { validateRecipe } from '../../src/core/sidecar/schema';
import type { Step } from '../../src/core/sidecar/types';

const AT = '2026-11-30T12:00:00.000Z';

function noise(width: number, height: number, seed: number): Rgb {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height };
}

describe('quarter turns', () => {
  test.each(QUARTER_TURNS)('turnRgb(%i) matches sharp.rotate pixel for pixel', async (turn) => {
    const src = noise(7, 5, turn + 1);
    const { data, info } = await sharp(Buffer.from(src.data), { raw: { width: 7, height: 5, channels: 3 } })
      .rotate(turn)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const ours = turnRgb(src, turn);
    expect([ours.width, ours.height]).toEqual([info.width, info.height]);
    expect(Buffer.from(ours.data).equals(data)).toBe(true);
  });

  test('unturnBox maps a box found in the turned picture back onto the same pixels', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.constantFrom(...QUARTER_TURNS),
        fc.nat(), fc.nat(), fc.nat(), fc.nat(),
        (W, H, turn, a, b, c, d) => {
          // A box in the ORIGINAL, painted as 1s; turn the picture, find the 1s, map their box back.
          const x = a % W;
          const y = b % H;
          const w = 1 + (c % (W - x));
          const h = 1 + (d % (H - y));
          const img: Rgb = { data: new Uint8Array(W * H * 3), width: W, height: H };
          for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) img.data[(yy * W + xx) * 3] = 1;
          const t = turnRgb(img, turn);
          let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
          for (let v = 0; v < t.height; v++) for (let u = 0; u < t.width; u++) {
            if (t.data[(v * t.width + u) * 3] === 1) { x0 = Math.min(x0, u); y0 = Math.min(y0, v); x1 = Math.max(x1, u); y1 = Math.max(y1, v); }
          }
          expect(unturnBox({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, turn, W, H)).toEqual({ x, y, w, h });
        },
      ),
    );
  });
});

describe('boxes', () => {
  test('iou of identical boxes is 1, of disjoint boxes 0, of half-overlapping boxes 1/3', () => {
    const a = { x: 0, y: 0, w: 10, h: 10 };
    expect(iou(a, a)).toBe(1);
    expect(iou(a, { x: 10, y: 0, w: 10, h: 10 })).toBe(0);
    expect(iou(a, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(1 / 3);
  });

  test('suppress keeps the best box of a cluster per kind, and a face and text in the same place both', () => {
    const face = (x: number, score: number): Detection => ({ kind: 'face', box: { x, y: 0, w: 100, h: 100 }, score });
    const kept = suppress([face(0, 0.6), face(10, 0.9), face(300, 0.7), { kind: 'text', box: { x: 0, y: 0, w: 100, h: 100 }, score: 0.8 }]);
    expect(kept.map((d) => [d.kind, d.box.x])).toEqual([['face', 10], ['text', 0], ['face', 300]]);
  });

  test('a text blob over a detected face is dropped; text beside it, or a big sign around it, is kept', () => {
    const face: Detection = { kind: 'face', box: { x: 100, y: 100, w: 100, h: 120 }, score: 0.9 };
    const blob: Detection = { kind: 'text', box: { x: 80, y: 80, w: 150, h: 170 }, score: 1 };
    const beside: Detection = { kind: 'text', box: { x: 210, y: 100, w: 200, h: 30 }, score: 0.8 };
    const sign: Detection = { kind: 'text', box: { x: 0, y: 0, w: 800, h: 600 }, score: 0.8 };
    expect(dropTextOnFaces([face, blob, beside, sign])).toEqual([face, beside, sign]);
  });

  test('padBox grows by the margin on every side and stays inside the picture', () => {
    expect(padBox({ x: 100, y: 100, w: 40, h: 20 }, 0.25, 1000, 1000)).toEqual({ x: 90, y: 95, w: 60, h: 30 });
    expect(padBox({ x: 2, y: 3, w: 40, h: 20 }, 0.5, 50, 20)).toEqual({ x: 0, y: 0, w: 50, h: 20 });
  });
});

describe('coverage and the residual check', () => {
  const face: Detection = { kind: 'face', box: { x: 100, y: 100, w: 100, h: 100 }, score: 0.93 };
  const overlay = (x: number, y: number, w: number, h: number, mask?: number[]): Step => ({ op: 'overlay', region: { x, y, w, h }, regionKind: 'face', color: '#000000', at: AT, ...(mask ? { mask } : {}) });

  test('a face under an overlay is covered; half under it is not; overlapping regions are not counted twice', () => {
    expect(coveredShare(face.box, [overlay(80, 80, 140, 140)])).toBe(1);
    expect(coveredShare(face.box, [overlay(100, 100, 50, 100)])).toBe(0.5);
    expect(coveredShare(face.box, [overlay(100, 100, 50, 100), overlay(100, 100, 50, 100)])).toBe(0.5);
    expect(coveredShare(face.box, [overlay(100, 100, 50, 100), overlay(150, 100, 50, 100)])).toBe(1);
    expect(coveredShare(face.box, [{ op: 'crop', region: { x: 0, y: 0, w: 500, h: 500 }, at: AT }])).toBe(0);
  });

  test('a masked region covers only its selected pixels', () => {
    const region = { x: 100, y: 100, w: 100, h: 100 };
    const data = new Uint8Array(100 * 100);
    for (let y = 0; y < 100; y++) for (let x = 0; x < 25; x++) data[y * 100 + x] = 255;
    const runs = maskToRuns({ bounds: region, data }, region);
    expect(coveredShare(face.box, [overlay(100, 100, 100, 100, runs)])).toBe(0.25);
  });

  test('only uncovered detections become possible-face / possible-text findings, with their box', () => {
    const text: Detection = { kind: 'text', box: { x: 400, y: 50, w: 120, h: 20 }, score: 0.8 };
    const open = uncoveredDetections([face, text], [overlay(380, 40, 160, 40)]);
    const findings = residualFindings(open, 'pixels');
    expect(findings).toEqual([{ kind: 'possible-face', where: 'pixels box 100,100 100x100', detail: expect.stringContaining('not under any obscured region') }]);
    expect(residualFindings(uncoveredDetections([face, text], [overlay(100, 100, 100, 100), overlay(400, 50, 120, 20)]), 'pixels')).toEqual([]);
  });

  test('the checklist notes say what was found and leave the status and the reviewer\'s own note alone', () => {
    const notes = detectorNotes([face, face], [face]);
    expect(notes.faces).toBe('detector: 2 possible faces, 1 not under an obscured region');
    expect(notes.text).toMatch(/^detector: no text found/);
    const base = defaultChecklist();
    const mine = { ...base, items: base.items.map((i) => (i.id === 'faces' ? { ...i, status: 'ok' as const, note: 'reflection checked' } : i)) };
    const noted = withDetectorNotes(withDetectorNotes(mine, detectorNotes([], [])), notes);
    const faces = noted.items.find((i) => i.id === 'faces')!;
    expect(faces.status).toBe('ok');
    expect(faces.note).toBe('reflection checked\ndetector: 2 possible faces, 1 not under an obscured region');
    expect(noted.signedOff).toBe(false);
  });
});

describe('draft recipe', () => {
  const found: Detection[] = [
    { kind: 'face', box: { x: 100, y: 80, w: 120, h: 150 }, score: 0.9 },
    { kind: 'text', box: { x: 10, y: 400, w: 200, h: 24 }, score: 0.7 },
  ];

  test('faces get the policy default (overlay), text an overlay, each padded; the recipe validates and passes the policy', () => {
    const recipe = draftRecipe(found, 640, 480, DEFAULT_POLICY, { at: AT });
    expect(recipe.steps).toEqual([
      { op: 'overlay', region: { x: 70, y: 42, w: 180, h: 226 }, regionKind: 'face', color: '#000000', at: AT },
      { op: 'overlay', region: { x: 0, y: 396, w: 240, h: 32 }, regionKind: 'text', color: '#000000', at: AT },
    ]);
    expect(validateRecipe(JSON.parse(JSON.stringify(recipe)))).toEqual(recipe);
    for (const s of recipe.steps) expect(() => checkStep(DEFAULT_POLICY, s)).not.toThrow();
  });

  test('a mosaic on faces uses the policy\'s enforced cell size; text never gets one', () => {
    const strict = loadPolicy({ maxCellsAcross: 4, minCellSize: 12 });
    const recipe = draftRecipe(found, 640, 480, strict, { at: AT, faceMethod: 'pixelate', margin: 0 });
    const [faceStep, textStep] = recipe.steps;
    expect(faceStep).toMatchObject({ op: 'pixelate', region: found[0]!.box, cellSize: minimumCellSize(strict, found[0]!.box), cellsAcross: 4 });
    expect(textStep).toMatchObject({ op: 'overlay', regionKind: 'text' });
    for (const s of recipe.steps) expect(() => checkStep(strict, s)).not.toThrow();
    // A policy without mosaic for faces gets an overlay whatever was asked.
    const noMosaic = loadPolicy({ mosaicKinds: ['mark'] });
    expect(draftRecipe(found, 640, 480, noMosaic, { at: AT, faceMethod: 'pixelate' }).steps[0]!.op).toBe('overlay');
  });
});

describe('DB text map post-processing', () => {
  test('two text blobs become two boxes grown by the unclip offset; faint and thin blobs are dropped', () => {
    const W = 60, H = 30;
    const map = new Float32Array(W * H);
    const fill = (x0: number, y0: number, w: number, h: number, v: number) => {
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) map[y * W + x] = v;
    };
    fill(5, 5, 20, 4, 0.9); // a text line
    fill(35, 20, 10, 6, 0.8); // another
    fill(35, 2, 10, 6, 0.4); // above threshold 0.3 but below the box threshold 0.6
    fill(2, 20, 20, 2, 0.95); // two map pixels thin
    const boxes = textBoxesFromMap(map, W, H);
    expect(boxes).toHaveLength(2);
    const d1 = (80 * 1.5) / (2 * 24);
    expect(boxes[0]!.box.x).toBeCloseTo(5 - d1);
    expect(boxes[0]!.box.w).toBeCloseTo(20 + 2 * d1);
    expect(boxes[0]!.score).toBeCloseTo(0.9);
    expect(boxes[1]!.box.y).toBeCloseTo(20 - (60 * 1.5) / 32);
  });
});

describe('evaluation scoring', () => {
  test('a face counts once found; a text line split into words counts as found', () => {
    const labels = [
      { kind: 'face' as const, box: { x: 0, y: 0, w: 100, h: 100 } },
      { kind: 'text' as const, box: { x: 200, y: 0, w: 200, h: 20 } },
    ];
    const found: Detection[] = [
      { kind: 'face', box: { x: 10, y: 5, w: 95, h: 100 }, score: 0.9 },
      { kind: 'face', box: { x: 500, y: 500, w: 50, h: 50 }, score: 0.6 },
      { kind: 'text', box: { x: 198, y: 0, w: 90, h: 20 }, score: 0.7 },
      { kind: 'text', box: { x: 300, y: 0, w: 100, h: 22 }, score: 0.7 },
    ];
    expect(scoreImage(found, labels, 'face')).toEqual({ labels: 1, found: 1, detections: 2, correct: 1 });
    expect(scoreImage(found, labels, 'text')).toEqual({ labels: 1, found: 1, detections: 2, correct: 2 });
  });

  test('a line at 45 degrees is found by word boxes along it, though they cover little of its bounding box', () => {
    // The line runs from (0, 0) to (200, 200), 20 px thick: its bounding box is 214 x 214.
    const quad = [[7, -7], [207, 193], [193, 207], [-7, 7]] as const;
    const label = { kind: 'text' as const, box: { x: -7, y: -7, w: 214, h: 214 }, quad };
    const words: Detection[] = [0, 50, 100, 150].map((o) => ({ kind: 'text', box: { x: o - 8, y: o - 8, w: 66, h: 66 }, score: 0.9 }));
    expect(scoreImage(words, [label], 'text').found).toBe(1);
    expect(scoreImage(words.slice(0, 2), [label], 'text').found).toBe(0);
  });
});
