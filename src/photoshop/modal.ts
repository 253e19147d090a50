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
 *
 * Documents the step opened or created (keepIfStepSucceeds) are unregistered from Photoshop's
 * auto-close when the step succeeds and closed without saving when it fails; after a user
 * cancel, when no closing call is allowed, Photoshop closes them as the scope ends
 * (executeasmodal.md "Automatic document closing").
 */
export async function runModal<T>(name: string, fn: (ctx: StepContext) => Promise<T>, historyOf?: number): Promise<T> {
  const options: ModalOptions = { commandName: name, interactive: false, timeOut: MODAL_WAIT_SECONDS };
  let failure: Error | null = null;
  try {
    return await core.executeAsModal(async (exec): Promise<T> => {
      const ctx = toStepContext(exec);
      const scope: Scope = { exec, provisional: [] };
      current = scope;
      let suspension: HistorySuspension | null = null;
      try {
        if (historyOf !== undefined) suspension = await exec.hostControl.suspendHistory({ documentID: historyOf, name });
        const value = await fn(ctx);
        if (suspension) await exec.hostControl.resumeHistory(suspension, true);
        // The step succeeded: the documents it made are kept (executeasmodal.md "Automatic
        // document closing": "If the method succeeds then the document is unregistered").
        for (const d of scope.provisional.splice(0)) await exec.hostControl.unregisterAutoCloseDocument(d.id);
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
        for (const d of scope.provisional.splice(0).reverse()) await closeNow(exec, d);
        throw failure;
      } finally {
        current = null;
      }
    }, options);
  } catch (e) {
    throw failure ?? toHostError(e);
  }
}

/** A document the adapter opened or created, as far as closing it goes (document.md). */
export interface Closable {
  readonly id: number;
  closeWithoutSaving(): void;
}

interface Scope {
  exec: ExecutionContext;
  /** Documents made in this scope that are closed unless the step succeeds. */
  provisional: Closable[];
}

/** The modal scope runModal is in, while its function runs (scopes do not nest here). */
let current: Scope | null = null;

function scopeFor(what: string): Scope {
  if (!current) throw new Error(`${what} needs the modal scope (runModal)`);
  return current;
}

/**
 * Closes a document registered for auto-close without saving, now. It is unregistered first
 * (what the auto-close does with a document that is already gone is not documented); when
 * Photoshop refuses either call (after a user cancel: executeasmodal.md "Automatic document
 * closing", "JavaScript cannot make any further document changes until it returns from the
 * modal scope") it stays, or is put back, on the auto-close list and Photoshop closes it when
 * the scope ends.
 */
async function closeNow(exec: ExecutionContext, d: Closable): Promise<void> {
  try {
    await exec.hostControl.unregisterAutoCloseDocument(d.id);
  } catch {
    return;
  }
  try {
    d.closeWithoutSaving();
  } catch {
    try {
      await exec.hostControl.registerAutoCloseDocument(d.id);
    } catch {
      // Nothing else documented is left to try.
    }
  }
}

/**
 * A document just opened or created by the current step: it is closed without saving unless
 * the step succeeds (a failure or a user cancel included). executeasmodal.md "Automatic
 * document closing": "JavaScript can register one or more documents to be automatically closed
 * without saving when the modal scope ends" (hostControl.registerAutoCloseDocument), "This
 * allows JavaScript to create a complete document, or close the document is the user cancels";
 * runModal also closes it itself on failure (document.md "closeWithoutSaving") and unregisters
 * it on success. If registering itself fails, the document is closed at once and the error
 * goes on.
 */
export async function keepIfStepSucceeds(d: Closable): Promise<void> {
  const scope = scopeFor('keepIfStepSucceeds');
  try {
    await scope.exec.hostControl.registerAutoCloseDocument(d.id);
  } catch (e) {
    try {
      d.closeWithoutSaving();
    } catch {
      // Refused too (after a cancel): nothing documented is left.
    }
    throw e;
  }
  scope.provisional.push(d);
}

/**
 * Runs `use` on a document opened only for it and closes the document without saving however
 * `use` ends. Registered for auto-close while `use` runs (see keepIfStepSucceeds), so a user
 * cancel, after which no closing call is allowed, still closes it when the scope ends.
 */
export async function usingTemporaryDocument<T>(d: Closable, use: () => Promise<T>): Promise<T> {
  const scope = scopeFor('usingTemporaryDocument');
  await keepIfStepSucceeds(d);
  try {
    return await use();
  } finally {
    const i = scope.provisional.indexOf(d);
    if (i >= 0) {
      scope.provisional.splice(i, 1);
      await closeNow(scope.exec, d);
    }
  }
}
