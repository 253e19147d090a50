/** Where a command prints: stdout for results, stderr for messages. Tests pass their own. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const defaultIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Exit codes every command shares (DESIGN.md "Command line contract"). */
export const EXIT_OK = 0;
/** Findings, refusals. */
export const EXIT_FINDINGS = 1;
/** Usage error, or input that could not be read or checked. */
export const EXIT_USAGE = 2;
