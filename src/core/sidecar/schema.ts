import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import sidecarSchemaJson from '../../../schema/sidecar.schema.json';
import { DeidError } from '../errors';
import { isAlternateId } from './alternate-id';
import { isIsoDateTime } from './dates';
import { hasDuplicateName } from './duplicate-names';
import { type Recipe, type Sidecar, type Step } from './types';
import { withoutByteOrderMark } from '../text';

/**
 * The published schema (schema/sidecar.schema.json), imported rather than copied so the core
 * and the file cannot drift. @cfworker/json-schema interprets it without generating code:
 * UXP forbids eval/new Function, which rules out ajv's compiled validators.
 */
export const SIDECAR_SCHEMA: Readonly<Schema> = sidecarSchemaJson as Schema;

const DRAFT = '2020-12';
/** Errors listed in a message; the rest are counted. */
const MAX_LISTED_ERRORS = 5;
/** Wrapper keywords whose errors only repeat a nested one. */
const WRAPPER_KEYWORDS = new Set(['properties', 'items', 'prefixItems', 'allOf', '$ref', 'if', 'then', 'else', 'additionalItems']);

/** The validator keeps annotations on the schema objects it is given, so it gets a copy. */
function freshSchema(): Schema {
  return JSON.parse(JSON.stringify(SIDECAR_SCHEMA)) as Schema;
}

const sidecarValidator = new Validator(freshSchema(), DRAFT, false);
const recipeValidator = (() => {
  const { $schema, $id, $defs } = freshSchema();
  return new Validator({ $schema, $id, $defs, $ref: '#/$defs/recipe' }, DRAFT, false);
})();

function toPointer(instanceLocation: string): string {
  const pointer = instanceLocation.replace(/^#/, '');
  return pointer === '' ? '(root)' : pointer;
}

function describeErrors(what: string, errors: OutputUnit[]): string {
  const specific = errors.filter((e) => !WRAPPER_KEYWORDS.has(e.keyword));
  const shown = (specific.length > 0 ? specific : errors).slice(0, MAX_LISTED_ERRORS);
  const lines = shown.map((e) => `  ${toPointer(e.instanceLocation)}: ${e.error}`);
  const more = specific.length - shown.length;
  return `${what} does not match the sidecar schema (v1 unsigned, v2 signed):\n${lines.join('\n')}${more > 0 ? `\n  ... and ${more} more` : ''}`;
}

const EXTENSION_OF_FORMAT: Record<Sidecar['image']['format'], string> = { jpeg: 'jpg', png: 'png' };

/** Checks beyond what JSON Schema can say; returns "pointer: problem" strings. */
function semanticProblems(s: Sidecar): string[] {
  const problems: string[] = [];
  if (!isAlternateId(s.alternateId)) problems.push('/alternateId: not a canonical alternate id');
  const expectedName = `${s.alternateId}.${EXTENSION_OF_FORMAT[s.image.format]}`;
  if (s.image.fileName !== expectedName) {
    problems.push(`/image/fileName: must be "${expectedName}" (the alternate id and the format's extension)`);
  }
  const dates: [string, string | undefined][] = [
    ['/createdAt', s.createdAt],
    ['/checklist/reviewedAt', s.checklist.reviewedAt],
    ...s.steps.map((step, i): [string, string] => [`/steps/${i}/at`, step.at]),
  ];
  for (const [pointer, value] of dates) {
    if (value !== undefined && !isIsoDateTime(value)) problems.push(`${pointer}: not a real ISO 8601 date and time`);
  }
  if (s.metadata.remaining.length > 0) {
    problems.push(`/metadata/remaining: must be empty: a sidecar is only written for a clean export (found ${s.metadata.remaining.join(', ')})`);
  }
  problems.push(...maskProblems(s.steps));
  const seen = new Set<string>();
  s.checklist.items.forEach((item, i) => {
    if (seen.has(item.id)) problems.push(`/checklist/items/${i}/id: "${item.id}" appears twice`);
    seen.add(item.id);
  });
  return problems;
}

/** A step's mask must describe exactly its region's pixels (pixels/mask-runs.ts). */
function maskProblems(steps: readonly Step[]): string[] {
  const problems: string[] = [];
  steps.forEach((step, i) => {
    if (!step.mask) return;
    if (!step.region) {
      problems.push(`/steps/${i}/mask: a mask needs a region`);
      return;
    }
    const covered = step.mask.reduce((a, b) => a + b, 0);
    if (covered !== step.region.w * step.region.h) {
      problems.push(`/steps/${i}/mask: runs cover ${covered} pixels, the region has ${step.region.w * step.region.h}`);
    }
  });
  return problems;
}

/**
 * Validates a parsed sidecar against the schema and the semantic rules (file name from the
 * alternate id, real dates, nothing left in `metadata.remaining`, unique checklist ids).
 * Throws DeidError('schema') listing the first few problems with their JSON pointers.
 */
export function validateSidecar(json: unknown): Sidecar {
  const result = sidecarValidator.validate(json);
  if (!result.valid) throw new DeidError('schema', describeErrors('sidecar', result.errors));
  const sidecar = json as Sidecar;
  const problems = semanticProblems(sidecar);
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_LISTED_ERRORS).map((p) => `  ${p}`);
    throw new DeidError('schema', `sidecar is not valid:\n${shown.join('\n')}`);
  }
  return sidecar;
}

