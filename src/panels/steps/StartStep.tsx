import { startWorkingCopy } from '../../actions';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';

/** Step 1: a flattened working copy named by a new alternate id; the original is never changed. */
export function StartStep({ host, runner, session, setSession }: StepProps): JSX.Element {
  const start = (): void => {
    void runner.run('Making the working copy...', async () => {
      setSession(await startWorkingCopy(host));
    });
  };
  return (
    <div className="deid-col">
      <sp-body>
        Open the photograph, then press Start. The panel works on a flattened copy named by a new alternate id; the
        original is never changed or saved.
      </sp-body>
      <div className="deid-row">
        <SpButton variant="cta" onClick={start} disabled={runner.busy !== null} testId="start">
          {session ? 'Start again' : 'Start'}
        </SpButton>
      </div>
      {session ? (
        <sp-body data-testid="start-result">
          {`Working copy ${session.alternateId}: ${session.doc.width} x ${session.doc.height} px. Steps so far: ${session.steps.length}.`}
        </sp-body>
      ) : null}
    </div>
  );
}
