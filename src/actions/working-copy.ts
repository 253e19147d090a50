import { DeidHostError, type DocumentInfo, type Host, type StepContext } from './host';
import type { Session } from './session';

/** The working copy, checked to be the document in front (the user may have switched). */
export async function requireWorkingCopy(host: Host, session: Session): Promise<DocumentInfo> {
  const active = await host.activeDocument();
  if (!active) {
    throw new DeidHostError('no-document', `The working copy ${session.alternateId} is no longer open. Press Start again on the original photograph.`);
  }
  if (active.id !== session.doc.id) {
    throw new DeidHostError(
      'not-working-copy',
      `Switch to the working copy "${session.alternateId}" first: the steps only change that document, never the original.`,
    );
  }
  return active;
}

/** Throws the cancel error the host turns into a rollback of the whole step. */
export function throwIfCancelled(ctx: StepContext): void {
  if (ctx.isCancelled) throw new DeidHostError('cancelled', 'Cancelled: the document is as it was before this step.');
}

/**
 * Lets the host process events (the Cancel button) between chunks of pixel work; a modal
 * scope that never yields cannot be cancelled.
 */
export function yieldToHost(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
