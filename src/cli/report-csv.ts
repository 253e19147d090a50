import type { AuditRow } from './report-model';

const COLUMNS = [
  'alternate_id', 'format', 'width', 'height', 'sha256', 'regions', 'obscured', 'metadata_removed', 'reverification', 'problems',
  'checklist', 'open_items', 'signed_off', 'reviewer', 'reviewed_at', 'issues', 'open_issues', 'signature', 'signature_note', 'key_fingerprint',
  'detectors', 'detectors_uncovered', 'identical_to',
] as const;

/**
 * One field, RFC 4180 section 2 (quoted when it holds a comma, quote or line break; quotes
 * doubled). Free text that a spreadsheet would run as a formula (= + - @, tab, CR) gets a
 * leading apostrophe (OWASP "CSV Injection").
 */
export function csvField(value: string | number | boolean | null): string {
  let text = value === null ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const HEADER = COLUMNS.join(',');
/** The headers of reports written before the detector columns and before identical_to: still replaced as ours. */
const EARLIER_HEADERS = ['detectors', 'identical_to'].map((first) => COLUMNS.slice(0, COLUMNS.indexOf(first as (typeof COLUMNS)[number])).join(','));

/**
 * Whether a file's first bytes are a CSV auditCsv wrote: its whole header line, not just a first
 * column (a linkage file of alternate ids to patients can start the same way).
 */
export function isAuditCsv(head: string): boolean {
  return [HEADER, ...EARLIER_HEADERS].some((h) => head.startsWith(`${h}\r\n`));
}

export function auditCsv(rows: readonly AuditRow[]): string {
  const lines = [HEADER];
  for (const r of rows) {
    lines.push([
      r.id, r.format, r.width, r.height, r.sha256, r.regions, r.obscured.join('; '), r.metadataRemoved.join(' '), r.reverification, r.problems.join('; '),
      r.checklist, r.openItems, r.signedOff, r.reviewer, r.reviewedAt,
      r.issues.map((i) => `${i.resolved ? 'resolved' : 'open'}: ${i.description}`).join('; '), r.issues.filter((i) => !i.resolved).length,
      r.signature, r.signatureNote, r.fingerprint,
      r.detector ? r.detector.summary : 'not run', r.detector ? r.detector.uncovered.join('; ') : '',
      r.identicalTo.join(' '),
    ].map(csvField).join(','));
  }
  // RFC 4180: CRLF line breaks.
  return `${lines.join('\r\n')}\r\n`;
}
