import type { AuditRow, AuditTotals } from './report-model';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export interface AuditHtmlInput {
  rows: readonly AuditRow[];
  totals: AuditTotals;
  policy: string[];
  generatedAt: string;
  toolVersion: string;
  /** data: URIs by alternate id, only with --thumbnails. */
  thumbnails?: ReadonlyMap<string, string>;
}

const CSS = `
body { font: 12px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #222; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; }
.meta, .muted { color: #666; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
.totals td, .totals th { width: auto; }
.hash, .fp { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 10px; word-break: break-all; }
.ok { color: #12805c; } .fail { color: #c9252d; font-weight: 600; }
ul { margin: 0; padding-left: 14px; }
img.thumb { max-width: 120px; max-height: 120px; display: block; }
@media print {
  body { margin: 0; font-size: 9pt; }
  @page { size: A4 landscape; margin: 12mm; }
  tr, img { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}`;

function list(items: readonly string[], empty = '—'): string {
  if (items.length === 0) return `<span class="muted">${empty}</span>`;
  return `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
}

function row(r: AuditRow, thumb: string | undefined): string {
  const sig = r.signature === 'valid'
    ? `<span class="ok">valid</span><div class="fp">${escapeHtml(r.fingerprint)}</div>`
    : r.signature === 'invalid'
      ? `<span class="fail">invalid</span>: ${escapeHtml(r.signatureNote)}<div class="fp">${escapeHtml(r.fingerprint)}</div>`
      : r.signatureNote ? `<span class="fail">${escapeHtml(r.signatureNote)}</span>` : '<span class="muted">unsigned</span>';
  const cells = [
    `<strong>${escapeHtml(r.id)}</strong>${thumb ? `<img class="thumb" alt="" src="${escapeHtml(thumb)}">` : ''}`,
    `${escapeHtml(r.format.toUpperCase())}<br>${r.width ?? '?'}×${r.height ?? '?'}<div class="hash">${escapeHtml(r.sha256)}</div>${
      r.identicalTo.length > 0 ? `<div class="fail" data-identical-to="${escapeHtml(r.identicalTo.join(' '))}">the same image as ${escapeHtml(r.identicalTo.join(', '))}: one photo, counted twice</div>` : ''}`,
    `${r.regions} region${r.regions === 1 ? '' : 's'}${list(r.obscured, '')}`,
    escapeHtml(r.metadataRemoved.join(', ') || '—'),
    r.reverification === 'clean' ? '<span class="ok">clean</span>' : `<span class="fail">${r.problems.length} problem(s)</span>${list(r.problems)}`,
    r.checklist === 'complete' ? '<span class="ok">complete</span>' : `${r.openItems} open`,
    r.signedOff
      ? `${escapeHtml(r.reviewer)}<br><span class="muted">${escapeHtml(r.reviewedAt)}</span>`
      : r.signOffNote ? `<span class="fail">not signed off</span>: ${escapeHtml(r.signOffNote)}` : '<span class="muted">not signed off</span>',
    list(r.issues.map((i) => `${i.resolved ? 'resolved' : 'OPEN'}: ${i.description}`)),
    sig,
    r.detector === null
      ? '<span class="muted">not run (--pixels)</span>'
      : r.detector.clear ? `<span class="ok">${escapeHtml(r.detector.summary)}</span>` : `<span class="fail">${escapeHtml(r.detector.summary)}</span>${list(r.detector.uncovered, '')}`,
  ];
  return `<tr data-id="${escapeHtml(r.id)}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

const TITLE = 'De-identification audit report';

/**
 * Whether a file's first bytes are a report auditHtml wrote (its doctype and title), so
 * `deid report` may replace it with a newer one and nothing else.
 */
export function isAuditHtml(head: string): boolean {
  return head.startsWith('<!doctype html>\n') && head.includes(`<title>${TITLE}</title>`);
}

/**
 * The audit record of a batch as one self-contained HTML file (styles inline, no scripts, images
 * only as data: URIs with --thumbnails), laid out to print on A4 landscape. Exports are named by
 * alternate id only: sidecars hold no original file name and the folder path is not printed.
 */
export function auditHtml(input: AuditHtmlInput): string {
  const t = input.totals;
  const totals: [string, number][] = [
    ['Exports', t.exports], ['Re-verified clean now', t.clean], ['With problems now', t.withProblems], ['Signed off, signature valid', t.signedValid],
    ['Signature invalid or missing', t.signatureInvalid], ['Not signed off', t.notSigned], ['Obscured regions', t.regions],
    ...(t.undocumented !== undefined ? [['Images without a sidecar (not covered)', t.undocumented] as [string, number]] : []),
    ...(t.hidden !== undefined ? [['Images in hidden places (not covered)', t.hidden] as [string, number]] : []),
    ...(t.identical !== undefined ? [['Exports whose image another export also is (one photo counted twice)', t.identical] as [string, number]] : []),
    ...(t.detectorFlagged !== undefined ? [['Faces or text found uncovered by the detectors, or not checkable', t.detectorFlagged] as [string, number]] : []),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${TITLE}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${TITLE}</h1>
<p class="meta">Generated ${escapeHtml(input.generatedAt)} by deid-photo ${escapeHtml(input.toolVersion)}. Every export was re-verified (hash, metadata, obscured regions) when this report was made.</p>
<h2>Totals</h2>
<table class="totals"><tbody>${totals.map(([k, v]) => `<tr><th>${k}</th><td data-total="${escapeHtml(k)}">${v}</td></tr>`).join('')}</tbody></table>
<h2>Strength policy in force</h2>
${list(input.policy)}
<h2>Exports</h2>
<table class="exports">
<thead><tr><th>Alternate id</th><th>Image (format, size, SHA-256)</th><th>Obscured</th><th>Metadata removed</th><th>Re-verification now</th><th>Checklist</th><th>Reviewer, date</th><th>Issues</th><th>Signature (key fingerprint)</th><th>Detectors now (advice)</th></tr></thead>
<tbody>
${input.rows.map((r) => row(r, input.thumbnails?.get(r.id))).join('\n')}
</tbody>
</table>
</body>
</html>
`;
}
