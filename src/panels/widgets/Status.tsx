import type { Runner } from '../use-runner';

/** Progress of the running action and the last error, shown at the top of every step. */
export function Status({ runner }: { runner: Runner }): JSX.Element | null {
  if (runner.busy) {
    const percent = runner.progress === null ? null : Math.round(runner.progress * 100);
    return (
      <div className="deid-col" role="status" data-testid="status-busy">
        <sp-detail>{runner.busy}</sp-detail>
        {percent === null ? null : (
          <sp-progressbar max={100} value={percent} data-testid="status-progress">
            <sp-label slot="label">{`${percent}%`}</sp-label>
          </sp-progressbar>
        )}
      </div>
    );
  }
  if (runner.error) {
    return (
      <div className="deid-error" role="alert" data-testid="status-error">
        {runner.error}
      </div>
    );
  }
  return null;
}
