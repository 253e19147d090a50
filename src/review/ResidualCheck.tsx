import type { PixelsResponse, PossibleView } from './api-types';

/** The residual check as the item page holds it: asked for when the export is opened. */
export type PixelState =
  | { state: 'running' }
  | { state: 'done'; result: PixelsResponse }
  /** The detectors' packages are not installed: the server's "detection is not available: ..." */
  | { state: 'unavailable'; message: string }
  | { state: 'failed'; message: string };

export const POSSIBLE_WORDS: Record<PossibleView['kind'], string> = { face: 'possible face', text: 'possible text' };

function where(p: PossibleView): string {
  return `${p.box.w}×${p.box.h} at ${p.box.x},${p.box.y}`;
}

/**
 * The detectors' look at the pixels (issue 11), in plain words under the re-verification. It is
 * advice: nothing here ticks a checklist item or stops a sign-off, but an uncovered face or text
 * is put in front of the reviewer, who decides whether it identifies anyone.
 */
export function ResidualCheck({ pixels }: { pixels: PixelState }): JSX.Element {
  let body: JSX.Element;
  if (pixels.state === 'running') {
    body = <p className="muted" role="status" data-testid="pixels-running">Looking for faces and text left uncovered…</p>;
  } else if (pixels.state === 'unavailable') {
    body = <p className="muted" data-testid="pixels-unavailable">{`${pixels.message}. Everything else on this page works without them.`}</p>;
  } else if (pixels.state === 'failed') {
    body = <p className="fail" data-testid="pixels-failed">{`The detectors could not check this image: ${pixels.message}`}</p>;
  } else if (pixels.result.uncovered.length === 0) {
    const { faces, text } = pixels.result.found;
    body = (
      <p className="ok" data-testid="pixels-clear">
        {faces + text === 0
          ? 'The detectors found no face and no text. They can miss some: look for yourself.'
          : 'Every face and text region the detectors found is under an obscured region. They can miss some: look for yourself.'}
      </p>
    );
  } else {
    const list = pixels.result.uncovered;
    body = (
      <div className="attention" role="alert" data-testid="pixels-found">
        <p className="summary">
          {`The detectors found ${list.length} region${list.length === 1 ? '' : 's'} that no obscured region covers (dashed on the image). Look at each and decide whether it identifies anyone; this does not stop a sign-off.`}
        </p>
        <ul className="checks">
          {list.map((p, i) => (
            <li key={i} data-testid={`possible-${i + 1}`}>{`${i + 1}. A ${POSSIBLE_WORDS[p.kind]}, ${where(p)}: ${p.detail}.`}</li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <section aria-label="Faces and text left uncovered" className="residual" data-testid="residual">
      <h3>Faces and text left uncovered</h3>
      {body}
    </section>
  );
}
