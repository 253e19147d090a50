import type { ItemResponse } from './api-types';

const KIND_WORDS: Record<string, string> = { face: 'face', text: 'text or number', mark: 'tattoo or mark', other: 'other' };

/**
 * What the tool found when it checked this export again just now, in plain words: the hash,
 * the metadata re-scan, every recorded region, and the signature of any earlier sign-off.
 */
export function Reverification({ item }: { item: ItemResponse }): JSX.Element {
  const clean = item.problems.length === 0;
  return (
    <section aria-label="Re-verification" className="reverification" data-testid="reverification">
      <h2>Re-verification</h2>
      <p className={clean ? 'summary ok' : 'summary fail'} data-testid={clean ? 'review-clean' : 'review-findings'}>
        {clean
          ? 'Checked just now: nothing wrong found.'
          : `Checked just now: ${item.problems.length} problem${item.problems.length === 1 ? '' : 's'}. This export cannot be signed off until they are fixed.`}
      </p>
      {item.error ? <p className="fail">{item.error}</p> : null}
      <ul className="checks">
        <li className={item.hash.ok ? 'ok' : 'fail'} data-testid="check-hash">{item.hash.detail}</li>
        {item.image ? (
          <li className={item.metadataFound.length === 0 ? 'ok' : 'fail'} data-testid="check-metadata">
            {item.metadataFound.length === 0
              ? `No metadata in the file${item.metadataRemoved.length > 0 ? ` (removed at export: ${item.metadataRemoved.join(', ')})` : ''}.`
              : `Metadata found in the file: ${item.metadataFound.map((f) => `${f.kind} (${f.detail})`).join('; ')}.`}
          </li>
        ) : null}
        {item.regions.length === 0 && item.image ? <li className="muted">No obscured regions are recorded.</li> : null}
        {item.regions.map((r) => (
          <li key={r.number} className={r.ok ? 'ok' : 'fail'} data-testid={`check-region-${r.number}`}>
            {`Region ${r.number} (${KIND_WORDS[r.regionKind ?? 'other'] ?? 'region'}, ${r.region.w}×${r.region.h} at ${r.region.x},${r.region.y}): ${r.ok ? r.detail : `NOT obscured: ${r.detail}`}`}
          </li>
        ))}
        <li className={item.signature.state === 'invalid' || item.signOffProblems.length > 0 ? 'fail' : 'muted'} data-testid="check-signature">
          {item.signOffProblems.length > 0 && item.signature.state !== 'invalid'
            ? `The earlier sign-off does not count: ${item.signOffProblems.join('; ')}.`
            : item.signature.state === 'valid'
            ? `Signed off with a valid signature (key ${item.signature.fingerprint?.slice(0, 16) ?? ''}...).`
            : item.signature.state === 'invalid'
              ? `The earlier sign-off's signature is not valid: ${item.signature.reason ?? ''}. Review it again.`
              : 'Not signed yet.'}
        </li>
      </ul>
    </section>
  );
}
