import * as fs from 'node:fs';
import * as path from 'node:path';
import { SAMPLE_RECIPE } from './paths';

/**
 * The sample recipe with its text overlay in a grey of its own (25 levels apart: #000000 and
 * #000001 encode to the same JPEG bytes), written into `dir`. `deid apply` is deterministic, so
 * the sample applied twice with one recipe is one image under two alternate ids, which bag create
 * refuses (identical-exports.ts); tests that need several exports of the sample in one folder
 * give each its own recipe.
 */
export function distinctRecipe(dir: string, i: number): string {
  if (!Number.isInteger(i) || i < 0 || i > 10) throw new Error(`distinctRecipe: ${i} is not 0..10`);
  const level = (i * 25).toString(16).padStart(2, '0');
  const recipe = JSON.parse(fs.readFileSync(SAMPLE_RECIPE, 'utf8')) as { steps: { op: string; color?: string }[] };
  for (const step of recipe.steps) if (step.op === 'overlay') step.color = `#${level}${level}${level}`;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `recipe-${i}.json`);
  fs.writeFileSync(file, JSON.stringify(recipe));
  return file;
}
