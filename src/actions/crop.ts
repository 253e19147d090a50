import type { Step } from '../core/sidecar/types';
import { DeidHostError, type Host } from './host';
import type { Session } from './session';
import { requireWorkingCopy } from './working-copy';

/** Crops the working copy to the selection's bounding box (one history step). */
export async function cropToSelection(host: Host, session: Session, now: () => Date = () => new Date()): Promise<Step> {
  const doc = await requireWorkingCopy(host, session);
  const step = await host.runStep(
    'De-identify: crop',
    async () => {
      const selection = await host.selection(doc.id);
      if (!selection) throw new DeidHostError('no-selection', 'Select the part of the photograph to keep, then press Crop.');
      await host.crop(doc.id, selection.bounds);
      const crop: Step = { op: 'crop', region: selection.bounds, at: now().toISOString() };
      return crop;
    },
    { historyOf: doc.id },
  );
  const region = step.region as NonNullable<Step['region']>;
  session.doc = { ...session.doc, width: region.w, height: region.h };
  session.steps.push(step);
  return step;
}
