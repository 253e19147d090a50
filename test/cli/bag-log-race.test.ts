import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';
import { deid } from './run';

// Two people bag into one study log that does not exist yet. The first run creates it; the
// second opens it (it exists, empty); the first then stops before writing its record (Ctrl-C, a
// full transfer drive) and removes the empty log it created (bag-log.ts abandonLog). The second
// run's record then went into a file no path reached any more: its bag was made, it exited 0,
// and the study's log held no line for it (no log at all).
// Here the interleaving is fixed by holding each run at its first payload hash.
type Gate = { reached: Promise<void>; reach: () => void; release: Promise<void>; open: (fail?: Error) => void };
function gate(): Gate {
  let reach!: () => void;
  let open!: (fail?: Error) => void;
  const reached = new Promise<void>((r) => (reach = r));
  const release = new Promise<void>((res, rej) => (open = (fail) => (fail ? rej(fail) : res())));
  release.catch(() => undefined);
  return { reached, reach, release, open };
}
const gates = new Map<string, Gate>();
jest.mock('../../src/cli/bag-store', () => {
  const actual = jest.requireActual('../../src/cli/bag-store');
  return {
    ...actual,
    digestFile: async (file: string, algorithms: any) => {
      for (const [key, g] of gates) {
        if (file.includes(key)) {
          gates.delete(key);
          g.reach();
          await g.release;
        }
      }
      return actual.digestFile(file, algorithms);
    },
  };
});

async function exportsIn(dir: string): Promise<void> {
  const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', dir, '--json');
  expect(r.code).toBe(0);
  await signOffSidecarFile(JSON.parse(r.stdout).image.replace(/\.jpg$/, '.deid.json'));
}

test('a run that stops and removes the empty log it created does not lose the record of a run that opened the log meanwhile', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-lograce-'));
  try {
    await exportsIn(path.join(work, 'ex-first'));
    await exportsIn(path.join(work, 'ex-second'));
    const log = path.join(work, 'study.log');
    const first = gate();
    const second = gate();
    gates.set('.bag-first.', first);
    gates.set('.bag-second.', second);
    const args = (name: string) => ['bag', 'create', path.join(work, `ex-${name}`), '--out', path.join(work, `bag-${name}`), '--recipient', 'Lab', '--method', 'USB', '--log', log];
    const a = deid(...args('first'));
    await first.reached; // the first run has created the log and is writing its bag
    expect(fs.existsSync(log)).toBe(true);
    const b = deid(...args('second'));
    await second.reached; // the second has opened the log and is writing its bag
    first.open(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const ra = await a;
    expect(ra.code).toBe(2);
    second.open();
    const rb = await b;
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].event).toBe('bag-create');
    expect(lines[0].bag).toBe(path.join(work, 'bag-second'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
