import type { StripFileResult, VerifyFileResult } from './tasks/types';

export interface VerifySummary {
  files: number;
  clean: number;
  withFindings: number;
  errors: number;
}

export function summarizeVerify(files: readonly VerifyFileResult[]): VerifySummary {
  return {
    files: files.length,
    clean: files.filter((f) => f.clean && !f.error).length,
    withFindings: files.filter((f) => !f.error && f.findings.length > 0).length,
    errors: files.filter((f) => f.error !== undefined).length,
  };
}

/** Exit code: 2 usage or unreadable input, 1 findings, 0 all clean. */
export function verifyExitCode(summary: VerifySummary, usageProblems: number): number {
  if (usageProblems > 0 || summary.errors > 0) return 2;
  return summary.withFindings > 0 ? 1 : 0;
}

export function formatVerifyHuman(files: readonly VerifyFileResult[], summary: VerifySummary): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.error) lines.push(`ERROR     ${f.path}: ${f.error}`);
    if (f.findings.length === 0 && !f.error) lines.push(`clean     ${f.path} (${f.format})`);
    for (const finding of f.findings) lines.push(`${finding.kind.padEnd(9)} ${f.path}: ${finding.where}: ${finding.detail}`);
  }
  lines.push(`${summary.files} files: ${summary.clean} clean, ${summary.withFindings} with findings, ${summary.errors} errors`);
  return lines.join('\n');
}

export interface StripSummary {
  files: number;
  written: number;
  errors: number;
}

export function summarizeStrip(files: readonly StripFileResult[]): StripSummary {
  return { files: files.length, written: files.filter((f) => f.output).length, errors: files.filter((f) => f.error).length };
}

export function formatStripHuman(files: readonly StripFileResult[], summary: StripSummary): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.error) lines.push(`REFUSED   ${f.input}: ${f.error}`);
    else lines.push(`${f.lossless ? 'stripped ' : 're-encoded'} ${f.input} -> ${f.output}${f.notice ? ` (${f.notice})` : ''}`);
  }
  lines.push(`${summary.files} files: ${summary.written} written, ${summary.errors} refused`);
  return lines.join('\n');
}
