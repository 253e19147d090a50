import * as fs from 'node:fs';
import { residualCheck, type ResidualCheck } from '../../core/detect/residual';
import { recordedRegions } from '../../core/pixels/recorded-regions';
import { parseSidecar } from '../../core/sidecar/schema';
import type { Step } from '../../core/sidecar/types';
import { sidecarPathFor } from '../inputs';
import { decodePixels } from '../pixels-io';
import type { VerifyFileResult } from '../tasks/types';
import { errorText } from '../tasks/verify-file';
import { Detectors } from './detector';

/** The obscured regions a sidecar beside the image records, in the exported picture's coordinates. */
function obscuredRegions(imagePath: string): Step[] {
  let text: string;
  try {
    text = fs.readFileSync(sidecarPathFor(imagePath), 'utf8');
  } catch {
    return [];
  }
  try {
    return recordedRegions(parseSidecar(text));
  } catch {
    // verify has already reported a sidecar that does not parse; it vouches for no region.
    return [];
  }
}

/**
 * `deid verify --pixels` (issue 11): runs the detectors on every image verify read and reports
 * each face or text region that no obscured region of its sidecar covers (every one, for an
 * image without a sidecar), through core/detect/residual.ts as the review page does. The pixels
 * are read as stored, without EXIF orientation, because that is the grid sidecar regions are
 * recorded in. The detectors load once for the batch; if
 * they are not installed this throws the "not available" DeidError before anything is changed.
 */
export async function addPixelFindings(results: VerifyFileResult[], detectors?: Detectors): Promise<void> {
  const todo = results.filter((r) => !r.error && !r.skipped && r.format !== null);
  if (todo.length === 0) return;
  const d = detectors ?? (await Detectors.load());
  for (const r of todo) {
    const obscuring = obscuredRegions(r.path);
    let check: ResidualCheck;
    try {
      const pixels = await decodePixels(fs.readFileSync(r.path), { orient: false });
      check = await residualCheck(pixels, obscuring, d);
    } catch (e) {
      r.error = `pixels could not be checked: ${errorText(e)}`;
      r.clean = false;
      continue;
    }
    r.findings.push(...check.findings);
    r.detector = check.notes;
    if (check.findings.length > 0) r.clean = false;
  }
}

