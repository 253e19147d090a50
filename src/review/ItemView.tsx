import { useEffect, useState } from 'react';
import { addIssue, checklistProblems, resolveIssue, setItemStatus, signOff } from '../core/sidecar/checklist';
import type { Checklist, ChecklistStatus } from '../core/sidecar/types';
import type { ItemResponse } from './api-types';
import { ApiError, fetchImage, fetchItem, fetchPixels, postSignOff } from './api';
import { ImageViewer } from './ImageViewer';
import { ResidualCheck, type PixelState } from './ResidualCheck';
import { Reverification } from './Reverification';

interface Props {
  id: string;
  position: string;
  reviewer: string;
  onReviewer: (name: string) => void;
  onBack: () => void;
  onPrevious?: () => void;
  onNextUnsigned: () => void;
  onSigned: () => void;
}

/** The same four statuses, worded as in the panel's review step (src/panels/steps/ReviewStep.tsx). */
const STATUS_OPTIONS: readonly { value: ChecklistStatus; label: string }[] = [
  { value: 'unchecked', label: 'Not checked' },
  { value: 'ok', label: 'Checked: dealt with' },
  { value: 'not-present', label: 'Checked: not present' },
  { value: 'issue', label: 'Issue' },
];

/** The checklist items the detectors speak to, and which of their notes goes with each. */
const DETECTOR_ITEMS: Readonly<Record<string, 'faces' | 'text'>> = { faces: 'faces', text: 'text' };

type Message = { tone: 'ok' | 'fail'; text: string; conflict?: boolean } | null;
/** The image as the page fetched it (with the page token) and shows it: through an object URL. */
type Shown = { state: 'loading' } | { state: 'shown'; url: string } | { state: 'failed'; message: string; conflict: boolean };

/**
 * One export under review: re-verification results first, then the image, then the checklist
 * from the core model the panel uses (sidecar/checklist.ts): the same rules, the same refusal
 * while anything is open. Sign-off is sent to the server, which applies the same rules again,
 * signs, and rewrites only the sidecar.
 */
