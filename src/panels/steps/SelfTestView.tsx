import { useEffect, useState } from 'react';
import { runSelfTest, type SelfTestResult } from '../../actions';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';

export interface SelfTestViewProps extends StepProps {
  /** Incremented by the panel menu's "Run self-test": each new value starts a run. */
  runRequest: number;
}

/**
 * Runs every step on a synthetic document in this Photoshop and lists pass/fail per step, so
 * staff can confirm the plugin works on their version before touching a patient photograph.
 */
export function SelfTestView(props: SelfTestViewProps): JSX.Element {
  const { host, policy, toolVersion, runner, runRequest } = props;
  const [results, setResults] = useState<SelfTestResult[] | null>(null);
  const start = (): void => {
    void runner.run('Running the self-test...', async () => {
      setResults(null);
      setResults(await runSelfTest(host, policy, toolVersion));
    });
  };
  useEffect(() => {
    if (runRequest > 0) start();
    // Only a new menu request starts a run, not a re-render.
  }, [runRequest]);
  const failed = results ? results.filter((r) => !r.ok).length : 0;
  return (
    <div className="deid-col">
      <sp-body>
        Makes a synthetic picture, runs every step on it in this Photoshop (start, mosaic, overlay, crop, export, strip,
        review) and reports each. Nothing of yours is opened or changed.
      </sp-body>
      <div className="deid-row">
        <SpButton onClick={start} disabled={runner.busy !== null} testId="run-self-test">
          Run self-test
        </SpButton>
      </div>
      {results ? (
        <div className="deid-col" data-testid="self-test-results">
          <sp-body class={failed === 0 ? 'deid-ok' : 'deid-fail'} data-testid="self-test-summary">
            {failed === 0 ? `All ${results.length} steps passed.` : `${failed} of ${results.length} steps failed.`}
          </sp-body>
          <ul className="deid-list">
            {results.map((r, i) => (
              <li key={i} className={r.ok ? 'deid-ok' : 'deid-fail'} data-testid={`self-test-${i}`}>
                {`${r.ok ? 'PASS' : 'FAIL'} ${r.step}${r.detail ? `: ${r.detail}` : ''}`}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
