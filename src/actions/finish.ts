import { isDeidError } from '../core/errors';
import type { FindingKind } from '../core/metadata/types';
import { scanStructure, stripMetadata, uniqueKinds } from '../core/metadata/scan';
import { LOSSLESS_TOLERANCE } from '../core/pixels/verify-region';
import type { Policy } from '../core/policy/types';
import { buildSidecar } from '../core/sidecar/build';
import { serializeSidecar } from '../core/sidecar/schema';
import { stepsForSidecar } from '../core/sidecar/steps';
import type { Sidecar, Step } from '../core/sidecar/types';
import type { ExportFormat, Host, OutputFolder } from './host';
import type { Session } from './session';
import { checkObscuredRegions, type RegionResult } from './verify-document';
import { requireWorkingCopy } from './working-copy';
import { utf8Encode } from './text';

export const SIDECAR_SUFFIX = '.deid.json';

export interface FinishRequest {
  format: ExportFormat;
  folder: OutputFolder;
  /** The plugin's version, recorded in the sidecar (the panel reads it from the manifest). */
  toolVersion: string;
}

export type FinishResult =
  | { ok: true; sidecar: Sidecar; imageName: string; sidecarName: string; folderName: string; notes: string[] }
  | {
      ok: false;
      /** Nothing was written. */
      reason: 'metadata-remains' | 'region-not-obscured' | 'cannot-strip';
      message: string;
      /** What remained (metadata kinds), for 'metadata-remains'. */
      remaining: FindingKind[];
      regions: RegionResult[];
    };

/**
 * Finish: flatten the working copy, check every obscured region on its pixels, export a copy,
 * strip the bytes and re-scan them, then write `<alternateId>.<ext>` and its sidecar
 * atomically. Anything left after stripping, or a region that is not obscured, writes nothing.
 */
export async function finishExport(host: Host, session: Session, policy: Policy, request: FinishRequest, now: () => Date = () => new Date()): Promise<FinishResult> {
  const doc = await requireWorkingCopy(host, session);
  const { exported, regions } = await host.runStep(
    'De-identify: finish',
    async () => {
      await host.flatten(doc.id);
      // The document holds exactly what is encoded, losslessly: check regions there.
      const regionResults = await checkObscuredRegions(session.steps, session.doc, policy, LOSSLESS_TOLERANCE, (rect) => host.readPixels(doc.id, rect));
      return { exported: await host.exportCopy(doc.id, request.format), regions: regionResults };
    },
    { historyOf: doc.id },
  );
  const failed = regions.filter((r) => !r.ok);
  if (failed.length > 0) {
    return {
      ok: false,
      reason: 'region-not-obscured',
      message: `Nothing was written: ${failed.length} obscured region(s) do not meet the policy in the working copy (${failed[0].detail}).`,
      remaining: [],
      regions,
    };
  }
  let stripped;
  try {
    stripped = stripMetadata(exported, { maxPixels: policy.maxPixels });
  } catch (e) {
    if (!isDeidError(e)) throw e;
    // The core's message names the kinds that remained.
    return { ok: false, reason: e.code === 'not-clean' ? 'metadata-remains' : 'cannot-strip', message: `Nothing was written: ${e.message}.`, remaining: [], regions };
  }
  // Independent re-scan of exactly the bytes about to be written.
  const left = uniqueKinds(scanStructure(stripped.bytes, { maxPixels: policy.maxPixels }).findings);
  if (left.length > 0) {
    return { ok: false, reason: 'metadata-remains', message: `Nothing was written: ${left.join(', ')} remained after stripping.`, remaining: left, regions };
  }
  const at = now().toISOString();
  const finalSteps: Step[] = [...session.steps, { op: 'flatten', at }, { op: 'export', at }, { op: 'strip', at }];
  const sidecar = buildSidecar({
    alternateId: session.alternateId,
    toolVersion: request.toolVersion,
    image: { format: request.format, width: session.doc.width, height: session.doc.height, bytes: stripped.bytes },
    steps: stepsForSidecar(finalSteps),
    removed: stripped.removed,
    now: now(),
    autoChecks: {
      'metadata-removed': { ok: true },
      'file-named': { ok: true },
      flattened: { ok: true },
      'regions-meet-policy': { ok: true, note: `${regions.length} region(s) checked on the flattened image` },
    },
  });
  const sidecarName = `${session.alternateId}${SIDECAR_SUFFIX}`;
  await host.writeFilesAtomically(request.folder, [
    { name: sidecar.image.fileName, bytes: stripped.bytes },
    { name: sidecarName, bytes: utf8Encode(serializeSidecar(sidecar)) },
  ]);
  return { ok: true, sidecar, imageName: sidecar.image.fileName, sidecarName, folderName: request.folder.name, notes: stripped.notes };
}
