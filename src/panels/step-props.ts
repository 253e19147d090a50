import type { Host, OutputFolder, Session } from '../actions';
import type { Policy } from '../core/policy/types';
import type { Runner } from './use-runner';

/** What every step of the panel receives from App. */
export interface StepProps {
  host: Host;
  policy: Policy;
  runner: Runner;
  toolVersion: string;
  session: Session | null;
  setSession(session: Session | null): void;
  /** The export folder, shared by Finish, Review and the linkage check. */
  folder: OutputFolder | null;
  setFolder(folder: OutputFolder | null): void;
  /** Re-render after an action changed the (mutable) session in place. */
  sessionChanged(): void;
}
