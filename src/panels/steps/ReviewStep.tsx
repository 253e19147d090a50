import { useState } from 'react';
import { listSidecars, openReview, signOffReview, type ReviewState } from '../../actions';
import { addIssue, checklistProblems, resolveIssue, setItemStatus } from '../../core/sidecar/checklist';
import type { Checklist, ChecklistStatus, Sidecar } from '../../core/sidecar/types';
import type { StepProps } from '../step-props';
import { SpButton } from '../widgets/SpButton';
import { SpCheckbox } from '../widgets/SpCheckbox';
import { SpDropdown } from '../widgets/SpDropdown';
import type { RadioOption } from '../widgets/SpRadioGroup';
import { SpTextField } from '../widgets/SpTextField';
import { FolderChooser } from './FolderChooser';

const STATUS_OPTIONS: readonly RadioOption<ChecklistStatus>[] = [
  { value: 'unchecked', label: 'Not checked' },
  { value: 'ok', label: 'Checked: dealt with' },
  { value: 'not-present', label: 'Checked: not present' },
  { value: 'issue', label: 'Issue' },
];

/**
 * Step 5, for the reviewer: open a sidecar from the export folder, see what re-verification found
 * (hash, metadata, obscured regions), work through the checklist, note issues, and sign off with
 * name and date. Sign-off is refused, with the reasons, while anything is open.
 */
export function ReviewStep(props: StepProps): JSX.Element {
  const { host, policy, runner, folder } = props;
  const [names, setNames] = useState<string[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [review, setReview] = useState<ReviewState | null>(null);
  const [checklist, setChecklist] = useState<Checklist | null>(null);
  const [issueText, setIssueText] = useState('');
  const [reviewer, setReviewer] = useState('');
  const [signed, setSigned] = useState<Sidecar | null>(null);
  const [onlyOpen, setOnlyOpen] = useState(false);

  const list = (): void => {
    if (!folder) return;
    void runner.run('Listing sidecars...', async () => {
      const found = await listSidecars(host, folder);
      setNames(found);
      setSelected(found[0] ?? null);
    });
  };
  const open = (): void => {
    if (!folder || !selected) return;
    void runner.run('Re-verifying the image...', async () => {
      setSigned(null);
      const opened = await openReview(host, folder, selected, policy);
      setReview(opened);
      setChecklist(opened.sidecar.checklist);
    });
  };
  /** Checklist edits go through the core's rules (an automatic item cannot be ticked by hand). */
  const edit = (change: (c: Checklist) => Checklist): void => {
    if (!checklist) return;
    void runner.run('Updating the checklist...', async () => {
      setChecklist(change(checklist));
      setSigned(null);
    });
  };
  const sign = (): void => {
    if (!review || !checklist) return;
    void runner.run('Signing off...', async () => {
      const result = await signOffReview(host, review, checklist, reviewer);
      setSigned(result);
      setChecklist(result.checklist);
    });
  };

  const openProblems = checklist ? checklistProblems(checklist).filter((p) => p !== 'not signed off') : [];
  return (
    <div className="deid-col">
      <FolderChooser {...props} />
      <div className="deid-row">
        <SpButton onClick={list} disabled={!folder || runner.busy !== null} variant="secondary" testId="list-sidecars">
          List sidecars
        </SpButton>
      </div>
      {names !== null && names.length === 0 ? <sp-body data-testid="no-sidecars">No .deid.json files in this folder.</sp-body> : null}
      {names !== null && names.length > 0 ? (
        <div className="deid-col">
          <SpDropdown value={selected} options={names.map((n) => ({ value: n, label: n }))} onChange={setSelected} testId="sidecar-picker" width="100%" />
          <SpButton onClick={open} disabled={!selected || runner.busy !== null} testId="open-review">
            Open
          </SpButton>
        </div>
      ) : null}
      {review && checklist ? (
        <div className="deid-col" data-testid="review">
          <sp-heading size="XS">{`${review.sidecar.alternateId} (${review.sidecar.image.fileName})`}</sp-heading>
          {review.findings.length === 0 ? (
            <sp-body class="deid-ok" data-testid="review-clean">
              Re-verified: hash matches, no metadata, every obscured region meets the policy.
            </sp-body>
          ) : (
            <div className="deid-col" data-testid="review-findings">
              <sp-body class="deid-fail">{`Re-verification found ${review.findings.length} problem(s):`}</sp-body>
              <ul className="deid-list">
                {review.findings.map((f, i) => (
                  <li key={i}>{`${f.kind}: ${f.detail} (${f.where})`}</li>
                ))}
              </ul>
            </div>
          )}
          <sp-detail>{`Regions checked: ${review.regions.length}`}</sp-detail>
          <SpCheckbox checked={onlyOpen} onChange={setOnlyOpen} testId="only-open">
            Show only open items
          </SpCheckbox>
          {checklist.items.filter((item) => !onlyOpen || item.status === 'unchecked' || item.status === 'issue').map((item) => (
            <div className="deid-row" key={item.id} data-testid={`item-${item.id}`}>
              <SpDropdown
                value={item.status}
                options={STATUS_OPTIONS}
                onChange={(status) => edit((c) => setItemStatus(c, item.id, status))}
                disabled={runner.busy !== null}
                testId={`status-${item.id}`}
                width="120px"
              />
              <sp-body>{`${item.label}${item.auto ? ' (automatic)' : ''}${item.note ? `: ${item.note}` : ''}`}</sp-body>
            </div>
          ))}
          <sp-heading size="XXS">Issues</sp-heading>
          {checklist.issues.length === 0 ? <sp-detail>None noted.</sp-detail> : null}
          {checklist.issues.map((issue, i) => (
            <div className="deid-row" key={i} data-testid={`issue-${i}`}>
              <sp-body>{`${issue.resolved ? 'Resolved' : 'Open'}: ${issue.description}`}</sp-body>
              {issue.resolved ? null : (
                <SpButton onClick={() => edit((c) => resolveIssue(c, i))} variant="secondary" quiet testId={`resolve-${i}`}>
                  Resolve
                </SpButton>
              )}
            </div>
          ))}
          <div className="deid-row">
            <SpTextField value={issueText} onInput={setIssueText} placeholder="Describe an issue" testId="issue-text" />
            <SpButton
              onClick={() =>
                edit((c) => {
                  const next = addIssue(c, issueText);
                  setIssueText('');
                  return next;
                })
              }
              variant="secondary"
              testId="add-issue"
            >
              Add issue
            </SpButton>
          </div>
          <div className="deid-row">
            <SpTextField value={reviewer} onInput={setReviewer} placeholder="Reviewer's name" testId="reviewer" />
            <SpButton variant="cta" onClick={sign} disabled={runner.busy !== null} testId="sign-off">
              Sign off
            </SpButton>
          </div>
          {openProblems.length > 0 && !signed ? <sp-detail data-testid="open-count">{`${openProblems.length} item(s) still open.`}</sp-detail> : null}
          {signed ? (
            <sp-body class="deid-ok" data-testid="signed">
              {`Signed off by ${signed.checklist.reviewer ?? ''} on ${signed.checklist.reviewedAt ?? ''}; ${review.sidecarName} updated.`}
            </sp-body>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
