import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeidError } from '../../core/errors';
import { sha256Hex } from '../../core/hash';
import { detectContainer } from '../../core/metadata/registry';
import { scanMetadata } from '../../core/metadata/scan';
import type { Finding } from '../../core/metadata/types';
import { stepsInFinalCoordinates } from '../../core/pixels/apply';
import { checkRegionObscured, JPEG_TOLERANCE, LOSSLESS_TOLERANCE } from '../../core/pixels/verify-region';
import { combinedMosaicProblems, describeCombinedProblem } from '../../core/policy/combined';
import type { Policy } from '../../core/policy/types';
import { checklistProblems } from '../../core/sidecar/checklist';
import { signatureFindings } from '../../core/signature/sidecar-signature';
import { parseSidecar } from '../../core/sidecar/schema';
import type { Sidecar } from '../../core/sidecar/types';
import { sidecarPathFor } from '../inputs';
import { decodePixels } from '../pixels-io';
import type { VerifyFileResult, VerifyTask } from './types';

/** Verifies one file: metadata (walk + exifr), then, with a sidecar beside it, the binding. */
export async function verifyFile(task: VerifyTask): Promise<VerifyFileResult> {
  const { file } = task;
  let bytes: Uint8Array;
  try {
    // Sync read: see atomic.ts on why batches avoid the thread-pool hop.
    bytes = fs.readFileSync(file.path);
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
    findings = (await scanMetadata(bytes)).findings;
  } catch (e) {
    return { path: file.path, format, clean: false, findings: [], error: errorText(e) };
  }

  const sidecarPath = sidecarPathFor(file.path);
  let sidecarText: string | null = null;
  try {
    sidecarText = fs.readFileSync(sidecarPath, 'utf8');
  } catch {
    sidecarText = null;
  }
  if (sidecarText === null) {
    if (task.requireSidecar) {
      findings.push({ kind: 'checklist-incomplete', where: path.basename(sidecarPath), detail: 'no sidecar beside the image' });
    }
    return { path: file.path, format, clean: findings.length === 0, findings };
  }

  let sidecar: Sidecar;
  try {
    sidecar = parseSidecar(sidecarText);
  } catch {
    // A sidecar that does not validate cannot vouch for this image: a finding (exit 1), as a
    // hash mismatch is. Its content is not quoted: it is the document under suspicion.
    findings.push({ kind: 'hash-mismatch', where: path.basename(sidecarPath), detail: 'the sidecar is not valid JSON or does not follow the sidecar schema, so it binds nothing' });
    return { path: file.path, format, clean: false, findings };
  }
  findings.push(...(await checkAgainstSidecar(bytes, path.basename(file.path), sidecar, path.basename(sidecarPath), task.policy)));
  findings.push(...signatureFindings(sidecar, path.basename(sidecarPath), task.trustedReviewers ? new Set(task.trustedReviewers) : undefined));
  return { path: file.path, format, clean: findings.length === 0, findings };
}

/**
 * The sidecar binding (DESIGN.md step 5): hash and size, checklist state, and that every recorded
 * region really is obscured in the pixels as they are now.
 */
export async function checkAgainstSidecar(
  bytes: Uint8Array,
  fileName: string,
  sidecar: Sidecar,
  where: string,
  policy: Policy,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const hash = sha256Hex(bytes);
  if (hash !== sidecar.image.sha256 || bytes.length !== sidecar.image.bytes) {
    findings.push({ kind: 'hash-mismatch', where, detail: 'the image bytes differ from the SHA-256 recorded in the sidecar' });
  }
  if (sidecar.image.fileName !== fileName) {
    findings.push({ kind: 'hash-mismatch', where, detail: 'the sidecar names a different image file' });
  }
  for (const problem of checklistProblems(sidecar.checklist)) {
    findings.push({ kind: 'checklist-incomplete', where, detail: problem });
  }
  // Regions as they lie in the exported file, whichever order the steps were recorded in.
  const regionSteps = stepsInFinalCoordinates(sidecar.steps);
  if (regionSteps.length > 0) {
    let pixels;
    try {
      pixels = await decodePixels(bytes, { orient: false });
    } catch (e) {
      findings.push({ kind: 'not-obscured', where, detail: `the image could not be decoded to check regions (${errorText(e)})` });
      return findings;
    }
    if (pixels.width !== sidecar.image.width || pixels.height !== sidecar.image.height) {
      findings.push({ kind: 'hash-mismatch', where, detail: 'image dimensions differ from the sidecar' });
    }
    for (const problem of combinedMosaicProblems(policy, regionSteps)) {
      const r = regionSteps[problem.index].region!;
      findings.push({ kind: 'not-obscured', where: `region ${problem.index + 1} (pixelate) at ${r.x},${r.y} ${r.w}x${r.h}`, detail: describeCombinedProblem(problem) });
    }
    regionSteps.forEach((step, index) => {
      const result = checkRegionObscured(pixels, step, policy, sidecar.image.format === 'png' ? LOSSLESS_TOLERANCE : JPEG_TOLERANCE);
      if (!result.ok) {
        const r = step.region!;
        findings.push({ kind: 'not-obscured', where: `region ${index + 1} (${step.op}) at ${r.x},${r.y} ${r.w}x${r.h}`, detail: result.detail });
      }
    });
  }
  return findings;
}

export function errorText(e: unknown): string {
  if (isDeidError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
