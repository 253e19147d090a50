import { promises as fs } from 'node:fs';
import { describeBox } from '../core/detect/coverage';
import { draftRecipe } from '../core/detect/recipe';
import type { Detection } from '../core/detect/types';
import { isDeidError } from '../core/errors';
import { detectContainer } from '../core/metadata/registry';
import type { ObscureMethod } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';
import { DETECT_DEFAULTS, DETECT_THOROUGH, Detectors } from './detect/detector';
import { collectInputs } from './inputs';
import { EXIT_USAGE, type Io } from './io';
import { newFileProblem, writeNewFile } from './output-paths';
import { decodePixels } from './pixels-io';
import { errorText } from './tasks/verify-file';

export interface DetectOptions {
  json?: boolean;
  recipe?: string;
  margin?: number;
  faceMethod?: ObscureMethod;
  /** Scans for faces at a larger size, for the smallest faces (about 2.5x slower). */
  thorough?: boolean;
  policy: Policy;
}

export interface DetectFileResult {
  path: string;
  width?: number;
  height?: number;
  detections: Detection[];
  error?: string;
}

function formatHuman(files: readonly DetectFileResult[]): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.error) {
      lines.push(`ERROR     ${JSON.stringify(f.path)}: ${f.error}`);
      continue;
    }
    const faces = f.detections.filter((d) => d.kind === 'face').length;
    lines.push(`${JSON.stringify(f.path)} (${f.width}x${f.height}): ${faces} possible face(s), ${f.detections.length - faces} possible text region(s)`);
    for (const d of f.detections) {
      const turn = d.turn ? `, upright when turned ${d.turn} degrees` : '';
      lines.push(`  ${d.kind.padEnd(4)} ${describeBox(d.box)} score ${d.score.toFixed(2)}${turn}`);
    }
  }
  return lines.join('\n');
}

/**
 * `deid detect <image|dir>... [--json] [--recipe out.json]` (issue 11; DESIGN.md "assessment"):
 * candidate faces and text regions in each picture, in the coordinates `deid apply` uses (EXIF
 * orientation applied). With --recipe, a draft recipe for one picture: a person reviews it, then
 * runs `deid apply`. The draft goes to a new file: an existing one (the photo itself, a recipe
 * someone checked) is refused before anything is detected. Exit 0 nothing found, 1 candidates
 * found, 2 usage, unreadable input, or detectors not installed.
 */
export async function detectCommand(paths: string[], opts: DetectOptions, io: Io): Promise<number> {
  // Usage first: a wrong --recipe costs a message, not a model load and a scan.
  const recipeProblem = opts.recipe === undefined ? null : newFileProblem('--recipe', opts.recipe);
  if (recipeProblem) {
    io.err(`deid detect: ${recipeProblem}`);
    return EXIT_USAGE;
  }
  const { files, problems } = await collectInputs(paths);
  if (opts.recipe !== undefined && files.length + problems.length !== 1) {
    io.err(`deid detect: --recipe drafts the steps for ONE image; ${files.length + problems.length} were given`);
    return EXIT_USAGE;
  }
  let detectors: Detectors;
  try {
    detectors = await Detectors.load();
  } catch (e) {
    io.err(`deid detect: ${isDeidError(e) ? e.message : errorText(e)}`);
    return EXIT_USAGE;
  }
  const results: DetectFileResult[] = problems.map((p) => ({ path: p.path, detections: [], error: p.error }));
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file.path);
    } catch (e) {
      results.push({ path: file.path, detections: [], error: `cannot read: ${errorText(e)}` });
      continue;
    }
    if (!detectContainer(bytes)) {
      if (file.explicit) results.push({ path: file.path, detections: [], error: 'not a JPEG, PNG, WebP, TIFF, HEIF or AVIF file' });
      continue;
    }
    try {
      const pixels = await decodePixels(bytes);
      results.push({ path: file.path, width: pixels.width, height: pixels.height, detections: await detectors.detect(pixels, opts.thorough ? DETECT_THOROUGH : DETECT_DEFAULTS) });
    } catch (e) {
      results.push({ path: file.path, detections: [], error: errorText(e) });
    }
  }

  if (opts.recipe !== undefined) {
    const [only] = results;
    if (!only || only.error || only.width === undefined || only.height === undefined) {
      io.err(`deid detect: no recipe written: ${only?.error ?? 'no image'}`);
      return EXIT_USAGE;
    }
    const recipe = draftRecipe(only.detections, only.width, only.height, opts.policy, {
      margin: opts.margin,
      faceMethod: opts.faceMethod,
      at: new Date().toISOString(),
    });
    try {
      // Never over a file, even one that appeared since the check above.
      writeNewFile(opts.recipe, `${JSON.stringify(recipe, null, 2)}\n`);
    } catch (e) {
      io.err(`deid detect: no recipe written to ${JSON.stringify(opts.recipe)}: ${errorText(e)}`);
      return EXIT_USAGE;
    }
    io.err(`draft recipe with ${recipe.steps.length} step(s) written to ${JSON.stringify(opts.recipe)}: check every region (and what the detector missed) before \`deid apply\``);
  }

  const errors = results.filter((r) => r.error !== undefined).length;
  const candidates = results.reduce((n, r) => n + r.detections.length, 0);
  if (opts.json) {
    const summary = {
      files: results.length,
      faces: results.reduce((n, r) => n + r.detections.filter((d) => d.kind === 'face').length, 0),
      text: results.reduce((n, r) => n + r.detections.filter((d) => d.kind === 'text').length, 0),
      errors,
    };
    io.out(JSON.stringify({ files: results, summary }, null, 2));
  } else {
    io.out(formatHuman(results));
  }
  if (errors > 0) return EXIT_USAGE;
  return candidates > 0 ? 1 : 0;
}
