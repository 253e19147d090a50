import { useState } from 'react';
import { obscureSelection, previewObscure, type ObscurePreview } from '../../actions';
import type { ObscureMethod } from '../../core/policy/policy';
import type { RegionKind } from '../../core/policy/types';
import { chooseCellSize, coarserCellSize } from '../mosaic-choice';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';
import { SpRadioGroup, type RadioOption } from '../widgets/SpRadioGroup';
import { SpTextField } from '../widgets/SpTextField';
import { NeedsSession } from './NeedsSession';

const KIND_OPTIONS: readonly RadioOption<RegionKind>[] = [
  { value: 'face', label: 'Face or head' },
  { value: 'text', label: 'Text, number, barcode, QR code' },
  { value: 'mark', label: 'Tattoo, scar or mark' },
  { value: 'other', label: 'Other' },
];

const METHOD_LABELS: Record<ObscureMethod, string> = { overlay: 'Overlay (solid colour)', pixelate: 'Mosaic' };

/**
 * Step 2: obscure the selection. The panel first shows what the policy enforces for this
 * selection (methods, minimum mosaic cell size and cells across) and only then applies it.
 * Overlay is the default; mosaic appears only where the policy allows it, and its cell size can
 * be made coarser, never finer.
 */
export function ObscureStep(props: StepProps): JSX.Element {
  const { host, policy, runner, session, sessionChanged } = props;
  const [kind, setKind] = useState<RegionKind>('face');
  const [preview, setPreview] = useState<ObscurePreview | null>(null);
  const [method, setMethod] = useState<ObscureMethod>('overlay');
  const [cellText, setCellText] = useState('');
  const [applied, setApplied] = useState<string | null>(null);
  if (!session) return <NeedsSession />;

  const check = (forKind: RegionKind): void => {
    void runner.run('Reading the selection...', async () => {
      setApplied(null);
      const next = await previewObscure(host, session, policy, forKind);
      setPreview(next);
      setMethod('overlay');
      setCellText(next.mosaic ? String(next.mosaic.cellSize) : '');
    });
  };
  const changeKind = (next: RegionKind): void => {
    setKind(next);
    // Methods depend on the kind: a stale preview could offer mosaic on text.
    setPreview(null);
    setMethod('overlay');
    if (preview) check(next);
  };

  const mosaicOffered = preview !== null && preview.methods.includes('pixelate') && preview.mosaic !== null;
  const choice = preview && mosaicOffered && method === 'pixelate' ? chooseCellSize(policy, preview.bounds, cellText, preview.mosaic?.cellSize) : null;
  const coarser = choice && choice.ok && preview ? coarserCellSize(preview.bounds, choice.cellSize) : null;
  const canApply = preview !== null && runner.busy === null && (method === 'overlay' || (choice !== null && choice.ok));

  const apply = (): void => {
    if (!preview) return;
    const cellSize = choice && choice.ok ? choice.cellSize : undefined;
    void runner.run(method === 'pixelate' ? 'Applying the mosaic...' : 'Applying the overlay...', async () => {
      const steps = await obscureSelection(host, session, policy, { kind, method, cellSize });
      sessionChanged();
      const what = method === 'pixelate' ? `mosaic of ${cellSize} px cells` : `overlay in ${preview.overlayColor}`;
      setApplied(`Applied a ${what} over ${steps.length} region(s). Select the next area, or go on to Crop or Finish.`);
      setPreview(null);
    });
  };

  return (
    <div className="deid-col">
      <sp-body>1. Select the area with any selection tool. 2. Say what it shows. 3. Check, then apply.</sp-body>
      <SpRadioGroup<RegionKind> value={kind} options={KIND_OPTIONS} onChange={changeKind} disabled={runner.busy !== null} testId="kind" />
      <div className="deid-row">
        <SpButton onClick={() => check(kind)} disabled={runner.busy !== null} testId="check-selection">
          Check selection
        </SpButton>
      </div>
      {preview ? (
        <div className="deid-col" data-testid="obscure-preview">
          <sp-body data-testid="selection-bounds">
            {`Selection ${preview.bounds.w} x ${preview.bounds.h} px at (${preview.bounds.x}, ${preview.bounds.y})` +
              (preview.rectangular ? '.' : ': not a rectangle, so only its shape is painted (a mosaic paints every cell it touches whole).')}
          </sp-body>
          {mosaicOffered ? (
            <SpRadioGroup<ObscureMethod>
              value={method}
              options={preview.methods.map((m) => ({ value: m, label: METHOD_LABELS[m] }))}
              onChange={setMethod}
              disabled={runner.busy !== null}
              testId="method"
            />
          ) : (
            <sp-body data-testid="overlay-only">
              {kind === 'text'
                ? 'Overlay only: pixelated text and numbers can be read back, so the policy never allows a mosaic here.'
                : 'Overlay only: the policy does not allow a mosaic on this kind of region.'}
            </sp-body>
          )}
          {mosaicOffered && preview.mosaic ? (
            <sp-body data-testid="mosaic-enforced">
              {`Policy minimum: ${preview.mosaic.cellSize} px cells, ${preview.mosaic.cellsAcross} across the shorter side.`}
            </sp-body>
          ) : null}
          {mosaicOffered && method === 'pixelate' && preview.mosaic ? (
            <div className="deid-col">
              <div className="deid-row">
                <SpTextField
                  value={cellText}
                  onInput={setCellText}
                  invalid={choice !== null && !choice.ok}
                  testId="cell-size"
                  label="Cell size (px)"
                />
                <SpButton
                  onClick={() => coarser !== null && setCellText(String(coarser))}
                  disabled={coarser === null || runner.busy !== null}
                  variant="secondary"
                  testId="coarser"
                >
                  Coarser
                </SpButton>
                <SpButton
                  onClick={() => preview.mosaic && setCellText(String(preview.mosaic.cellSize))}
                  disabled={runner.busy !== null}
                  variant="secondary"
                  quiet
                  testId="minimum"
                >
                  Minimum
                </SpButton>
              </div>
              {choice && choice.ok ? (
                <sp-body data-testid="mosaic-choice">{`Will use ${choice.cellSize} px cells, ${choice.cellsAcross} across the shorter side.`}</sp-body>
              ) : null}
              {choice && !choice.ok ? (
                <div className="deid-error" data-testid="mosaic-refused">
                  {choice.message}
                </div>
              ) : null}
            </div>
          ) : null}
          <div className="deid-row">
            <SpButton variant="cta" onClick={apply} disabled={!canApply} testId="apply-obscure">
              {method === 'pixelate' ? 'Apply mosaic' : 'Apply overlay'}
            </SpButton>
          </div>
        </div>
      ) : null}
      {applied ? <sp-body data-testid="obscure-result">{applied}</sp-body> : null}
      <sp-detail>{`Obscured regions so far: ${session.steps.filter((s) => s.op === 'overlay' || s.op === 'pixelate').length}`}</sp-detail>
    </div>
  );
}
