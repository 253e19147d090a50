/** What a selected region shows (DESIGN.md; `text` covers names, numbers, barcodes, QR codes;
 *  `mark` covers tattoos, scars, birthmarks). */
export const REGION_KINDS = ['face', 'text', 'mark', 'other'] as const;
export type RegionKind = (typeof REGION_KINDS)[number];

/**
 * The strength policy (research/deid-threats.md section 1). Data, so an institution can load a
 * stricter JSON file; anything weaker than the hard limits is rejected.
 */
export interface Policy {
  policyVersion: 1;
  /** At most this many mosaic cells across the SHORTER side of a region (default 5, ceiling 6). */
  maxCellsAcross: number;
  /** Absolute floor on the mosaic cell size in pixels (default 8). */
  minCellSize: number;
  /** Region kinds for which mosaic is allowed at all (never `text`). */
  mosaicKinds: RegionKind[];
  /** Default overlay colour, "#rrggbb". */
  overlayColor: string;
  /** Largest image (pixels) apply and verify decode; core/limits.ts default when absent. */
  maxPixels?: number;
  /** Most steps a recipe or sidecar may hold; core/limits.ts default when absent. */
  maxSteps?: number;
}
