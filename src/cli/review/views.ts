import type { ItemResponse, ListRow } from '../../review/api-types';
import type { ExportReport } from './reverify';

function signatureView(r: ExportReport): ItemResponse['signature'] {
  const s = r.signature;
  if (s.state === 'valid') return { state: 'valid', fingerprint: s.fingerprint };
  if (s.state === 'invalid') return { state: 'invalid', fingerprint: s.fingerprint, reason: s.reason };
  return { state: 'unsigned' };
}

/** One row of the list; `report` is absent while the export waits to be re-verified. */
export function listRow(id: string, report: ExportReport | undefined): ListRow {
  if (!report) return { id, verify: 'pending', problemCount: 0, openItems: 0, signedOff: false, signature: 'unsigned' };
  const c = report.checklist;
  const sig = signatureView(report);
  return {
    id,
    verify: report.sidecar === null ? 'error' : report.problems.length > 0 ? 'findings' : 'clean',
    problemCount: report.problems.length,
    openItems: report.openItems.length,
    // The verdict report and bag create give (core/signature/signed-off.ts).
    signedOff: report.signedOff,
    reviewer: report.signedOff ? c?.reviewer : undefined,
    reviewedAt: report.signedOff ? c?.reviewedAt : undefined,
    signature: sig.state,
    fingerprint: sig.fingerprint,
  };
}

export function itemView(r: ExportReport): ItemResponse {
  return {
    id: r.id,
    revision: r.revision,
    error: r.error,
    image: r.sidecar ? { ...r.sidecar.image, format: r.sidecar.image.format } : undefined,
    hash: r.hash,
    metadataRemoved: r.sidecar ? [...r.sidecar.metadata.removed] : [],
    metadataFound: r.metadata.map((f) => ({ kind: f.kind, detail: f.detail })),
    regions: r.regions,
    problems: r.problems,
    checklist: r.checklist,
    openItems: r.openItems,
    signature: signatureView(r),
    signOffProblems: r.signOffProblems,
  };
}
