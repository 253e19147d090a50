import { auditCsv, csvField } from '../../src/cli/report-csv';
import { auditHtml } from '../../src/cli/report-html';
import { auditTotals, type AuditRow } from '../../src/cli/report-model';

/** Reviewer names, notes and issues are free text typed by people: the report must not run them. */
const hostile: AuditRow = {
  id: 'DEID-7KQ2-M9XH-3TRA', format: 'jpeg', width: 640, height: 480, sha256: 'a'.repeat(64), regions: 1, obscured: ['face: mosaic 40 px'],
  metadataRemoved: ['exif'], reverification: 'clean', problems: [], checklist: 'complete', openItems: 0, signedOff: true,
  reviewer: '<img src=x onerror=alert(1)>', reviewedAt: '2026-01-05T09:00:00.000Z',
  issues: [{ description: '=HYPERLINK("http://evil.example","click"), "quoted"\nnext line', resolved: true }],
  signOffNote: '', signature: 'valid', signatureNote: '', fingerprint: 'b'.repeat(64),
  detector: { clear: false, summary: 'not checked: <b>x</b>', uncovered: ['=cmd|"/c calc"!A1 <i>'] },
  identicalTo: [],
};

test('HTML: free text is escaped, and the page carries no script and a CSP that allows none', () => {
  const html = auditHtml({ rows: [hostile], totals: auditTotals([hostile]), policy: ['p'], generatedAt: 'now', toolVersion: '0' });
  expect(html).not.toContain('<img src=x');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).toContain('not checked: &lt;b&gt;x&lt;/b&gt;');
  expect(html).not.toContain('<i>');
  expect(html).not.toMatch(/<script/i);
  expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
});

test('CSV (RFC 4180): quotes doubled, fields with commas or line breaks quoted, formulas defused', () => {
  expect(csvField('plain')).toBe('plain');
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('=1+1')).toBe("'=1+1");
  expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  expect(csvField(-3)).toBe('-3');
  const csv = auditCsv([hostile]);
  expect(csv).toContain(`"resolved: =HYPERLINK(""http://evil.example"",""click""), ""quoted""\nnext line"`);
  expect(csv).toContain(`'=cmd|""/c calc""!A1 <i>`);
  expect(csv.endsWith('\r\n')).toBe(true);
});