/** Validates a recipe for `deid apply`: `{steps: [...]}`; a whole sidecar also passes. */
export function validateRecipe(json: unknown): Recipe {
  const result = recipeValidator.validate(json);
  if (!result.valid) throw new DeidError('schema', describeErrors('recipe', result.errors));
  const recipe = json as Recipe;
  const bad = recipe.steps.findIndex((step) => !isIsoDateTime(step.at));
  if (bad >= 0) throw new DeidError('schema', `recipe is not valid:\n  /steps/${bad}/at: not a real ISO 8601 date and time`);
  const masks = maskProblems(recipe.steps);
  if (masks.length > 0) throw new DeidError('schema', `recipe is not valid:\n  ${masks[0]}`);
  return { steps: recipe.steps };
}

/**
 * Key order for serialisation: the order DESIGN.md lists the fields in. Every object in a
 * sidecar uses a subset of these names, so one ranking orders them all; a stable order keeps
 * diffs of re-written sidecars readable.
 */
const KEY_ORDER = [
  'schemaVersion', 'alternateId', 'tool', 'name', 'version', 'createdAt',
  'image', 'fileName', 'format', 'width', 'height', 'bytes', 'sha256',
  'steps', 'op', 'region', 'x', 'y', 'w', 'h', 'regionKind', 'cellSize', 'cellsAcross', 'color', 'mask', 'at',
  'metadata', 'removed', 'remaining',
  'checklist', 'items', 'id', 'label', 'status', 'note', 'auto', 'issues', 'description', 'resolved',
  'reviewer', 'reviewedAt', 'signedOff',
  'signature', 'alg', 'publicKey', 'fingerprint', 'value',
];
const RANK = new Map(KEY_ORDER.map((k, i) => [k, i]));

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (RANK.get(a) ?? KEY_ORDER.length) - (RANK.get(b) ?? KEY_ORDER.length) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v)]));
}

/** Validates, then writes with a stable key order, 2-space indent and a trailing newline. */
export function serializeSidecar(s: Sidecar): string {
  const clean = ordered(s);
  validateSidecar(clean);
  return `${JSON.stringify(clean, null, 2)}\n`;
}

/** Why a sidecar that repeats a name inside one object is refused (no name quoted: it is under suspicion). */
export const SIDECAR_DUPLICATE_NAME = 'the sidecar repeats a name inside one object (RFC 7493 section 2.3 forbids it), so readers disagree on what it says';

/** Parses and validates sidecar text; malformed JSON is a DeidError('schema') too. */
export function parseSidecar(text: string): Sidecar {
  const body = withoutByteOrderMark(text);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // JSON.parse's message quotes the text it choked on: say only where nothing can leak.
    throw new DeidError('schema', 'sidecar is not JSON');
  }
  // JSON.parse kept the last of a repeated name; another reader may keep the first (duplicate-names.ts).
  if (hasDuplicateName(body)) throw new DeidError('schema', SIDECAR_DUPLICATE_NAME);
  return validateSidecar(json);
}
