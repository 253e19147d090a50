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
  await signOffSidecarFile(path.join(exportsDir, `${id}.deid.json`));
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

/** The size limit `ulimit -f N` sets in sh, in bytes per N: 512 in dash, 1024 in bash. */
function ulimitBlockBytes(): number {
  const probe = path.join(work, 'ulimit-probe');
  spawnSync('sh', ['-c', `ulimit -f 1 && exec '${process.execPath}' -e "try { require('fs').writeFileSync(process.argv[1], Buffer.alloc(4096)) } catch {}" '${probe}'`]);
  const bytes = fs.statSync(probe).size;
  fs.rmSync(probe);
  return bytes;
}

const shellQuote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

describe('an append that fails part way leaves the log as it was', () => {
  test('a record cut off by the size limit (as on a full disk) is taken out again, and the next record is a line of its own', async () => {
    const limit = 2048 * ulimitBlockBytes();
    const log = path.join(work, 'nearly-full.log');
    const line = `${JSON.stringify({ event: 'bag-create', date: '2026-01-01T00:00:00.000Z' })}\n`;
    // Whole lines up to fewer bytes below the limit than a record holds: the record goes in part way.
    fs.writeFileSync(log, line.repeat(Math.floor((limit - 10) / line.length)));
    const before = fs.readFileSync(log);
    expect(limit - before.length).toBeLessThan(200);
    const out = path.join(work, 'bagPart');
    const args = createArgs(out, '--log', log).map(shellQuote).join(' ');
    const r = spawnSync('sh', ['-c', `ulimit -f 2048 && exec '${process.execPath}' '${path.join(REPO, 'bin', 'deid.js')}' ${args}`], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/the bag was written to .*bagPart.* but NOT logged.*EFBIG/);
    expect(r.status).toBe(2);
    expect(fs.readFileSync(log).equals(before)).toBe(true);

    // Space freed: the next record is appended as a whole line and every line parses.
    const out2 = path.join(work, 'bagPart2');
    expect((await deid(...createArgs(out2, '--log', log))).code).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).event).every((e) => e === 'bag-create')).toBe(true);
    expect(JSON.parse(lines[lines.length - 1]!).bag).toBe(out2);
    for (const o of [out, out2]) fs.rmSync(o, { recursive: true });
    fs.rmSync(log);
  });
});

