import type { Step } from '../core/sidecar/types';
import type { DocumentInfo } from './host';

/**
 * One de-identification in progress: the working copy and the steps applied to it so far.
 * Steps are recorded in the image's coordinates AT THE TIME each step ran, which is the recipe
 * rule of core/pixels/apply.ts (a crop moves the origin for later steps); without a crop that
 * is simply the exported image's coordinates.
 */
export interface Session {
  readonly alternateId: string;
  /** The document the copy was made from. Only the optional linkage record ever shows it. */
  readonly source: { readonly id: number; readonly title: string };
  /** The working copy; width and height follow crops. */
  doc: DocumentInfo;
  steps: Step[];
  readonly startedAt: string;
}
