import { isDeidError } from '../../core/errors';
import { sha256Hex } from '../../core/hash';
import { residualCheck, type DetectorRunner } from '../../core/detect/residual';
import { recordedRegions } from '../../core/pixels/recorded-regions';
import { parseSidecar } from '../../core/sidecar/schema';
import type { PixelsResponse } from '../../review/api-types';
import { decodePixels } from '../pixels-io';
import { readRegularFile, type IndexedExport } from './folder-index';
import { MAX_IMAGE_BYTES, MAX_SIDECAR_BYTES, revisionOf } from './reverify';
import { HttpError } from './security';

/** Loads the detectors; the default imports them only when a page first asks (they are optional packages). */
export type DetectorLoader = () => Promise<DetectorRunner>;

export const loadInstalledDetectors: DetectorLoader = () => import('../detect/detector').then((m) => m.Detectors.load());

/** Answers kept per (image bytes, sidecar) pair: reopening an unchanged export does not detect again. */
const MAX_CACHED = 200;

function errorText(e: unknown): string {
  return isDeidError(e) ? e.message : e instanceof Error ? e.message : String(e);
}

/**
 * The review server's residual check (issue 11), the same check as `deid verify --pixels`
 * (core/detect/residual.ts). The detectors load once, on the first request, and are shared by
 * every later one; a failed load (packages not installed) is kept, so every request gets the
 * same "detection is not available" answer without retrying. Detection is CPU-heavy, so requests
 * run one at a time, in the order they came.
 */
export class PixelChecker {
  private detectors: Promise<DetectorRunner> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, PixelsResponse>();

  constructor(private readonly load: DetectorLoader = loadInstalledDetectors) {}

  /** `revision` (the page's, ?rev=): refused (409) unless the files on disk are still those. */
  check(entry: IndexedExport, revision?: string): Promise<PixelsResponse> {
    const run = (): Promise<PixelsResponse> => this.run(entry, revision);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(entry: IndexedExport, revision: string | undefined): Promise<PixelsResponse> {
    let sidecarBytes: Buffer;
    let imageBytes: Buffer;
    try {
      sidecarBytes = readRegularFile(entry.sidecarPath, MAX_SIDECAR_BYTES);
      if (!entry.imagePath) throw new Error('no image');
      imageBytes = readRegularFile(entry.imagePath, MAX_IMAGE_BYTES);
    } catch {
      throw new HttpError(404, 'the image or its sidecar cannot be read');
    }
    // The boxes are drawn over the image of the page's revision: they must be found in that one.
    if (revision !== undefined && revisionOf(sidecarBytes, imageBytes) !== revision) {
      throw new HttpError(409, 'the export changed on disk since the page read it: reload it');
    }
    let steps;
    try {
      steps = recordedRegions(parseSidecar(sidecarBytes.toString('utf8')));
    } catch (e) {
      throw new HttpError(422, `the sidecar cannot be read, so no region can be counted as covering anything (${errorText(e)})`);
    }
    const key = `${sha256Hex(imageBytes)}:${sha256Hex(sidecarBytes)}`;
    const cached = this.cache.get(key);
    if (cached) return { ...cached, id: entry.id };
    this.detectors ??= this.load();
    let detectors: DetectorRunner;
    try {
      detectors = await this.detectors;
    } catch (e) {
      // "detection is not available: ..." (detect/optional.ts) says what to install.
      throw new HttpError(503, errorText(e));
    }
    let answer: PixelsResponse;
    try {
      const pixels = await decodePixels(imageBytes, { orient: false });
      const check = await residualCheck(pixels, steps, detectors);
      answer = {
        id: entry.id,
        found: { faces: check.found.filter((d) => d.kind === 'face').length, text: check.found.filter((d) => d.kind === 'text').length },
        uncovered: check.uncovered.map(({ detection: d, share }, i) => ({ kind: d.kind, box: { ...d.box }, score: d.score, covered: share, detail: check.findings[i]!.detail })),
        notes: check.notes,
      };
    } catch (e) {
      throw new HttpError(422, `the pixels could not be checked: ${errorText(e)}`);
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, answer);
    return answer;
  }
}