describe('a bag create that is stopped leaves nothing beside --out', () => {
  // The preload sends the signal to the CLI itself right after the first file is copied into the
  // partial bag: mid-write every time, without racing a timer against a small bag.
  const preload = () => {
    const file = path.join(work, 'signal-mid-copy.js');
    fs.writeFileSync(file, `const fs = require('fs');
const copy = fs.copyFileSync;
let sent = false;
fs.copyFileSync = function (src, dest, mode) {
  const r = copy.call(this, src, dest, mode);
  if (!sent && String(dest).includes('.partial')) { sent = true; process.kill(process.pid, process.env.DEID_TEST_SIGNAL); }
  return r;
};
`);
    return file;
  };

  test.each([['SIGINT', 130], ['SIGTERM', 143]])('%s while the bag is written: the partial copy is removed, a line says nothing was written, exit %i', (signal, code) => {
    const out = path.join(work, `bagSig${signal}`);
    const log = path.join(work, `sig-${signal}.log`);
    const r = spawnSync(process.execPath, ['-r', preload(), path.join(REPO, 'bin', 'deid.js'), ...createArgs(out, '--log', log)], { encoding: 'utf8', env: { ...process.env, DEID_TEST_SIGNAL: signal } });
    expect([r.signal, r.status]).toEqual([null, code]);
    expect(r.stderr).toMatch(new RegExp(`stopped by ${signal}: nothing written`));
    expect(fs.existsSync(out)).toBe(false);
    // The log this run would have created is not left behind empty.
    expect(fs.existsSync(log)).toBe(false);
    expect(fs.readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);
  });

  test("a dead run's partial bag of the same --out on this host is removed; a live process's, another host's, another name's and an untagged one are left", async () => {
    const host = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const otherHost = host === '00000000' ? '11111111' : '00000000';
    const names = {
      dead: `.bagS.${host}-${deadPid}-0123456789ab.partial`,
      live: `.bagS.${host}-${process.ppid}-0123456789ab.partial`,
      otherHost: `.bagS.${otherHost}-${deadPid}-0123456789ab.partial`,
      otherName: `.bagS2.${host}-${deadPid}-0123456789ab.partial`,
      untagged: '.bagS.0123456789ab.partial',
    };
    for (const n of Object.values(names)) {
      fs.mkdirSync(path.join(work, n, 'data'), { recursive: true });
      fs.writeFileSync(path.join(work, n, 'data', 'x.jpg'), 'x');
    }
    const out = path.join(work, 'bagS');
    expect((await deid(...createArgs(out))).code).toBe(0);
    const left = fs.readdirSync(work).filter((n) => n.endsWith('.partial')).sort();
    expect(left).toEqual([names.live, names.otherHost, names.otherName, names.untagged].sort());
    for (const n of left) fs.rmSync(path.join(work, n), { recursive: true });
    fs.rmSync(out, { recursive: true });
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
    // A leap day after the exports were made (a transfer can only follow them).
    const leap = nextLeapDay();
    const out = path.join(work, 'bagLeap');
    expect((await deid(...createArgs(out, '--transfer-date', leap))).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'bag-info.txt'), 'utf8')).toMatch(new RegExp(`^Transfer-Date: ${leap}$`, 'm'));
    fs.rmSync(out, { recursive: true });
  });

  test('a --transfer-date before the exports were made (year 0000, 0024 for 2024) refuses them, naming each', async () => {
    for (const date of ['0000-01-01', '0024-06-01']) {
      const r = await deid(...createArgs(path.join(work, 'bagEarly'), '--transfer-date', date));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`exported \\S+, after the --transfer-date ${date}: a transfer cannot precede its exports`));
      expect(fs.existsSync(path.join(work, 'bagEarly'))).toBe(false);
    }
    // The day it is now where the calendar is furthest behind (UTC-12) is a transfer date: the
    // exports were made before now, and that day had not ended there.
    const westmostToday = new Date(Date.now() - 12 * 3600 * 1000).toISOString().slice(0, 10);
    const out = path.join(work, 'bagWestmost');
    const ok = await deid(...createArgs(out, '--transfer-date', westmostToday));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    fs.rmSync(out, { recursive: true });
  });

  test('an empty --out is a usage error that says so', async () => {
    await refused(createArgs(''), /--out needs a path; an empty one was given/);
  });

  test('an empty or blank --recipient, --method, --contact (or other bag-info value) is refused, as an empty --receiver is', async () => {
    const out = path.join(work, 'bagE');
    const base = (recipient: string, method: string, ...more: string[]) => ['bag', 'create', exportsDir, '--out', out, '--recipient', recipient, '--method', method, ...more];
    await refused(base('', 'encrypted USB drive'), /--recipient needs a value; an empty one was given/);
    await refused(base('  ', 'encrypted USB drive'), /--recipient needs a value/);
    await refused(base('Example Research Unit', ''), /--method needs a value; an empty one was given/);
    await refused(base('Example Research Unit', '\t'), /--method needs a value/);
    await refused(base('Example Research Unit', 'encrypted USB drive', '--contact', ''), /--contact needs a value/);
    await refused(base('Example Research Unit', 'encrypted USB drive', '--contact', ' '), /--contact needs a value/);
    await refused(base('Example Research Unit', 'encrypted USB drive', '--source-org', ''), /--source-org needs a value/);
    await refused(base('Example Research Unit', 'encrypted USB drive', '--description', ' '), /--description needs a value/);
    await refused(['bag', 'verify', bag, '--receipt', path.join(work, 'r.json'), '--receiver', ' '], /--receipt needs --receiver/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

/** The first 29 February on or after today (UTC), as YYYY-MM-DD. */
function nextLeapDay(): string {
  const today = new Date();
  for (let y = today.getUTCFullYear(); ; y++) {
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    if (leap && Date.UTC(y, 1, 29) >= Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())) return `${y}-02-29`;
  }
}
