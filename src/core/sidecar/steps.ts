import { stepsInFinalCoordinates } from '../pixels/apply';
import type { Step } from './types';

/**
 * The steps as a sidecar records them (DESIGN.md "Sidecar": regions in the EXPORTED image's
 * coordinates). Crops come first, each in the coordinates current when it ran (a crop can only
 * be stated in the picture it cut); then every obscuring step with its region moved into the
 * final picture; then the remaining steps (flatten, export, strip) in their order.
 *
 * Replaying that list with applySteps (regions in the coordinates current at each step) lands
 * every region where the user put it, so a whole sidecar works as a recipe; and a verifier can
 * read obscured regions straight off the exported file. Pixels can differ from the original run
 * only in a mosaic cell cut by a later crop (its mean then covers only what was kept), and that
 * cell is still one flat colour.
 */
export function stepsForSidecar(steps: readonly Step[]): Step[] {
  const crops = steps.filter((s) => s.op === 'crop');
  const obscured = stepsInFinalCoordinates([...steps]);
  const rest = steps.filter((s) => s.op !== 'crop' && s.op !== 'pixelate' && s.op !== 'overlay');
  return [...crops, ...obscured, ...rest];
}
