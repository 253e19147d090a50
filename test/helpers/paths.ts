import * as path from 'node:path';

/** The shared corpus of real camera files (CI has shared/ beside the checkout). */
export const CORPUS = path.resolve(__dirname, '../../../shared/corpus/exif-samples');
export const REPO = path.resolve(__dirname, '../..');
export const SAMPLE = path.join(REPO, 'samples', 'patient-photo.jpg');
export const SAMPLE_RECIPE = path.join(REPO, 'samples', 'recipe.json');
