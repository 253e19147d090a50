import { useState } from 'react';
import { saveLinkageRecord } from '../../actions';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';
import { NeedsSession } from './NeedsSession';

/**
 * Optional: record which original document this alternate id came from, in a file the user
 * chooses, away from the export (a linkage file beside the image would re-identify it).
 */
export function LinkageStep({ host, runner, session, folder }: StepProps): JSX.Element {
  const [saved, setSaved] = useState<string | null>(null);
  const [cancelled, setCancelled] = useState(false);
  if (!session) return <NeedsSession />;
  const save = (): void => {
    void runner.run('Waiting for the save dialog...', async () => {
      setSaved(null);
      const name = await saveLinkageRecord(host, session, folder);
      setSaved(name);
      setCancelled(name === null);
    });
  };
  return (
    <div className="deid-col">
      <sp-body>
        Only if your protocol keeps a link between the alternate id and the patient: save it to a separate, protected
        location, never the export folder. The sidecar never holds it.
      </sp-body>
      <div className="deid-row">
        <SpButton onClick={save} debounce disabled={runner.busy !== null} variant="secondary" testId="save-linkage">
          Save linkage record...
        </SpButton>
      </div>
      {saved ? <sp-body data-testid="linkage-saved">{`Linkage record saved as ${saved}.`}</sp-body> : null}
      {cancelled ? <sp-detail data-testid="linkage-cancelled">Nothing saved (the dialog was cancelled).</sp-detail> : null}
    </div>
  );
}
