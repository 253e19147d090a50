import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';
import { distinctRecipe } from '../helpers/distinct-recipe';
import { deid } from './run';

// bag create re-verifies every export, then copies them all into the bag. With many exports the
// copies are made long after the first was verified, and a folder someone still works in (a
// colleague re-exporting, a sync client, a script copying originals in) can change meanwhile.
// The bag was written from whatever the files held at copy time: an export swapped for the
// original photo after its check went into the bag, and create said it was verified and logged it.
// Here the swap happens deterministically right after the export's verification.
const swap: { target: string | null } = { target: null };
jest.mock('../../src/cli/tasks/verify-file', () => {
  const actual = jest.requireActual('../../src/cli/tasks/verify-file');
  return {
    ...actual,
    verifyFile: async (...args: any[]) => {
      const result = await actual.verifyFile(...args);
      if (swap.target !== null && args[0].file.path === swap.target) fs.copyFileSync(SAMPLE, swap.target);
      return result;
    },
  };
});

test('an export changed after bag create verified it is refused; nothing is written', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bagswap-'));
  try {
    const exportsDir = path.join(work, 'exports');
    const images: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await deid('apply', distinctRecipe(work, i), SAMPLE, '--out', exportsDir, '--json');
      expect(r.code).toBe(0);
      images.push(JSON.parse(r.stdout).image);
    }
    for (const image of images) await signOffSidecarFile(image.replace(/\.jpg$/, '.deid.json'));
    swap.target = images[0]!;
    const bag = path.join(work, 'bag');
    const log = path.join(work, 'transfers.log');
    const r = await deid('bag', 'create', exportsDir, '--out', bag, '--recipient', 'Lab', '--method', 'USB', '--log', log);
    swap.target = null;
    expect(r.stderr).toMatch(/nothing written/);
    expect(r.stderr).toContain(path.basename(images[0]!));
    expect(r.stderr).toMatch(/changed after it was verified/);
    expect(r.code).toBe(1);
    expect(fs.existsSync(bag)).toBe(false);
    expect(fs.readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);
    expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').toBe('');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
