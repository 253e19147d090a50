import { core } from 'photoshop';
import type { ExecuteAsModalOptions, ExecutionContext } from 'photoshop/dom/CoreModules';
import type { StepContext } from '../actions/host';
import { toHostError } from './errors';

/**
 * How long executeAsModal waits for a busy modal scope before failing with error 9. The option
 * is documented by Adobe but missing from @types/photoshop's ExecuteAsModalOptions, hence the
 * widened type below (no cast needed: it is a declared subtype).
 */
const MODAL_WAIT_MS = 3000;

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

/**
 * The ONE place that enters Photoshop's modal scope. With `historyOf`, everything `fn` does to
 * that document is one history step named `name`; when `fn` throws (a cancel included) the
 * suspension is resumed WITHOUT commit, which rolls the document back. Photoshop also rolls a
 * suspension back by itself when the modal function throws; resuming explicitly makes the
 * result the same whichever way that behaves. Every error leaves as DeidHostError or DeidError.
 */
export async function runModal<T>(name: string, fn: (ctx: StepContext) => Promise<T>, historyOf?: number): Promise<T> {
  const options: ModalOptions = { commandName: name, interactive: false, timeOut: MODAL_WAIT_MS };
  try {
    return await core.executeAsModal(async (exec) => {
      const ctx = toStepContext(exec);
      if (historyOf === undefined) return fn(ctx);
      const suspension = await exec.hostControl.suspendHistory({ documentID: historyOf, name });
      let result: T;
      try {
        result = await fn(ctx);
      } catch (e) {
        try {
          await exec.hostControl.resumeHistory(suspension, false);
        } catch {
          // The document may be gone, or Photoshop already dropped the suspension: the
          // original error is what the user needs to see.
        }
        throw e;
      }
      await exec.hostControl.resumeHistory(suspension, true);
      return result;
    }, options);
  } catch (e) {
    throw toHostError(e);
  }
}
