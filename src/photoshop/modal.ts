import { core } from 'photoshop';
import type { ExecuteAsModalOptions, ExecutionContext, HistorySuspension } from 'photoshop/dom/CoreModules';
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
 * On failure the document is rolled back by the two documented means: resumeHistory with
 * commit = false (executeasmodal.md "resumeHistory": "roll back the document state to the point
 * at which it was suspended"), AND leaving the target function by an exception ("If the target
 * function exits via an exception, then all unsuspended history states are cancelled"; a normal
 * return commits them). The second matters after a user cancel, when "JavaScript cannot make
 * any further document changes until it returns from the modal scope" and resumeHistory itself
 * may raise.
 *
 * executeasmodal.md gives no promise that an error thrown by the target function keeps its
 * type on the way out, so the typed error (judged inside, while the context still says whether
 * the user cancelled) is kept here and thrown in place of whatever executeAsModal rejects with.
 * Errors from executeAsModal itself (busy: number 9) are typed by toHostError.
 */
export async function runModal<T>(name: string, fn: (ctx: StepContext) => Promise<T>, historyOf?: number): Promise<T> {
  const options: ModalOptions = { commandName: name, interactive: false, timeOut: MODAL_WAIT_SECONDS };
  let failure: Error | null = null;
  try {
    return await core.executeAsModal(async (exec): Promise<T> => {
      const ctx = toStepContext(exec);
      let suspension: HistorySuspension | null = null;
      try {
        if (historyOf !== undefined) suspension = await exec.hostControl.suspendHistory({ documentID: historyOf, name });
        const value = await fn(ctx);
        if (suspension) await exec.hostControl.resumeHistory(suspension, true);
        return value;
      } catch (e) {
        failure = classify(e, exec);
        if (suspension) {
          try {
            await exec.hostControl.resumeHistory(suspension, false);
          } catch {
            // Refused (after a cancel) or the document is gone: the exception below still
            // cancels the suspension.
          }
        }
        throw failure;
      }
    }, options);
  } catch (e) {
    throw failure ?? toHostError(e);
  }
}