export function ItemView(props: Props): JSX.Element {
  const { id } = props;
  const [item, setItem] = useState<ItemResponse | null>(null);
  const [checklist, setChecklist] = useState<Checklist | null>(null);
  const [issueText, setIssueText] = useState('');
  const [message, setMessage] = useState<Message>(null);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pixels, setPixels] = useState<PixelState>({ state: 'running' });
  // The revision read from disk (not a sign-off's answer: that rewrites the sidecar, not the image).
  const [loaded, setLoaded] = useState<string | null>(null);
  const [shown, setShown] = useState<Shown>({ state: 'loading' });
  // Counts reads from disk: "Reload from disk" asks for the image again even when the revision
  // read is the same one (its bytes were swapped and put back before the image was asked for).
  const [reads, setReads] = useState(0);
  const hasImage = item?.image !== undefined;

  const load = async (): Promise<void> => {
    try {
      const fresh = await fetchItem(id);
      setItem(fresh);
      setLoaded(fresh.revision);
      setReads((n) => n + 1);
      setChecklist(fresh.checklist);
      setLoadError(null);
    } catch (e) {
      setLoadError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    void load();
  }, [id]);

  // The residual check runs apart from the re-verification: it takes a second or more, and the
  // rest of the page does not wait for it (nor need it, when the detectors are not installed).
  // It is asked again for each revision loaded: after "Reload from disk" the boxes it draws had
  // been the earlier image's, over the new one.
  useEffect(() => {
    if (loaded === null) return undefined;
    let current = true;
    setPixels({ state: 'running' });
    fetchPixels(id, loaded).then(
      (result) => current && setPixels({ state: 'done', result }),
      (e: unknown) => {
        if (!current) return;
        const text = e instanceof Error ? e.message : String(e);
        setPixels(e instanceof ApiError && e.status === 503 ? { state: 'unavailable', message: text } : { state: 'failed', message: text });
      },
    );
    return () => {
      current = false;
    };
  }, [id, loaded]);

  // The image of the revision read from disk, fetched with the page token (an <img> could not
  // send it) and shown through an object URL, revoked as soon as it is no longer shown (another
  // revision loaded, another export opened, back to the list): patient pixels are not left
  // addressable in the tab. Keyed on the revision read, not a sign-off's answer: signing rewrites
  // the sidecar only, and the server refused it unless the image was still these bytes.
  useEffect(() => {
    if (loaded === null || !hasImage) return undefined;
    let current = true;
    let url: string | null = null;
    setShown({ state: 'loading' });
    fetchImage(id, loaded).then(
      (blob) => {
        if (!current) return;
        url = URL.createObjectURL(blob);
        setShown({ state: 'shown', url });
      },
      (e: unknown) => {
        if (!current) return;
        setShown({ state: 'failed', message: e instanceof Error ? e.message : String(e), conflict: e instanceof ApiError && e.status === 409 });
      },
    );
    return () => {
      current = false;
      if (url !== null) URL.revokeObjectURL(url);
    };
  }, [id, loaded, reads, hasImage]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'Escape') props.onBack();
      else if (e.key === 'n') props.onNextUnsigned();
      else if (e.key === 'p' && props.onPrevious) props.onPrevious();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props]);

  const edit = (change: (c: Checklist) => Checklist): void => {
    if (!checklist) return;
    try {
      setChecklist(change(checklist));
      setMessage(null);
    } catch (e) {
      setMessage({ tone: 'fail', text: e instanceof Error ? e.message : String(e) });
    }
  };

  const sign = async (): Promise<void> => {
    if (!item || !checklist) return;
    // The core's own refusal first, worded exactly as the panel words it.
    try {
      signOff(checklist, props.reviewer, new Date().toISOString());
    } catch (e) {
      setMessage({ tone: 'fail', text: e instanceof Error ? e.message : String(e) });
      return;
    }
    setBusy(true);
    try {
      const signed = await postSignOff(id, {
        revision: item.revision,
        reviewer: props.reviewer,
        items: checklist.items.map((i) => ({ id: i.id, status: i.status, note: i.note })),
        issues: checklist.issues,
      });
      setItem(signed);
      setChecklist(signed.checklist);
      setMessage({ tone: 'ok', text: `Signed off by ${signed.checklist?.reviewer ?? ''} on ${signed.checklist?.reviewedAt ?? ''}; the sidecar was rewritten and signed (key ${signed.signature.fingerprint?.slice(0, 16) ?? ''}...). The image was not touched.` });
      props.onSigned();
    } catch (e) {
      const conflict = e instanceof ApiError && e.status === 409;
      setMessage({ tone: 'fail', text: e instanceof Error ? e.message : String(e), conflict });
    } finally {
      setBusy(false);
    }
  };

  const header = (
    <header className="bar">
      <button type="button" onClick={props.onBack} data-testid="back">← List (Esc)</button>
      <h1>{id}</h1>
      <span className="muted">{props.position}</span>
      <span className="spacer" />
      <button type="button" onClick={props.onPrevious} disabled={!props.onPrevious} data-testid="previous">Previous (p)</button>
      <button type="button" onClick={props.onNextUnsigned} data-testid="next-unsigned">Next unsigned (n)</button>
    </header>
  );
  if (loadError) return <main className="page">{header}<p className="fail" role="alert">{loadError}</p></main>;
  if (!item) return <main className="page">{header}<p>Re-verifying the image...</p></main>;

  const open = checklist ? checklistProblems(checklist).filter((p) => p !== 'not signed off') : [];
  return (
    <main className="page item-page">
      {header}
      <div className="columns">
        {!item.image ? (
          <section className="viewer"><p className="fail">{item.error ?? 'No image.'}</p></section>
        ) : shown.state === 'failed' ? (
          <section className="viewer">
            <p className="fail" role="alert" data-testid="image-failed">{shown.message}</p>
            {shown.conflict ? <button type="button" onClick={() => void load()} data-testid="image-reload">Reload from disk</button> : null}
          </section>
        ) : (
          <ImageViewer src={shown.state === 'shown' ? shown.url : null} width={item.image.width} height={item.image.height} regions={item.regions} possible={pixels.state === 'done' ? pixels.result.uncovered : []} />
        )}
        <aside className="side">
          <Reverification item={item} />
          <ResidualCheck pixels={pixels} />
          {checklist ? (
            <section aria-label="Checklist" className="checklist">
              <h2>Checklist</h2>
              {checklist.items.map((ci) => (
                <div className={`check-item status-${ci.status}`} key={ci.id} data-testid={`item-${ci.id}`}>
                  {ci.auto ? (
                    <span className={ci.status === 'ok' ? 'status ok' : 'status fail'} data-testid={`status-${ci.id}`}>{ci.status === 'ok' ? 'Passed' : ci.status === 'issue' ? 'Failed' : 'Not checked'}</span>
                  ) : (
                    <select
                      value={ci.status}
                      aria-label={ci.label}
                      data-testid={`status-${ci.id}`}
                      onChange={(e) => edit((c) => setItemStatus(c, ci.id, e.target.value as ChecklistStatus))}
                    >
                      {STATUS_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
                    </select>
                  )}
                  <span className="label">
                    {`${ci.label}${ci.auto ? ' (automatic)' : ''}${ci.note ? `: ${ci.note}` : ''}`}
                    {pixels.state === 'done' && DETECTOR_ITEMS[ci.id] ? (
                      <span className="detector-note" data-testid={`detector-note-${ci.id}`}>{`Detector's note (advice, you decide): ${pixels.result.notes[DETECTOR_ITEMS[ci.id]!].replace(/^detector: /, '')}`}</span>
                    ) : null}
                  </span>
                </div>
              ))}
              <h3>Issues</h3>
              {checklist.issues.length === 0 ? <p className="muted small">None noted.</p> : null}
              {checklist.issues.map((issue, i) => (
                <div className="issue" key={i} data-testid={`issue-${i}`}>
                  <span>{`${issue.resolved ? 'Resolved' : 'Open'}: ${issue.description}`}</span>
                  {issue.resolved ? null : <button type="button" onClick={() => edit((c) => resolveIssue(c, i))} data-testid={`resolve-${i}`}>Resolve</button>}
                </div>
              ))}
              <div className="row">
                <input type="text" value={issueText} placeholder="Describe an issue" onChange={(e) => setIssueText(e.target.value)} data-testid="issue-text" />
                <button
                  type="button"
                  data-testid="add-issue"
                  onClick={() => edit((c) => {
                    const next = addIssue(c, issueText);
                    setIssueText('');
                    return next;
                  })}
                >
                  Add issue
                </button>
              </div>
              <div className="row sign">
                <input type="text" value={props.reviewer} placeholder="Reviewer's name" aria-label="Reviewer's name" onChange={(e) => props.onReviewer(e.target.value)} data-testid="reviewer" />
                <button type="button" className="cta" onClick={() => void sign()} disabled={busy} data-testid="sign-off">Sign off</button>
              </div>
              {open.length > 0 ? <p className="muted small" data-testid="open-count">{`${open.length} item(s) still open.`}</p> : null}
            </section>
          ) : null}
          {message ? (
            <div className={`message ${message.tone}`} role={message.tone === 'fail' ? 'alert' : 'status'} data-testid={message.tone === 'ok' ? 'signed' : 'refused'}>
              <pre>{message.text}</pre>
              {message.conflict ? <button type="button" onClick={() => { setMessage(null); void load(); }} data-testid="reload">Reload from disk</button> : null}
            </div>
          ) : null}
        </aside>
      </div>
    </main>
  );
}
