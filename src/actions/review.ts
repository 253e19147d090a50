import { DeidError } from '../core/errors';
import { sha256Hex } from '../core/hash';
import { detectContainer } from '../core/metadata/registry';
import { scanMetadata } from '../core/metadata/scan';
import type { Finding } from '../core/metadata/types';
import { formatMismatch, regionTolerance } from '../core/pixels/recorded-regions';
import type { Policy } from '../core/policy/types';
import { reverifiedAutoChecks } from '../core/sidecar/auto-checks';
import { applyAutoChecks, signOff } from '../core/sidecar/checklist';
import { parseSidecar, serializeSidecar, validateSidecar } from '../core/sidecar/schema';
import { SCHEMA_VERSION, type Checklist, type Sidecar } from '../core/sidecar/types';
import { signOffSidecar } from '../core/signature/sign-off';
import { SIDECAR_SUFFIX } from './finish';
import { utf8Decode, utf8Encode } from './text';
import type { Host, OutputFolder } from './host';
import { checkObscuredRegions, type RegionResult } from './verify-document';

export interface ReviewState {
  folder: OutputFolder;
  sidecarName: string;
  /** As read, with the automatic checklist items refreshed by the checks below. */
  sidecar: Sidecar;
  /** Everything the re-verification found; sign-off is refused while this is not empty. */
  findings: Finding[];
  regions: RegionResult[];
}

const EXTENSIONS = { jpeg: 'jpg', png: 'png' } as const;

/** The sidecars in a folder, for the reviewer to pick from. */
export async function listSidecars(host: Host, folder: OutputFolder): Promise<string[]> {
  return (await host.listFiles(folder)).filter((n) => n.endsWith(SIDECAR_SUFFIX)).sort();
}

/**
 * Opens a sidecar and its image and re-verifies them (hash, metadata, obscured regions) before
 * the checklist is shown. Throws DeidError('schema') for a sidecar that does not validate.
 */
export async function openReview(host: Host, folder: OutputFolder, sidecarName: string, policy: Policy): Promise<ReviewState> {
  const text = await host.readFile(folder, sidecarName);
  if (!text) throw new DeidError('usage', `${sidecarName} is not in ${folder.name} any more`);
  const sidecar = parseSidecar(utf8Decode(text));
  const expectedName = `${sidecar.alternateId}.${EXTENSIONS[sidecar.image.format]}`;
  const findings: Finding[] = [];
  if (sidecar.image.fileName !== expectedName) {
    // Also keeps a crafted fileName ("../x") from reaching the file system.
    findings.push({ kind: 'hash-mismatch', where: sidecarName, detail: `the sidecar names its image "${sidecar.image.fileName}", expected ${expectedName}` });
    return { folder, sidecarName, sidecar, findings, regions: [] };
  }
  const image = await host.readFile(folder, expectedName);
  if (!image) {
    findings.push({ kind: 'hash-mismatch', where: expectedName, detail: `the image ${expectedName} is not beside the sidecar` });
    return { folder, sidecarName, sidecar, findings, regions: [] };
  }
  if (sha256Hex(image) !== sidecar.image.sha256) {
    findings.push({ kind: 'hash-mismatch', where: expectedName, detail: 'the image is not the one the sidecar was written for (SHA-256 differs)' });
  }
  // The tolerance follows what the bytes are, never what the sidecar says (recorded-regions.ts).
  const stored = detectContainer(image)?.format ?? null;
  const otherFormat = formatMismatch(sidecar, stored);
  if (otherFormat) findings.push({ kind: 'hash-mismatch', where: expectedName, detail: otherFormat });
  const metadata = (await scanMetadata(image, { maxPixels: policy.maxPixels })).findings;
  findings.push(...metadata);
  const tolerance = regionTolerance(stored);
  // Sidecar steps are already in the exported picture's coordinates (core/sidecar/steps.ts).
  const obscuring = sidecar.steps.filter((s) => s.op === 'pixelate' || s.op === 'overlay');
  // Only the recorded regions are read from the image, one at a time (never the whole picture).
  const { regions, size } = await host.runStep('De-identify: review', () =>
    host.inspectImage(folder, expectedName, async (image) => ({
      size: { width: image.width, height: image.height },
      regions: await checkObscuredRegions(obscuring, image, policy, tolerance, (r) => image.readRegion(r)),
    })),
  );
  if (size.width !== sidecar.image.width || size.height !== sidecar.image.height) {
    findings.push({ kind: 'hash-mismatch', where: expectedName, detail: `the image is ${size.width}x${size.height}, the sidecar says ${sidecar.image.width}x${sidecar.image.height}` });
  }
  for (const r of regions) if (!r.ok) findings.push({ kind: 'not-obscured', where: expectedName, detail: r.detail });
  // The same statuses and notes deid review writes and every command expects of a sign-off (core/signature/signed-off.ts).
  const checklist = applyAutoChecks(sidecar.checklist, reverifiedAutoChecks({ metadata, named: true, regionsNotObscured: regions.filter((r) => !r.ok).length }));
  return { folder, sidecarName, sidecar: { ...sidecar, checklist }, findings, regions };
}

/**
 * The sign-off both tools share (core/signature/sign-off.ts): signed with the reviewer's key when
 * the host has one. Without a key, any earlier signature is dropped (it would no longer match)
 * and the sidecar goes back to the unsigned schema version.
 */
async function signedOffSidecar(host: Host, sidecar: Sidecar, checklist: Checklist, reviewer: string, dateIso: string): Promise<Sidecar> {
  if (host.reviewerKey) return signOffSidecar(sidecar, checklist, reviewer, dateIso, await host.reviewerKey());
  const { signature: _stale, ...unsigned } = sidecar;
  return validateSidecar({ ...unsigned, schemaVersion: SCHEMA_VERSION, checklist: signOff(checklist, reviewer, dateIso) });
}

/**
 * Signs the (edited) checklist off and writes the sidecar back in place, atomically. Refused
 * while re-verification found anything, or while the image no longer matches its hash.
 */
export async function signOffReview(host: Host, review: ReviewState, checklist: Checklist, reviewer: string, now: () => Date = () => new Date()): Promise<Sidecar> {
  if (review.findings.length > 0) {
    throw new DeidError('usage', `cannot sign off: ${review.findings.length} problem(s) were found when the image was checked (${review.findings[0].detail})`);
  }
  const image = await host.readFile(review.folder, review.sidecar.image.fileName);
  if (!image || sha256Hex(image) !== review.sidecar.image.sha256) {
    throw new DeidError('usage', 'cannot sign off: the image changed since it was checked; open it again');
  }
  const signed = await signedOffSidecar(host, review.sidecar, checklist, reviewer, now().toISOString());
  await host.writeFilesAtomically(review.folder, [{ name: review.sidecarName, bytes: utf8Encode(serializeSidecar(signed)) }]);
  return signed;
}
