import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr, only when a person is watching (a TTY) and the batch is not tiny. */
export function createProgress(total: number, label: string): { update(done: number): void; stop(): void } {
  if (!process.stderr.isTTY || total < 2) return { update() {}, stop() {} };
  const bar = new SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} files | {eta_formatted} left`, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
