import { isDeidError } from '../core/errors';
import { DeidHostError, isDeidHostError } from '../actions/host';

/** executeAsModal fails with this number when another plugin or a dialog holds the modal scope. */
export const BUSY_ERROR_NUMBER = 9;
/** Photoshop's "user cancelled" result code (batchPlay results, some DOM rejections). */
export const USER_CANCEL_RESULT = -128;

interface PhotoshopErrorLike {
  message?: unknown;
  number?: unknown;
  result?: unknown;
}

function asErrorLike(e: unknown): PhotoshopErrorLike {
  return typeof e === 'object' && e !== null ? (e as PhotoshopErrorLike) : { message: String(e) };
}

const CANCELLED = 'Cancelled: the document is as it was before this step.';

/** The user cancelled (executeasmodal.md "User cancellation": `isCancelled` on the context). */
export function cancelledError(detail?: string): DeidHostError {
  return new DeidHostError('cancelled', CANCELLED, detail);
}

/**
 * Turns whatever crossed the Photoshop boundary into a typed error with a message for the
 * panel (UXP drops uncaught errors silently, so nothing may escape untyped). Our own typed
 * errors (host and core) pass through unchanged.
 */
export function toHostError(e: unknown): Error {
  if (isDeidHostError(e) || isDeidError(e)) return e;
  const err = asErrorLike(e);
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (err.number === BUSY_ERROR_NUMBER) {
    return new DeidHostError('busy', 'Photoshop is busy with another task or dialog. Finish or close it, then try again.', message);
  }
  // A cancel is recognised by Photoshop's result code, never by the wording of a message;
  // inside the modal scope runModal also asks the context (modal.ts).
  if (err.number === USER_CANCEL_RESULT || err.result === USER_CANCEL_RESULT) return cancelledError(message);
  return new DeidHostError('host', `Photoshop could not complete the step: ${message}`, message);
}
