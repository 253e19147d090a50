import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { describeBox } from '../core/detect/coverage';
import { draftRecipe } from '../core/detect/recipe';
import type { Detection } from '../core/detect/types';
import { isDeidError } from '../core/errors';
import { detectContainer } from '../core/metadata/registry';
import type { ObscureMethod } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';
import { DETECT_DEFAULTS, DETECT_THOROUGH, Detectors } from './detect/detector';
import { escapeText } from './escape';
import { expandInputs, type InputFile } from './inputs';
import { EXIT_USAGE, type Io } from './io';
import { newFileProblem, writeNewFile } from './output-paths';
import { decodePixels } from './pixels-io';
import { readHead } from './read-input';
import { errorText } from './tasks/verify-file';
import { describeUnrecognised, type SkipKind } from './what-is';

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
  /** A file under a folder argument that was not looked at, and why (as verify lists them). */
  skipped?: SkipKind;
  reason?: string;
}

const NOT_AN_IMAGE = 'not a JPEG, PNG, WebP, TIFF, HEIF or AVIF file';

/** Enough of a file to know its container (an ISO-BMFF ftyp box lists every compatible brand). */
const HEAD_BYTES = 4096;

/** One argument's expansion, sorted out before the detectors load: what will be looked at and what will not. */
type DetectEntry =
  | { kind: 'image'; path: string }
  | { kind: 'skip'; path: string; skip: SkipKind; reason: string }
  | { kind: 'problem'; path: string; error: string };

/**
 * Every file the arguments name, in order, told apart by content as verify does: an image, a
 * file under a folder that is skipped with its reason, or a problem (an argument that cannot be
 * read, a file named on the command line that is not an image).
 */
async function sortInputs(paths: readonly string[]): Promise<DetectEntry[]> {
  const entries: DetectEntry[] = [];
  for await (const e of expandInputs(paths)) {
    if (e.kind === 'problem') entries.push({ kind: 'problem', path: e.path, error: e.error });
    else if (e.kind === 'skip') entries.push({ kind: 'skip', path: e.path, skip: e.skip, reason: e.reason });
    else entries.push(sortFile(e.file));
  }
  return entries;
}

function sortFile(file: InputFile): DetectEntry {
  let head: Uint8Array;
  try {
    head = readHead(file.path, HEAD_BYTES);
  } catch (e) {
    return { kind: 'problem', path: file.path, error: `cannot read: ${errorText(e)}` };
  }
  if (detectContainer(head)) return { kind: 'image', path: file.path };
  if (file.explicit) return { kind: 'problem', path: file.path, error: NOT_AN_IMAGE };
  const { kind, reason } = describeUnrecognised(basename(file.path), head);
  // verify checks a sidecar with its image; detect reads only pixels.
  return { kind: 'skip', path: file.path, skip: kind, reason: kind === 'sidecar' ? 'deid sidecar, not an image' : reason };
}

/**
 * --recipe drafts one image's steps, so the arguments must come to exactly one image. Files
 * skipped under a folder do not count; inputs that cannot be read do, since each may have been
 * meant as the image.
 */
function recipeCountProblem(entries: readonly DetectEntry[]): string | null {
  const images = entries.filter((e) => e.kind === 'image').length;
  const problems = entries.filter((e): e is Extract<DetectEntry, { kind: 'problem' }> => e.kind === 'problem');
  const unreadable = problems.length;
  if (images === 1 && unreadable === 0) return null;
  if (images === 0 && unreadable === 1) return `no recipe written: ${JSON.stringify(problems[0]!.path)}: ${problems[0]!.error}`;
  const skipped = entries.length - images - unreadable;
  let found = `${images} image${images === 1 ? '' : 's'}`;
  if (unreadable > 0) found += ` and ${unreadable} input${unreadable === 1 ? ' that is' : 's that are'} not a readable image`;
  if (skipped > 0) found += ` (${skipped} other file${skipped === 1 ? '' : 's'} skipped)`;
  return `--recipe drafts the steps for ONE image; the arguments hold ${found}`;
}

/** One file's lines, printed as soon as it is done (a folder of photos takes seconds each). */
function humanLines(f: DetectFileResult): string[] {
  // As verify: sidecars are counted at the end, not listed one by one.
  if (f.skipped === 'sidecar') return [];
  if (f.skipped) return [`skipped   ${JSON.stringify(f.path)}: ${escapeText(f.reason ?? 'not an image')}`];
  if (f.error) return [`ERROR     ${JSON.stringify(f.path)}: ${f.error}`];
  const faces = f.detections.filter((d) => d.kind === 'face').length;
  const lines = [`${JSON.stringify(f.path)} (${f.width}x${f.height}): ${faces} possible face(s), ${f.detections.length - faces} possible text region(s)`];
  for (const d of f.detections) {
    const turn = d.turn ? `, upright when turned ${d.turn} degrees` : '';
    lines.push(`  ${d.kind.padEnd(4)} ${describeBox(d.box)} score ${d.score.toFixed(2)}${turn}`);
  }
  return lines;
}

/** Faces and text in one image, or why it could not be looked at. */
async function detectFile(file: string, detectors: Detectors, thorough: boolean): Promise<DetectFileResult> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    return { path: file, detections: [], error: `cannot read: ${errorText(e)}` };
  }
  if (!detectContainer(bytes)) return { path: file, detections: [], error: NOT_AN_IMAGE };
  try {
    const pixels = await decodePixels(bytes);
    return { path: file, width: pixels.width, height: pixels.height, detections: await detectors.detect(pixels, thorough ? DETECT_THOROUGH : DETECT_DEFAULTS) };
  } catch (e) {
    return { path: file, detections: [], error: errorText(e) };
  }
}

