import { core } from 'photoshop';
import type { ExecuteAsModalOptions, ExecutionContext } from 'photoshop/dom/CoreModules';
import type { StepContext } from '../actions/host';
import { cancelledError, toHostError } from './errors';

/**
 * How long executeAsModal keeps retrying while another plugin or a dialog holds the modal
 * scope, IN SECONDS: AdobeDocs/uxp-photoshop ps-reference/objects/returnobjects/
 * executeasmodaloptions.md ("retry until this duration of seconds has passed", 25.10) and
 * media/executeasmodal.md "Options parameter" ("Defaults to one second"). A few seconds covers
 * a short clash without leaving the panel locked. The option is missing from
 * @types/photoshop's ExecuteAsModalOptions, hence the widened type below.
 */
export const MODAL_WAIT_SECONDS = 3;

type ModalOptions = ExecuteAsModalOptions & { timeOut: number };

/** What leaves the modal function: never a throw, so no error type has to survive the crossing. */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

function toStepContext(exec: ExecutionContext): StepContext {
  return {
    reportProgress(fraction: number): void {
      exec.reportProgress({ value: Math.min(1, Math.max(0, fraction)) });
    },
    get isCancelled(): boolean {
      return exec.isCancelled;
    },
  };
}

/** The typed error for whatever `fn` threw, judged while the context still says whether the user cancelled. */
function classify(e: unknown, exec: ExecutionContext): Error {
  const typed = toHostError(e);
  // executeasmodal.md "User cancellation": after a cancel, Photoshop calls raise exceptions of
  // their own; isCancelled is what says it was the user.
  return exec.isCancelled ? cancelledError(typed.message) : typed;
}

/**
 * The ONE place that enters Photoshop's modal scope. With `historyOf`, everything `fn` does to
 * that document is one history step named `name`.
 *
 * Errors are caught INSIDE the modal scope (executeasmodal.md gives no promise that an error
 * thrown by the target function keeps its type on the way out), the suspension is resumed with
 * commit = false, which rolls the document back (executeasmodal.md "resumeHistory": "roll back
 * the document state to the point at which it was suspended"), and the typed error is carried
 * out as a value and thrown here. Errors from executeAsModal itself (busy: number 9) are typed
 * by toHostError.
 */
export async function runModal<T>(name: string, fn: (ctx: StepContext) => Promise<T>, historyOf?: number): Promise<T> {
  const options: ModalOptions = { commandName: name, interactive: false, timeOut: MODAL_WAIT_SECONDS };
  let outcome: Outcome<T>;
  try {
    outcome = await core.executeAsModal(async (exec): Promise<Outcome<T>> => {
      const ctx = toStepContext(exec);
      const suspension = historyOf === undefined ? null : await exec.hostControl.suspendHistory({ documentID: historyOf, name });
      try {
        const value = await fn(ctx);
        if (suspension) await exec.hostControl.resumeHistory(suspension, true);
        return { ok: true, value };
      } catch (e) {
        const error = classify(e, exec);
        if (suspension) {
          try {
            await exec.hostControl.resumeHistory(suspension, false);
          } catch {
            // The document may be gone; the original error is what the user needs to see.
          }
        }
        return { ok: false, error };
      }
    }, options);
  } catch (e) {
    throw toHostError(e);
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
