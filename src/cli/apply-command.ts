import { promises as fs } from 'node:fs';
import { isDeidError } from '../core/errors';
import { applyRecipe } from './apply';
import { EXIT_USAGE, type Io } from './io';
import { readPolicy } from './options';
import { errorText } from './tasks/verify-file';

export interface ApplyOptions {
  out: string;
  format: 'jpeg' | 'png';
  policy?: string;
  json?: boolean;
}

/** `deid apply <recipe> <image> --out <dir>` (DESIGN.md "Command line contract"). */
export async function applyCommand(recipe: string, image: string, opts: ApplyOptions, io: Io): Promise<number> {
  let recipeText: string;
  let imageBytes: Uint8Array;
  try {
    recipeText = await fs.readFile(recipe, 'utf8');
    imageBytes = await fs.readFile(image);
  } catch (e) {
    io.err(`deid apply: cannot read input: ${errorText(e)}`);
    return EXIT_USAGE;
  }
  try {
    const policy = await readPolicy(opts.policy);
    const result = await applyRecipe({ recipeText, imageBytes, outDir: opts.out, format: opts.format, policy });
    if (opts.json) io.out(JSON.stringify({ alternateId: result.alternateId, image: result.imagePath, sidecar: result.sidecarPath }, null, 2));
    else io.out(`wrote ${result.imagePath} and ${result.sidecarPath}`);
    return 0;
  } catch (e) {
    io.err(`deid apply: nothing written: ${errorText(e)}`);
    if (isDeidError(e) && (e.code === 'schema' || e.code === 'usage')) return EXIT_USAGE;
    if (isDeidError(e)) return 1;
    // Unreadable or undecodable image: an input problem, not a finding.
    return EXIT_USAGE;
  }
}
