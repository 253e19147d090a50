import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeidError } from '../../core/errors';
import { sha256Hex } from '../../core/hash';
import { detectContainer } from '../../core/metadata/registry';
import { readableFindings, scanMetadata } from '../../core/metadata/scan';
import type { Finding, ImageFormat } from '../../core/metadata/types';
import { DEFAULT_LIMITS } from '../../core/limits';
import { checkRecordedRegions, formatMismatch, recordedRegions, stepLimitProblem, type RecordedRegionCheck } from '../../core/pixels/recorded-regions';
import type { Policy } from '../../core/policy/types';
import { signOffVerdict } from '../../core/signature/signed-off';
import { parseSidecar, SIDECAR_DUPLICATE_NAME } from '../../core/sidecar/schema';
import type { Sidecar } from '../../core/sidecar/types';
import { sidecarPathFor } from '../inputs';
import { readInputFile, type ReadScratch } from '../read-input';
import { decodePixels } from '../pixels-io';
import type { VerifyFileResult, VerifyTask } from './types';
import { withoutByteOrderMark } from '../../core/text';

/**
 * Verifies one file: metadata (walk + exifr), then, with a sidecar beside it, the binding. The
 * image is read through `scratch` when one is given (its bytes are not used after this returns).
 */
export async function verifyFile(task: VerifyTask, scratch?: ReadScratch): Promise<VerifyFileResult> {
  const { file } = task;
  let bytes: Uint8Array;
  try {
    // Sync read: see atomic.ts on why batches avoid the thread-pool hop.
    bytes = readInputFile(file.path, undefined, undefined, scratch);
  } catch (e) {
    return { path: file.path, format: null, clean: false, findings: [], error: `cannot read: ${errorText(e)}` };
  }
  const detected = detectContainer(bytes);
  if (!detected) {
    if (!file.explicit) return { path: file.path, format: null, clean: false, findings: [], skipped: true };
    return { path: file.path, format: null, clean: false, findings: [], error: 'not a JPEG, PNG, WebP, TIFF, HEIF or AVIF file' };
  }
  const format = detected.format;
  let findings: Finding[];
  try {
    findings = (await scanMetadata(bytes, { scanData: task.scanData === true, maxPixels: task.policy.maxPixels })).findings;
  } catch (e) {
    // Issue 8.4: a file the walk cannot follow may still carry GPS or names that a reader can
    // decode; report them next to the error (the file is never clean).
    return { path: file.path, format, clean: false, findings: await readableFindings(bytes), error: errorText(e) };
  }

  const sidecarPath = sidecarPathFor(file.path);
  let sidecarText: string | null = null;
  // Most images in a batch have no sidecar: a stat that answers "none" costs no thrown error.
  // Not through the scratch, which holds the image.
  if (fs.statSync(sidecarPath, { throwIfNoEntry: false }) !== undefined) {
    try {
      sidecarText = withoutByteOrderMark(Buffer.from(readInputFile(sidecarPath)).toString('utf8'));
    } catch {
      sidecarText = null;
    }
  }
  if (sidecarText === null) {
    if (task.requireSidecar) {
      findings.push({ kind: 'checklist-incomplete', where: path.basename(sidecarPath), detail: 'no sidecar beside the image' });
    }
    return { path: file.path, format, clean: findings.length === 0, findings };
  }

  const oversize = sidecarOverLimit(sidecarText, task.policy.maxSteps ?? DEFAULT_LIMITS.maxSteps);
  if (oversize) {
    findings.push({ kind: 'hash-mismatch', where: path.basename(sidecarPath), detail: oversize });
    return { path: file.path, format, clean: false, findings };
  }
  let sidecar: Sidecar;
  try {
    sidecar = parseSidecar(sidecarText);
  } catch (e) {
    // A sidecar that does not validate cannot vouch for this image: a finding (exit 1), as a
    // hash mismatch is. Its content is not quoted: it is the document under suspicion.
    findings.push(signatureRemoved(sidecarText)
      ? { kind: 'signature-invalid', where: path.basename(sidecarPath), detail: 'a signed sidecar (version 2) whose signature was removed, so its sign-off vouches for nothing' }
      : isDeidError(e) && e.message === SIDECAR_DUPLICATE_NAME
        ? { kind: 'hash-mismatch', where: path.basename(sidecarPath), detail: `${SIDECAR_DUPLICATE_NAME}; it binds nothing` }
        : { kind: 'hash-mismatch', where: path.basename(sidecarPath), detail: 'the sidecar is not valid JSON or does not follow the sidecar schema, so it binds nothing' });
    return { path: file.path, format, clean: false, findings };
  }
  const where = path.basename(sidecarPath);
  const scanned = [...findings];
  const binding = await checkAgainstSidecar(bytes, format, path.basename(file.path), sidecar, where, task.policy);
  // Loops, not push(...list): a sidecar can yield more findings than a call takes arguments.
  for (const f of binding.findings) findings.push(f);
  // Signed off as report and deid review judge it: over the automatic checks as re-verified here.
  const verdict = signOffVerdict(sidecar, { metadata: scanned, named: binding.named, regionsNotObscured: binding.regionsNotObscured }, task.trustedReviewers ? new Set(task.trustedReviewers) : undefined);
  for (const p of verdict.problems) findings.push({ kind: p.kind, where, detail: p.detail });
  return { path: file.path, format, clean: findings.length === 0, findings, signedOff: verdict.signedOff };
}

