import type { Step } from '../core/sidecar/types';
import { DeidHostError, SRGB_PROFILE, type ColorMode, type Host } from './host';
import type { Session } from './session';
import { newAlternateId } from '../core/sidecar/alternate-id';

/**
 * Colour modes Start cannot bring to RGB in one documented step (the working copy of any other
 * mode is changed to RGB: photoshop/document.ts toRgbMode). constants.md "ChangeMode" documents
 * only that colour images go through Grayscale on the way TO Bitmap; nothing says a Bitmap,
 * Duotone or Multichannel image converts straight to RGB, so the user does it, seeing the result.
 */
const REFUSED_MODES: Partial<Record<ColorMode, string>> = {
  bitmap: 'is a Bitmap (1-bit) image. Convert it to Grayscale first (Image > Mode > Grayscale), check it, and press Start again.',
  duotone: 'is a Duotone image. Convert it (Image > Mode > RGB Color), check the colours, and press Start again.',
  multichannel: 'is a Multichannel image. Convert it (Image > Mode > RGB Color), check the colours, and press Start again.',
  other: 'is not in a colour mode the panel knows. Convert it (Image > Mode > RGB Color) and press Start again.',
};

/**
 * Start: a flattened duplicate of the document in front, named by a new alternate id. Only the
 * duplicate is ever changed; the original is neither modified nor saved.
 */
export async function startWorkingCopy(host: Host, now: () => Date = () => new Date()): Promise<Session> {
  const source = await host.activeDocument();
  if (!source) throw new DeidHostError('no-document', 'Open the photograph in Photoshop first, then press Start.');
  const refused = REFUSED_MODES[source.mode];
  if (refused) throw new DeidHostError('unsupported', `"${source.title}" ${refused}`);
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
    return { doc: changed ? { ...copy, profile: SRGB_PROFILE, mode: 'rgb' as const } : copy, converted: changed };
  });
  const startedAt = now().toISOString();
  const steps: Step[] = converted ? [{ op: 'convert-to-srgb', at: startedAt }] : [];
  return { alternateId, source: { id: source.id, title: source.title }, doc, steps, startedAt };
}
