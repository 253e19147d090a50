import { isDeidError } from '../../core/errors';
import { sha256Hex } from '../../core/hash';
import { detectContainer } from '../../core/metadata/registry';
import { scanMetadata } from '../../core/metadata/scan';
import type { Finding, ImageFormat } from '../../core/metadata/types';
import { checkRecordedRegions, formatMismatch, recordedRegions, stepLimitProblem } from '../../core/pixels/recorded-regions';
import type { Policy } from '../../core/policy/types';
import type { SignatureStatus } from '../../core/signature/sidecar-signature';
import { signOffVerdict } from '../../core/signature/signed-off';
import { itemDefinitionProblems } from '../../core/sidecar/checklist';
import { parseSidecar } from '../../core/sidecar/schema';
import type { Checklist, Sidecar } from '../../core/sidecar/types';
import { decodePixels } from '../pixels-io';
import type { RegionView } from '../../review/api-types';
import { readRegularFile, type IndexedExport } from './folder-index';

/** Sidecars are a few kilobytes; images are capped so a stray huge file cannot exhaust memory. */
export const MAX_SIDECAR_BYTES = 4 * 1024 * 1024;
export const MAX_IMAGE_BYTES = 512 * 1024 * 1024;

/** One region's check, as the page shows it (the page's own type: one shape on both sides). */
export type RegionReport = RegionView;

/** What the page and the report show for one export, re-checked now. */
export interface ExportReport {
  id: string;
  /**
   * The sidecar text and the image bytes as read, as one SHA-256 (revisionOf): the lost-update
   * check compares it before writing, and the image route serves only bytes of this revision.
   */
  revision: string;
  sidecar: Sidecar | null;
  /** Set when the sidecar cannot be read or does not validate. */
  error?: string;
  hash: { ok: boolean; detail: string };
  metadata: Finding[];
  regions: RegionReport[];
  /** Every re-verification problem (hash, metadata, regions): sign-off is refused while any. */
  problems: string[];
  /** The checklist with the automatic items filled from the checks above. */
  checklist: Checklist | null;
  /** What still stops sign-off on the checklist (not counting the sign-off itself). */
  openItems: string[];
  signature: SignatureStatus;
  /** Signed off, as every command judges it (core/signature/signed-off.ts signOffVerdict). */
  signedOff: boolean;
  /** Why a sidecar that records a sign-off is not signed off (the verdict's problems); empty otherwise. */
  signOffProblems: string[];
}

/**
 * One revision for what the reviewer sees and signs: the sidecar text and the image bytes. The
 * sidecar alone was not enough: the page loaded the image in a request of its own and kept it
 * across "Reload from disk", so the reviewer could sign a sidecar attesting an image they never
 * saw (a re-export replaced it, or it was swapped between the page's two requests).
 */
export function revisionOf(sidecarRaw: Uint8Array, image: Uint8Array | null): string {
  return sha256Hex(new TextEncoder().encode(`${sha256Hex(sidecarRaw)}\n${image ? sha256Hex(image) : 'no image'}`));
}

/** The current revision of an export on disk, and the image bytes it covers (null: unreadable). */
export function readRevision(entry: IndexedExport): { revision: string; image: Buffer | null } {
  const raw = readRegularFile(entry.sidecarPath, MAX_SIDECAR_BYTES);
  let image: Buffer | null = null;
  try {
    if (entry.imagePath) image = readRegularFile(entry.imagePath, MAX_IMAGE_BYTES);
  } catch {
    image = null;
  }
  return { revision: revisionOf(raw, image), image };
}

function errorText(e: unknown): string {
  return isDeidError(e) ? e.message : e instanceof Error ? e.message : String(e);
}

/**
 * Re-verifies one export as the panel's review does (actions/review.ts openReview): the hash,
 * a metadata re-scan, and every recorded region against the pixels as they are now.
 */