/** What the binding found, and the facts the sign-off verdict needs from it. */
interface Binding {
  findings: Finding[];
  /** The sidecar names this image file. */
  named: boolean;
  /** Recorded regions not obscured now; null when they could not be checked. */
  regionsNotObscured: number | null;
}

/**
 * The sidecar binding (DESIGN.md step 5): hash and size, and that every recorded region really
 * is obscured in the pixels as they are now. The checklist state is the sign-off verdict's.
 */
async function checkAgainstSidecar(
  bytes: Uint8Array,
  format: ImageFormat,
  fileName: string,
  sidecar: Sidecar,
  where: string,
  policy: Policy,
): Promise<Binding> {
  const findings: Finding[] = [];
  const hash = sha256Hex(bytes);
  if (hash !== sidecar.image.sha256 || bytes.length !== sidecar.image.bytes) {
    findings.push({ kind: 'hash-mismatch', where, detail: 'the image bytes differ from the SHA-256 recorded in the sidecar' });
  }
  const named = sidecar.image.fileName === fileName;
  if (!named) {
    findings.push({ kind: 'hash-mismatch', where, detail: 'the sidecar names a different image file' });
  }
  const otherFormat = formatMismatch(sidecar, format);
  if (otherFormat) findings.push({ kind: 'hash-mismatch', where, detail: otherFormat });
  const overLimit = stepLimitProblem(sidecar, policy);
  if (overLimit) {
    findings.push({ kind: 'not-obscured', where, detail: overLimit });
    return { findings, named, regionsNotObscured: null };
  }
  let regionsNotObscured = 0;
  if (recordedRegions(sidecar).length > 0) {
    let pixels;
    try {
      pixels = await decodePixels(bytes, { orient: false, maxPixels: policy.maxPixels });
    } catch (e) {
      findings.push({ kind: 'not-obscured', where, detail: `the image could not be decoded to check regions (${errorText(e)})` });
      return { findings, named, regionsNotObscured: null };
    }
    if (pixels.width !== sidecar.image.width || pixels.height !== sidecar.image.height) {
      findings.push({ kind: 'hash-mismatch', where, detail: 'image dimensions differ from the sidecar' });
    }
    const checks = checkRecordedRegions(pixels, sidecar, policy, format);
    const at = (c: RecordedRegionCheck, op: string) => `region ${c.number} (${op}) at ${c.step.region!.x},${c.step.region!.y} ${c.step.region!.w}x${c.step.region!.h}`;
    for (const c of checks) if (c.combined) findings.push({ kind: 'not-obscured', where: at(c, 'pixelate'), detail: c.combined });
    for (const c of checks) if (!c.obscured.ok) findings.push({ kind: 'not-obscured', where: at(c, c.step.op), detail: c.obscured.detail });
    regionsNotObscured = checks.filter((c) => !c.ok).length;
  }
  return { findings, named, regionsNotObscured };
}

/** A version 2 sidecar (only signing makes one) with no signature left: someone took it out. */
function signatureRemoved(text: string): boolean {
  try {
    const json = JSON.parse(text) as { schemaVersion?: unknown; signature?: unknown } | null;
    return typeof json === 'object' && json !== null && json.schemaVersion === 2 && json.signature === undefined;
  } catch {
    return false;
  }
}

/**
 * Issue 13.5: a sidecar with more steps or checklist items than the limit is refused before the
 * schema validator walks it (validation costs tens of microseconds per entry), as a finding
 * naming the limit. JSON.parse itself is iterative and linear, so any length parses.
 */
function sidecarOverLimit(text: string, maxSteps: number): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null; // parseSidecar reports it
  }
  if (typeof json !== 'object' || json === null) return null;
  const { steps, checklist } = json as { steps?: unknown; checklist?: { items?: unknown } };
  const count = Math.max(Array.isArray(steps) ? steps.length : 0, Array.isArray(checklist?.items) ? checklist.items.length : 0);
  return count > maxSteps
    ? `the sidecar lists ${count} steps or checklist items, more than the limit of ${maxSteps} (maxSteps in the policy file), so it was not checked and binds nothing`
    : null;
}

export function errorText(e: unknown): string {
  if (isDeidError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
