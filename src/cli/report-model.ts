import type { Policy } from '../core/policy/types';
import type { ExportReport } from './review/reverify';

/** One export as the audit report states it: facts from the sidecar and from re-checking now. */
export interface AuditRow {
  id: string;
  format: string;
  width: number | null;
  height: number | null;
  sha256: string;
  regions: number;
  /** "face: mosaic 40 px" per obscured region, in order. */
  obscured: string[];
  metadataRemoved: string[];
  reverification: 'clean' | 'problems';
  problems: string[];
  checklist: 'complete' | 'open';
  openItems: number;
  /** Signed off as every command judges it: bag create packs exactly these without --allow-unsigned. */
  signedOff: boolean;
  reviewer: string;
  reviewedAt: string;
  /** Why a sidecar that records a sign-off does not count as signed off (empty otherwise). */
  signOffNote: string;
  issues: { description: string; resolved: boolean }[];
  signature: 'valid' | 'invalid' | 'unsigned';
  signatureNote: string;
  fingerprint: string;
  /** The detectors' residual check now (--pixels), or null when not run. */
  detector: DetectorNote | null;
  /**
   * Alternate ids of the other exports in the folder whose image is this one's, byte for byte
   * (identical-exports.ts): one photo that would be counted twice. Filled by report.ts, which
   * sees the whole folder.
   */
  identicalTo: string[];
}

/** What the face and text detectors found that no obscured region covers (report --pixels). */
export interface DetectorNote {
  /** True when the check ran and found nothing uncovered. */
  clear: boolean;
  summary: string;
  /** One line per uncovered face or text region, with its box. */
  uncovered: string[];
}

export interface AuditTotals {
  exports: number;
  /** Image files in the folder that no sidecar documents (report.ts adds the count). */
  undocumented?: number;
  /** Images in hidden files and folders, which the record does not cover (report.ts adds it). */
  hidden?: number;
  /** Exports whose image another export of the folder also is (report.ts adds it). */
  identical?: number;
  clean: number;
  withProblems: number;
  signedValid: number;
  signatureInvalid: number;
  notSigned: number;
  regions: number;
  /** Exports where the detectors found a face or text no region covers, or could not check (--pixels). */
  detectorFlagged?: number;
}

export function auditRow(r: ExportReport, detector: DetectorNote | null = null): AuditRow {
  const s = r.sidecar;
  const c = r.checklist;
  const regions = s ? s.steps.filter((st) => st.op === 'pixelate' || st.op === 'overlay') : [];
  const sig = r.signature;
  return {
    id: r.id,
    format: s?.image.format ?? '',
    width: s?.image.width ?? null,
    height: s?.image.height ?? null,
    sha256: s?.image.sha256 ?? '',
    regions: regions.length,
    obscured: regions.map((st) => `${st.regionKind ?? 'region'}: ${st.op === 'pixelate' ? `mosaic ${st.cellSize ?? '?'} px` : `overlay${st.color ? ` ${st.color}` : ''}`}`),
    metadataRemoved: s ? [...s.metadata.removed] : [],
    reverification: r.problems.length === 0 ? 'clean' : 'problems',
    problems: [...r.problems],
    checklist: r.openItems.length === 0 ? 'complete' : 'open',
    openItems: r.openItems.length,
    // The verdict every command gives (core/signature/signed-off.ts), not the sidecar's own flag.
    signedOff: r.signedOff,
    reviewer: r.signedOff ? c?.reviewer ?? '' : '',
    reviewedAt: r.signedOff ? c?.reviewedAt ?? '' : '',
    signOffNote: r.signOffProblems.join('; '),
    issues: c ? c.issues.map((i) => ({ ...i })) : [],
    signature: sig.state,
    signatureNote: sig.state === 'invalid' ? sig.reason : sig.state === 'unsigned' && s?.checklist.signedOff ? 'signed off without a signature' : '',
    fingerprint: sig.state === 'unsigned' ? '' : sig.fingerprint ?? '',
    detector,
    identicalTo: [],
  };
}

export function auditTotals(rows: readonly AuditRow[]): AuditTotals {
  return {
    exports: rows.length,
    clean: rows.filter((r) => r.reverification === 'clean').length,
    withProblems: rows.filter((r) => r.reverification !== 'clean').length,
    signedValid: rows.filter((r) => r.signedOff).length,
    signatureInvalid: rows.filter((r) => r.signature === 'invalid' || r.signatureNote !== '').length,
    notSigned: rows.filter((r) => !r.signedOff).length,
    regions: rows.reduce((n, r) => n + r.regions, 0),
    ...(rows.some((r) => r.detector !== null) ? { detectorFlagged: rows.filter((r) => r.detector !== null && !r.detector.clear).length } : {}),
  };
}

export function describePolicy(p: Policy): string[] {
  return [
    `mosaic: at most ${p.maxCellsAcross} cells across a region's shorter side, cells at least ${p.minCellSize} px`,
    `mosaic allowed for: ${p.mosaicKinds.join(', ') || 'nothing'} (text is always covered solid)`,
    `overlay colour: ${p.overlayColor}`,
  ];
}