/**
 * Writes the draft for the one image. Never over an existing file: the path was checked before
 * detection, and writeNewFile refuses one that appeared since (a photo, a recipe someone checked).
 */
function writeDraft(only: DetectFileResult | undefined, opts: DetectOptions & { recipe: string }, io: Io): boolean {
  if (!only || only.error || only.width === undefined || only.height === undefined) {
    io.err(`deid detect: no recipe written: ${only?.error ?? 'no image'}`);
    return false;
  }
  const recipe = draftRecipe(only.detections, only.width, only.height, opts.policy, {
    margin: opts.margin,
    faceMethod: opts.faceMethod,
    at: new Date().toISOString(),
  });
  try {
    writeNewFile(opts.recipe, `${JSON.stringify(recipe, null, 2)}\n`);
  } catch (e) {
    io.err(`deid detect: no recipe written to ${JSON.stringify(opts.recipe)}: ${errorText(e)}`);
    return false;
  }
  io.err(`draft recipe with ${recipe.steps.length} step(s) written to ${JSON.stringify(opts.recipe)}: check every region (and what the detector missed) before \`deid apply\``);
  return true;
}

/**
 * `deid detect <image|dir>... [--json] [--recipe out.json]` (issue 11; DESIGN.md "assessment"):
 * candidate faces and text regions in each picture, in the coordinates `deid apply` uses (EXIF
 * orientation applied). Files under a folder that are not images are listed as skipped, with the
 * reason, as verify lists them. With --recipe, a draft recipe for one picture, to a new file:
 * a person reviews it, then runs `deid apply`. Exit 0 nothing found, 1 candidates found, 2 usage,
 * unreadable input, or detectors not installed.
 */
export async function detectCommand(paths: string[], opts: DetectOptions, io: Io): Promise<number> {
  // Usage first: a wrong --recipe costs a message, not a model load and a scan.
  const recipeProblem = opts.recipe === undefined ? null : newFileProblem('--recipe', opts.recipe);
  if (recipeProblem) {
    io.err(`deid detect: ${recipeProblem}`);
    return EXIT_USAGE;
  }
  const entries = await sortInputs(paths);
  const countProblem = opts.recipe === undefined ? null : recipeCountProblem(entries);
  if (countProblem) {
    io.err(`deid detect: ${countProblem}`);
    return EXIT_USAGE;
  }
  let detectors: Detectors;
  try {
    detectors = await Detectors.load();
  } catch (e) {
    io.err(`deid detect: ${isDeidError(e) ? e.message : errorText(e)}`);
    return EXIT_USAGE;
  }
  const results: DetectFileResult[] = [];
  for (const e of entries) {
    let result: DetectFileResult;
    if (e.kind === 'image') result = await detectFile(e.path, detectors, Boolean(opts.thorough));
    else if (e.kind === 'skip') result = { path: e.path, detections: [], skipped: e.skip, reason: e.reason };
    else result = { path: e.path, detections: [], error: e.error };
    results.push(result);
    // --json is one object at the end; lines go out as each file is done.
    const lines = opts.json ? [] : humanLines(result);
    if (lines.length > 0) io.out(lines.join('\n'));
  }

  if (opts.recipe !== undefined && !writeDraft(results.find((r) => !r.skipped), { ...opts, recipe: opts.recipe }, io)) return EXIT_USAGE;

  const summary = summarize(results);
  if (opts.json) io.out(JSON.stringify({ files: results, summary }, null, 2));
  else {
    // A summary as verify and strip end with: an exit 2 after a long folder otherwise came with
    // no word of why, its ERROR lines scrolled away among the detections.
    io.out(`${summary.files} files: ${summary.faces} possible face(s), ${summary.text} possible text region(s), ${summary.errors} error(s)${summary.skipped > 0 ? `, ${summary.skipped} skipped` : ''}`);
    if (summary.sidecars > 0) io.out(`(+${summary.sidecars} sidecar${summary.sidecars === 1 ? '' : 's'}, not images)`);
    if (summary.errors > 0) io.err(`deid detect: exit 2: ${summary.errors === 1 ? '1 file was' : `${summary.errors} files were`} not looked at (listed as ERROR, with the reason); the others' detections are above`);
  }
  // Skipped files leave the exit code alone: they were never candidates for detection.
  if (summary.errors > 0) return EXIT_USAGE;
  return summary.faces + summary.text > 0 ? 1 : 0;
}

/** The --json summary: `files` are the inputs looked at (images and problems), skips beside them. */
export interface DetectSummary {
  files: number;
  faces: number;
  text: number;
  errors: number;
  skipped: number;
  sidecars: number;
}

function summarize(results: readonly DetectFileResult[]): DetectSummary {
  const looked = results.filter((r) => !r.skipped);
  const count = (kind: Detection['kind']) => looked.reduce((n, r) => n + r.detections.filter((d) => d.kind === kind).length, 0);
  return {
    files: looked.length,
    faces: count('face'),
    text: count('text'),
    errors: looked.filter((r) => r.error !== undefined).length,
    skipped: results.filter((r) => r.skipped && r.skipped !== 'sidecar').length,
    sidecars: results.filter((r) => r.skipped === 'sidecar').length,
  };
}
