import type { Step } from '../core/sidecar/types';
import { DeidHostError, SRGB_PROFILE, type Host } from './host';
import type { Session } from './session';
import { newAlternateId } from '../core/sidecar/alternate-id';

/**
 * Start: a flattened duplicate of the document in front, named by a new alternate id. Only the
 * duplicate is ever changed; the original is neither modified nor saved.
 */
export async function startWorkingCopy(host: Host, now: () => Date = () => new Date()): Promise<Session> {
  const source = await host.activeDocument();
  if (!source) throw new DeidHostError('no-document', 'Open the photograph in Photoshop first, then press Start.');
  if (source.mode === 'other') {
    throw new DeidHostError('unsupported', `"${source.title}" is not an RGB or grayscale image. Convert it (Image > Mode > RGB Color) and press Start again.`);
  }
  if (source.bitDepth === 32) {
    throw new DeidHostError('unsupported', `"${source.title}" is a 32-bit image. Convert it to 8 or 16 bits per channel (Image > Mode) and press Start again.`);
  }
  const alternateId = newAlternateId();
  // The export carries no profile (the core drops ICC), and viewers read untagged files as
  // sRGB: the working copy is converted first, so Adobe RGB, Display P3 or ProPhoto numbers are
  // not reinterpreted, and every later step paints and records sRGB values.
  const { doc, converted } = await host.runStep('De-identify: start', async () => {
    const copy = await host.duplicateFlattened(source.id, alternateId);
    const changed = await host.convertToSrgb(copy.id);
    return { doc: changed ? { ...copy, profile: SRGB_PROFILE } : copy, converted: changed };
  });
  const startedAt = now().toISOString();
  const steps: Step[] = converted ? [{ op: 'convert-to-srgb', at: startedAt }] : [];
  return { alternateId, source: { id: source.id, title: source.title }, doc, steps, startedAt };
}
