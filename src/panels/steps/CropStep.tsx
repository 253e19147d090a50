import { cropToSelection } from '../../actions';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';
import { NeedsSession } from './NeedsSession';

/** Step 3 (optional): crop the working copy to the selection's bounding box. */
export function CropStep(props: StepProps): JSX.Element {
  const { host, runner, session, sessionChanged } = props;
  if (!session) return <NeedsSession />;
  const crop = (): void => {
    void runner.run('Cropping...', async () => {
      await cropToSelection(host, session);
      sessionChanged();
    });
  };
  return (
    <div className="deid-col">
      <sp-body>Select the part of the picture to keep (rectangular marquee), then crop. Optional.</sp-body>
      <div className="deid-row">
        <SpButton onClick={crop} disabled={runner.busy !== null} testId="crop">
          Crop to selection
        </SpButton>
      </div>
      <sp-body data-testid="crop-size">{`Working copy is ${session.doc.width} x ${session.doc.height} px.`}</sp-body>
    </div>
  );
}
