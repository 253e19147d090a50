import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr, only when a person is watching (a TTY) and the batch is not tiny.
 * With no known total (a streamed --jsonl run lists files as it goes) it counts files instead.
 */
export function createProgress(total: number | undefined, label: string): Progress {
  if (!process.stderr.isTTY || (total !== undefined && total < 2)) return { update() {}, stop() {} };
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: total === undefined ? `${label} {value} files done` : `${label} [{bar}] {value}/{total} files | {eta_formatted} left`,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
