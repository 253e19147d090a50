import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allFiles } from '../helpers/files';
import { REPO, SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { signOffSidecarFile } from '../helpers/signoff';
import { deid } from './run';

/**
 * What bag create and bag verify write beside the bag (the transfer log, the receipt) and what
 * they put in bag-info.txt: every path is checked before the bag is made or read, the bag and the
 * exports are never written into, and a log that fails after the bag exists is said as such.
 */
let work: string;
let exportsDir: string;
let bag: string;
let id: string;

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(allFiles(dir).map((f) => [path.relative(dir, f), createHash('sha256').update(fs.readFileSync(f)).digest('hex')]));
}

const createArgs = (out: string, ...more: string[]) => ['bag', 'create', exportsDir, '--out', out, '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive', ...more];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bag-out-'));
  exportsDir = path.join(work, 'exports');
  const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', exportsDir, '--json');
  expect(r.code).toBe(0);
  id = path.basename(JSON.parse(r.stdout).image).replace(/\.jpg$/, '');
  signOffSidecarFile(path.join(exportsDir, `${id}.deid.json`));
  bag = path.join(work, 'bag');
  expect((await deid(...createArgs(bag))).code).toBe(0);
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs a command that must be refused with exit 2 and the message, changing no file under `work`. */
async function refused(args: string[], message: RegExp): Promise<void> {
  const before = snapshot(work);
  const r = await deid(...args);
  expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
  expect(r.stderr).toMatch(message);
  expect(snapshot(work)).toEqual(before);
  expect(fs.readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);
}

describe('bag create --log is checked before the bag is made', () => {
  test('a folder, a path under a file, a missing folder or an empty path: refused, no bag, and a good --log then works', async () => {
    const out = path.join(work, 'bagL');
    const file = path.join(work, 'plain.txt');
    fs.writeFileSync(file, 'x');
    await refused(createArgs(out, '--log', work), /--log .* is a folder; name the log file/);
    await refused(createArgs(out, '--log', path.join(file, 't.log')), /--log .*t\.log: .*plain\.txt is not a folder/);
    await refused(createArgs(out, '--log', path.join(work, 'no-such-folder', 't.log')), /--log .*t\.log: the folder .*no-such-folder does not exist; create it first/);
    await refused(createArgs(out, '--log', ''), /--log needs a path; an empty one was given/);
    expect(fs.existsSync(out)).toBe(false);
    fs.rmSync(file);

    const log = path.join(work, 'transfers.log');
    const r = await deid(...createArgs(out, '--log', log));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l).event)).toEqual(['bag-create']);
    fs.rmSync(out, { recursive: true });
    fs.rmSync(log);
  });

  test('an existing file that is not a deid transfer log (a photo, a sidecar) is never appended to', async () => {
    const photo = path.join(work, 'photo.jpg');
    fs.copyFileSync(SAMPLE, photo);
    await refused(createArgs(path.join(work, 'bagP'), '--log', photo), /--log .*photo\.jpg is not a deid transfer log/);
    await refused(createArgs(path.join(work, 'bagP'), '--log', path.join(exportsDir, `${id}.deid.json`)), /is not a deid transfer log/);
    fs.rmSync(photo);
  });

  test('a --log inside the bag being made is refused', async () => {
    const out = path.join(work, 'bagIn');
    await refused(createArgs(out, '--log', path.join(out, 't.log')), /--log .* is inside the bag/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a log that fails after the bag is made: the bag is said to be written but not logged, with a non-zero exit', () => {
    // A log past the file-size limit (ulimit -f) takes no more bytes (EFBIG) once the bag, far
    // smaller, is in place: an append that fails only at the end, as a full disk would.
    const log = path.join(work, 'full.log');
    const line = `${JSON.stringify({ event: 'bag-create', date: '2026-01-01T00:00:00.000Z' })}\n`;
    fs.writeFileSync(log, line.repeat(Math.ceil((4 << 20) / line.length)));
    const out = path.join(work, 'bagF');
    const args = createArgs(out, '--log', log).map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('sh', ['-c', `ulimit -f 2048 && exec '${process.execPath}' '${path.join(REPO, 'bin', 'deid.js')}' ${args}`], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the bag was written to .*bagF.* but NOT logged/);
    expect(r.stderr).toMatch(/EFBIG/);
    expect(r.stderr).not.toMatch(/nothing written/);
    expect(r.stderr).toContain('"event":"bag-create"');
    expect(fs.existsSync(path.join(out, 'bag-info.txt'))).toBe(true);
    expect(spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'bag', 'verify', out]).status).toBe(0);
    fs.rmSync(out, { recursive: true });
    fs.rmSync(log);
  });
});

describe('bag verify never writes over a file or into the bag', () => {
  test('an existing --receipt is refused and left as it was', async () => {
    const existing = path.join(work, 'tlog.log');
    fs.writeFileSync(existing, 'a study log\n');
    await refused(['bag', 'verify', bag, '--receipt', existing, '--receiver', 'X'], /--receipt .*tlog\.log already exists and is never written over; choose another name or remove it/);
    await refused(['bag', 'verify', bag, '--receipt', work, '--receiver', 'X'], /--receipt .* is a folder/);
    await refused(['bag', 'verify', bag, '--receipt', '', '--receiver', 'X'], /--receipt needs a path; an empty one was given/);
    fs.rmSync(existing);
  });

  test('a --log inside the bag is refused, whether it exists (a sidecar) or not', async () => {
    await refused(['bag', 'verify', bag, '--log', path.join(bag, 'data', `${id}.deid.json`)], /--log .*\.deid\.json is inside the bag; a bag is never modified/);
    await refused(['bag', 'verify', bag, '--log', path.join(bag, 'check.log')], /--log .* is inside the bag/);
    await refused(['bag', 'verify', bag, '--log', path.join(bag, 'data', '..', '..', path.basename(bag), 'x.log')], /is inside the bag/);
    await refused(['bag', 'verify', bag, '--log', ''], /--log needs a path; an empty one was given/);
  });

  test('--receipt and --log naming one file is refused; apart, both are written', async () => {
    const same = path.join(work, 'same.json');
    await refused(['bag', 'verify', bag, '--receipt', same, '--receiver', 'X', '--log', same], /--receipt and --log name the same file/);
    const receipt = path.join(work, 'receipt.json');
    const log = path.join(work, 'checks.log');
    const r = await deid('bag', 'verify', bag, '--receipt', receipt, '--receiver', 'X', '--log', log);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(receipt, 'utf8')).result).toBe('valid');
    expect(JSON.parse(fs.readFileSync(log, 'utf8')).event).toBe('bag-receipt');
    fs.rmSync(receipt);
    fs.rmSync(log);
  });
});

describe('bag create usage', () => {
  test('an impossible --transfer-date is refused; 29 February of a leap year is a date', async () => {
    for (const date of ['2024-13-01', '2024-02-30', '2023-02-29', '2024-00-10', '2024-04-31']) {
      await refused(createArgs(path.join(work, 'bagD'), '--transfer-date', date), /--transfer-date .* is not a date on the calendar/);
    }
    const out = path.join(work, 'bagLeap');
    expect((await deid(...createArgs(out, '--transfer-date', '2024-02-29'))).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'bag-info.txt'), 'utf8')).toMatch(/^Transfer-Date: 2024-02-29$/m);
    fs.rmSync(out, { recursive: true });
  });

  test('an empty --out is a usage error that says so', async () => {
    await refused(createArgs(''), /--out needs a path; an empty one was given/);
  });
});
