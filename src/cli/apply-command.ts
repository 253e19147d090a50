import { promises as fs } from 'node:fs';
import { isDeidError } from '../core/errors';
import { detectContainer } from '../core/metadata/registry';
import { applyRecipe } from './apply';
import { EXIT_USAGE, type Io } from './io';
import { readPolicy } from './options';
import { errorText } from './tasks/verify-file';
import { withoutByteOrderMark } from '../core/text';
import { isBlank } from './output-paths';

export interface ApplyOptions {
  out: string;
  format: 'jpeg' | 'png';
  policy?: string;
  json?: boolean;
}

/** `deid apply <recipe> <image> --out <dir>` (DESIGN.md "Command line contract"). */
export async function applyCommand(recipe: string, image: string, opts: ApplyOptions, io: Io): Promise<number> {
  const usage = (why: string) => {
    io.err(`deid apply: nothing written: ${why}`);
    return EXIT_USAGE;
  };
  if (isBlank(opts.out)) return usage('--out is empty: name the folder to write the export and its sidecar into');
  const outStat = await fs.stat(opts.out).catch(() => null);
  if (outStat && !outStat.isDirectory()) return usage(`--out ${opts.out} is a file, not a folder: name the folder to write the export and its sidecar into`);
  let recipeBytes: Uint8Array;
  let imageBytes: Uint8Array;
  try {
    recipeBytes = await fs.readFile(recipe);
    imageBytes = await fs.readFile(image);
  } catch (e) {
    io.err(`deid apply: cannot read input: ${errorText(e)}`);
    return EXIT_USAGE;
  }
  if (imageBytes.length === 0) return usage(`${image} is empty: there is no image to de-identify`);
  const swapped = detectContainer(recipeBytes);
  if (swapped) return usage(`${recipe} is a ${swapped.format.toUpperCase()} image, not a recipe: the recipe comes first, then the image (deid apply <recipe> <image> --out <dir>)`);
  const recipeText = withoutByteOrderMark(Buffer.from(recipeBytes).toString('utf8'));
  try {
    const policy = await readPolicy(opts.policy);
    const result = await applyRecipe({ recipeText, imageBytes, outDir: opts.out, format: opts.format, policy });
    if (opts.json) io.out(JSON.stringify({ alternateId: result.alternateId, image: result.imagePath, sidecar: result.sidecarPath }, null, 2));
    else io.out(`wrote ${result.imagePath} and ${result.sidecarPath}`);
    return 0;
  } catch (e) {
    io.err(`deid apply: nothing written: ${errorText(e)}`);
    // An image this build cannot decode (HEVC HEIC) is an input problem, as a missing one is.
    if (isDeidError(e) && (e.code === 'schema' || e.code === 'usage' || e.code === 'unsupported')) return EXIT_USAGE;
    if (isDeidError(e)) return 1;
    // Unreadable or undecodable image: an input problem, not a finding.
    return EXIT_USAGE;
  }
}
