import { DeidError } from '../../src/core/errors';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { readRecipe } from '../../src/core/sidecar/recipe';

const face = { x: 10, y: 20, w: 200, h: 250 };

function refusal(json: unknown, policy = DEFAULT_POLICY): DeidError {
  try {
    readRecipe(json, policy);
  } catch (e) {
    expect(e).toBeInstanceOf(DeidError);
    return e as DeidError;
  }
  throw new Error('expected a refusal');
}

test('the hand-written mosaic of issue 8 (cellsAcross, no at) is read, with the cell size the policy implies', () => {
  const steps = readRecipe({ steps: [{ op: 'pixelate', region: face, regionKind: 'face', cellsAcross: 5 }] }, DEFAULT_POLICY);
  expect(steps).toEqual([{ op: 'pixelate', region: face, regionKind: 'face', cellSize: 40, cellsAcross: 5 }]);
});

test('cellSize alone gets its cellsAcross; both must agree', () => {
  expect(readRecipe({ steps: [{ op: 'pixelate', region: face, regionKind: 'mark', cellSize: 50 }] }, DEFAULT_POLICY)[0]).toMatchObject({ cellSize: 50, cellsAcross: 4 });
  const e = refusal({ steps: [{ op: 'pixelate', region: face, regionKind: 'face', cellSize: 50, cellsAcross: 5 }] });
  expect(e.code).toBe('schema');
  expect(e.message).toBe('recipe step 1 (pixelate): cellSize 50 px gives 4 cells across the 200x250 region, not the 5 given');
});

test('a mosaic finer than the policy is refused with the numbers that fix it', () => {
  const e = refusal({ steps: [{ op: 'overlay', region: face }, { op: 'pixelate', region: face, regionKind: 'face', cellsAcross: 20 }] });
  expect(e.code).toBe('policy');
  expect(e.message).toMatch(/^recipe step 2 \(pixelate\) refused: 20 cells across \(10 px cells\) is too fine for a 200x250 region: the policy allows at most 5 cells across \(cells of at least 40 px\)$/);
});

test.each([
  [{ op: 'pixelate', region: face, cellsAcross: 5 }, 'recipe step 1 (pixelate): a mosaic must say what the region shows: regionKind (face, text, mark, other)'],
  [{ op: 'pixelate', region: face, regionKind: 'face' }, 'recipe step 1 (pixelate): a mosaic needs cellsAcross (cells across the shorter side) or cellSize (pixels)'],
  [{ op: 'overlay', region: { ...face, w: 0 } }, 'recipe step 1 (overlay): region w and h must be whole pixels >= 1'],
  [{ op: 'overlay', region: face, colour: '#000000' }, 'recipe step 1 (overlay): field "colour" is not allowed here (allowed: op, region, regionKind, color, mask, at)'],
  [{ op: 'overlay', region: face, color: 'black' }, 'recipe step 1 (overlay): color must be written "#rrggbb"'],
  [{ op: 'blur', region: face }, 'recipe step 1: op must be one of pixelate, overlay, crop, flatten, export, strip, convert-to-srgb'],
  [{ op: 'crop', region: face, at: 'yesterday' }, 'recipe step 1 (crop): at must be an ISO 8601 date and time (or left out)'],
  [{ op: 'overlay', region: face, mask: [0, 5] }, 'recipe step 1 (overlay): mask runs cover 5 pixels, the 200x250 region has 50000'],
  ['overlay', 'recipe step 1: must be an object with an "op"'],
])('a clear message naming the step and field: %j', (step, message) => {
  expect(refusal({ steps: [step] }).message).toBe(message);
});

test('a whole sidecar (with at, export and strip steps) still works as a recipe', () => {
  const at = '2024-05-01T10:00:00.000Z';
  const steps = readRecipe({ schemaVersion: 1, steps: [{ op: 'convert-to-srgb', at }, { op: 'overlay', region: face, regionKind: 'text', color: '#112233', at }, { op: 'export', at }, { op: 'strip', at }] }, DEFAULT_POLICY);
  expect(steps.map((s) => s.op)).toEqual(['convert-to-srgb', 'overlay', 'export', 'strip']);
  expect(steps[1]).toEqual({ op: 'overlay', region: face, regionKind: 'text', color: '#112233', at });
});

test('steps beyond the limit are refused at once, naming the limit; 200,000 steps do not overflow anything', () => {
  const many = { steps: Array.from({ length: 200_000 }, () => ({ op: 'flatten' })) };
  expect(refusal(many).message).toBe('recipe: 200000 steps, more than the limit of 50000 (maxSteps in the policy file)');
  expect(readRecipe(many, { ...DEFAULT_POLICY, maxSteps: 200_000 }).length).toBe(200_000);
});