export async function reverifyExport(entry: IndexedExport, policy: Policy): Promise<ExportReport> {
  const empty = { hash: { ok: false, detail: 'not checked' }, metadata: [], regions: [], checklist: null, openItems: [], signature: { state: 'unsigned' } as SignatureStatus, signedOff: false, signOffProblems: [] };
  let raw: Buffer;
  try {
    raw = readRegularFile(entry.sidecarPath, MAX_SIDECAR_BYTES);
  } catch (e) {
    return { id: entry.id, revision: '', sidecar: null, error: `the sidecar cannot be read (${(e as NodeJS.ErrnoException).code ?? errorText(e)})`, problems: ['the sidecar cannot be read'], ...empty };
  }
  const sidecarRevision = sha256Hex(raw);
  const text = raw.toString('utf8');
  let sidecar: Sidecar;
  try {
    sidecar = parseSidecar(text);
  } catch (e) {
    return { id: entry.id, revision: sidecarRevision, sidecar: null, error: errorText(e), problems: ['the sidecar does not follow the sidecar schema'], ...empty };
  }
  // A sidecar that marked "faces" automatic and ticked had it shown as the tool's passed check,
  // with no control, and signed: the reviewer never looked. Refused like any other finding.
  const problems: string[] = [...itemDefinitionProblems(sidecar.checklist)];
  let bytes: Uint8Array | null = null;
  if (!entry.imagePath) {
    problems.push(`the image ${sidecar.image.fileName} is not beside the sidecar`);
  } else {
    try {
      bytes = readRegularFile(entry.imagePath, MAX_IMAGE_BYTES);
    } catch (e) {
      problems.push(`the image cannot be read (${(e as NodeJS.ErrnoException).code ?? errorText(e)})`);
    }
  }
  const revision = revisionOf(raw, bytes);
  const named = entry.imagePath !== null && entry.imagePath.endsWith(sidecar.image.fileName);
  let hash = { ok: false, detail: 'the image is missing' };
  let metadata: Finding[] = [];
  let scanned = false;
  let regions: RegionReport[] | null = null;
  if (bytes) {
    const same = sha256Hex(bytes) === sidecar.image.sha256 && bytes.length === sidecar.image.bytes;
    hash = same
      ? { ok: true, detail: 'The image is byte for byte the one the sidecar was written for (SHA-256 matches).' }
      : { ok: false, detail: 'The image is not the one the sidecar was written for: its SHA-256 differs.' };
    if (!same) problems.push(hash.detail);
    if (!named) problems.push(`the sidecar names its image ${sidecar.image.fileName}`);
    const stored = detectContainer(bytes)?.format ?? null;
    const otherFormat = formatMismatch(sidecar, stored);
    if (otherFormat) problems.push(otherFormat);
    try {
      metadata = (await scanMetadata(bytes, { maxPixels: policy.maxPixels })).findings;
      scanned = true;
    } catch (e) {
      problems.push(`the image could not be scanned (${errorText(e)})`);
    }
    for (const f of metadata) problems.push(`metadata left in the file: ${f.kind} (${f.detail})`);
    regions = await checkRegions(bytes, stored, sidecar, policy, problems);
  }
  const verdict = signOffVerdict(sidecar, {
    metadata: scanned ? metadata : null,
    named,
    regionsNotObscured: regions === null ? null : regions.filter((r) => !r.ok).length,
  });
  return {
    id: entry.id,
    revision,
    sidecar,
    hash,
    metadata,
    regions: regions ?? [],
    problems,
    checklist: verdict.checklist,
    openItems: verdict.openItems,
    signature: verdict.signature,
    signedOff: verdict.signedOff,
    signOffProblems: sidecar.checklist.signedOff ? verdict.problems.map((p) => p.detail) : [],
  };
}

/**
 * The recorded regions against the pixels, through the same core check `deid verify` uses; null
 * when they could not be checked (too many steps, an image that does not decode).
 */
async function checkRegions(bytes: Uint8Array, stored: ImageFormat | null, sidecar: Sidecar, policy: Policy, problems: string[]): Promise<RegionReport[] | null> {
  const overLimit = stepLimitProblem(sidecar, policy);
  if (overLimit) {
    problems.push(overLimit);
    return null;
  }
  if (recordedRegions(sidecar).length === 0) return [];
  let pixels;
  try {
    pixels = await decodePixels(bytes, { orient: false, maxPixels: policy.maxPixels });
  } catch (e) {
    problems.push(`the image could not be decoded to check its regions (${errorText(e)})`);
    return null;
  }
  if (pixels.width !== sidecar.image.width || pixels.height !== sidecar.image.height) {
    problems.push(`the image is ${pixels.width}x${pixels.height}, the sidecar says ${sidecar.image.width}x${sidecar.image.height}`);
  }
  return checkRecordedRegions(pixels, sidecar, policy, stored).map((c) => {
    const what = c.step.op === 'pixelate' ? `mosaic of ${c.step.cellSize ?? '?'} px cells` : 'solid overlay';
    const detail = c.ok ? `Obscured as recorded: ${what}.` : (c.combined ?? c.obscured.detail);
    if (!c.ok) problems.push(`region ${c.number} (${c.step.regionKind ?? 'region'}) is not obscured: ${detail}`);
    return { number: c.number, op: c.step.op, regionKind: c.step.regionKind, cellSize: c.step.cellSize, region: { ...c.step.region! }, ok: c.ok, detail };
  });
}
