import { useEffect, useState } from 'react';
import { finishExport, type ExportFormat, type FinishResult } from '../../actions';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';
import { SpRadioGroup, type RadioOption } from '../widgets/SpRadioGroup';
import { NeedsSession } from './NeedsSession';
import { FolderChooser } from './FolderChooser';

const FORMAT_OPTIONS: readonly RadioOption<ExportFormat>[] = [
  { value: 'jpeg', label: 'JPEG' },
  { value: 'png', label: 'PNG (lossless)' },
];

/**
 * Step 4: flatten, export, strip and re-scan, then write `<id>.<ext>` and its sidecar. Shows what
 * was written, or why nothing was.
 */
export function FinishStep(props: StepProps): JSX.Element {
  const { host, policy, runner, session, folder, toolVersion } = props;
  const [format, setFormat] = useState<ExportFormat>('jpeg');
  const [result, setResult] = useState<FinishResult | null>(null);
  // A new working copy makes an old result misleading.
  useEffect(() => setResult(null), [session]);
  if (!session) return <NeedsSession />;

  const finish = (): void => {
    if (!folder) return;
    void runner.run('Exporting, stripping and checking...', async () => {
      setResult(null);
      setResult(await finishExport(host, session, policy, { format, folder, toolVersion }));
    });
  };

  return (
    <div className="deid-col">
      <SpRadioGroup<ExportFormat> value={format} options={FORMAT_OPTIONS} onChange={setFormat} disabled={runner.busy !== null} testId="format" />
      <FolderChooser {...props} />
      <div className="deid-row">
        <SpButton variant="cta" onClick={finish} disabled={!folder || runner.busy !== null} testId="finish">
          Export
        </SpButton>
      </div>
      {result && result.ok ? (
        <div className="deid-col" data-testid="finish-written">
          <sp-body class="deid-ok">{`Written to ${result.folderName}:`}</sp-body>
          <ul className="deid-list">
            <li>{result.imageName}</li>
            <li>{result.sidecarName}</li>
          </ul>
          <sp-detail>{`${result.sidecar.image.width} x ${result.sidecar.image.height} px, SHA-256 ${result.sidecar.image.sha256.slice(0, 16)}...`}</sp-detail>
          {result.sidecar.metadata.removed.length > 0 ? (
            <sp-detail>{`Metadata removed: ${result.sidecar.metadata.removed.join(', ')}.`}</sp-detail>
          ) : (
            <sp-detail>No metadata needed removing.</sp-detail>
          )}
          {result.notes.map((n) => (
            <sp-detail key={n}>{n}</sp-detail>
          ))}
          <sp-body>Next: a reviewer opens the sidecar under Checklist and signs it off.</sp-body>
        </div>
      ) : null}
      {result && !result.ok ? (
        <div className="deid-col" data-testid="finish-refused">
          <div className="deid-error">{result.message}</div>
          {result.remaining.length > 0 ? <sp-detail>{`Remaining metadata: ${result.remaining.join(', ')}`}</sp-detail> : null}
          {result.regions
            .filter((r) => !r.ok)
            .map((r, i) => (
              <sp-detail key={i}>{r.detail}</sp-detail>
            ))}
        </div>
      ) : null}
    </div>
  );
}
