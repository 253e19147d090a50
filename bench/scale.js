'use strict';
/**
 * Issue 12's throughput and memory targets, measured against their floors in the same run:
 * verify within 1.5x of (node starting the CLI + reading the bytes with cat), strip within 1.5x
 * of (start-up + cp -r), the default job count never slower than --jobs 1; and peak RSS of
 * `verify --jsonl` over 10,000 and 100,000 small generated files (target: the same at both sizes).
 * Wall clock, best of BENCH_RUNS; nothing here asserts a number.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { allFiles } = require('./lib');

const root = path.join(__dirname, '..');
const deid = path.join(root, 'bin', 'deid.js');
const corpus = path.resolve(root, '..', 'shared', 'corpus', 'exif-samples');
const RUNS = Number(process.env.BENCH_RUNS || 3);
const SMALL_SIZES = (process.env.BENCH_SMALL_FILES || '10000,100000').split(',').map(Number);
const PER_DIR = 1000;
const HEAP_CAP_MB = 24;

const listFiles = allFiles;

/** Clock ticks per second for /proc's times (getconf CLK_TCK; 100 on Linux). */
const TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout) > 0 ? Number(r.stdout) : 100;
})();

/**
 * CPU time (user + system) of the children this process has waited for, in ms, from
 * /proc/self/stat (cutime, cstime); null where there is no /proc. On a shared machine the CPU
 * time of a run moves much less than its wall time.
 */
function childCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS;
  } catch {
    return null;
  }
}

function once(cmd, args, options = {}) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = cpu0 === null ? null : childCpuMs() - cpu0;
  if (r.error) throw r.error;
  // A deid run counts only if it finished its batch (exit 1 also means "findings").
  const finished = cmd !== process.execPath || args.includes('--version') || /"summary"/.test(r.stdout.toString().trim().split('\n').pop());
  if ((r.status !== 0 && r.status !== 1) || !finished) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, cpu };
}

/** Best wall time and best CPU time of RUNS; `args` may be a function of the run number (fresh output folders). */
function best(cmd, args, options) {
  let ms = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = once(cmd, typeof args === 'function' ? args(i) : args, options);
    ms = Math.min(ms, t.ms);
    cpu = t.cpu === null ? null : Math.min(cpu ?? Infinity, t.cpu);
  }
  return { ms, cpu };
}

/** Peak resident memory (GNU time's %M, in KB) and wall time of one run. */
function peak(args, expectFiles) {
  // A fixed V8 heap cap, small: V8 grows its heap lazily up to the cap before it collects in
  // full, so under a generous cap RSS drifts up with run length while the live heap stays flat
  // (under 48 MB: 77 MB at 10,000 files, 94 MB at 100,000, with 7.5 MB live after the last full
  // collection). Under this cap a run whose memory grew with the number of files would fail: 100
  // bytes kept per file is 10 MB at 100,000. It was 16 MB until the live heap after a full
  // collection reached 11-14 MB, the same at 10,000 and 100,000 files (more code loaded and warm,
  // not more per file: measured with --trace-gc); then V8 ran out of heap in some runs and not
  // others, at any point of the batch.
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, `--max-old-space-size=${HEAP_CAP_MB}`, ...args], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error) throw r.error;
  const lastLine = r.stdout.slice(r.stdout.lastIndexOf('\n', r.stdout.length - 2) + 1);
  let last = null;
  try {
    last = JSON.parse(lastLine);
  } catch {
    // reported below with what the run printed
  }
  if (!last || !last.summary || last.summary.files !== expectFiles) {
    throw new Error(`verify did not finish ${expectFiles} files (exit ${r.status}, signal ${r.signal}); last line: ${lastLine.slice(0, 200)}; stderr: ${r.stderr.slice(-2000)}`);
  }
  const m = /(\d+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no measurement from /usr/bin/time: ${r.stderr}`);
  return { rssMB: Number(m[1]) / 1024, seconds: Number(m[2]) };
}

/**
 * Node itself reading every file (and, with a destination, writing each to a new file): what any
 * tool that handles the bytes in its own memory spends before it does anything with them. cat
 * and cp -r are the issue's floors; cp copies inside the kernel (copy_file_range) without the
 * bytes ever reaching a process, which no tool that rewrites a file can do. Printed beside them.
 */
const NODE_IO = `
const fs = require('node:fs'); const path = require('node:path');
const [src, dest] = process.argv.slice(1);
const t0 = process.hrtime.bigint();
(function go(rel) {
  for (const e of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) { if (dest) fs.mkdirSync(path.join(dest, r), { recursive: true }); go(r); }
    else { const b = fs.readFileSync(path.join(src, r)); if (dest) fs.writeFileSync(path.join(dest, r), b, { flag: 'wx' }); }
  }
})('');
process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));
`;

function nodeIoMs(src, dests) {
  let ms = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, ['-e', NODE_IO, src, ...(dests ? [dests(i)] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node I/O floor failed: ${r.stderr}`);
    ms = Math.min(ms, Number(r.stdout));
  }
  return ms;
}

const fmt = (t) => `${t.ms.toFixed(0)} ms${t.cpu === null ? '' : ` (CPU ${t.cpu.toFixed(0)})`}`;
const ratio = (a, b) => `${(a.ms / b.ms).toFixed(2)}x${a.cpu === null || b.cpu === null ? '' : `, CPU ${(a.cpu / b.cpu).toFixed(2)}x`}`;
const plus = (a, b) => ({ ms: a.ms + b.ms, cpu: a.cpu === null || b.cpu === null ? null : a.cpu + b.cpu });
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

function throughput(work) {
  const set = path.join(work, 'jpegs');
  const jpegs = listFiles(path.join(corpus, 'jpg')).filter((f) => !/invalid|corrupted|tests|README/.test(f));
  let bytes = 0;
  let n = 0;
  for (let c = 0; n < 349; c++) {
    for (const f of jpegs) {
      const dest = path.join(set, String(c), path.basename(path.dirname(f)), path.basename(f).replace(/[^\w.-]/g, '_'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(f, dest);
      bytes += fs.statSync(dest).size;
      n++;
    }
  }
  console.log(`scale    ${n} JPEGs (${(bytes / 1e6).toFixed(0)} MB), page cache warm, ${os.cpus().length} cores, best of ${RUNS} (wall; CPU = user + system), load average ${load()}`);
  once('cat', listFiles(set)); // warm the cache
  const startup = best(process.execPath, [deid, '--version']);
  const cat = best('sh', ['-c', `find "${set}" -type f -exec cat {} + > /dev/null`]);
  const cp = best('cp', (i) => ['-r', set, path.join(work, `cp-${i}`)]);
  const vDefault = best(process.execPath, [deid, 'verify', '--jsonl', set]);
  const vOne = best(process.execPath, [deid, 'verify', '--jsonl', '--jobs', '1', set]);
  const vScanData = best(process.execPath, [deid, 'verify', '--jsonl', '--scan-data', set]);
  const sDefault = best(process.execPath, (i) => [deid, 'strip', '--jsonl', set, '--out', path.join(work, `s-${i}`)]);
  const sOne = best(process.execPath, (i) => [deid, 'strip', '--jsonl', '--jobs', '1', set, '--out', path.join(work, `s1-${i}`)]);
  const nodeRead = nodeIoMs(set);
  const nodeCopy = nodeIoMs(set, (i) => path.join(work, `n-${i}`));
  const vFloor = plus(startup, cat);
  const sFloor = plus(startup, cp);
  console.log(`         verify deid ${fmt(vDefault)} (--jobs 1: ${fmt(vOne)})  floor ${fmt(vFloor)} (start-up ${fmt(startup)} + cat ${fmt(cat)})  ${ratio(vDefault, vFloor)} the floor (target <= 1.5x)`);
  console.log(`         strip  deid ${fmt(sDefault)} (--jobs 1: ${fmt(sOne)})  floor ${fmt(sFloor)} (start-up ${fmt(startup)} + cp -r ${fmt(cp)})  ${ratio(sDefault, sFloor)} the floor (target <= 1.5x)`);
  console.log(`         for reference, node itself (after its start-up) reading every file: ${nodeRead.toFixed(0)} ms (cat: ${cat.ms.toFixed(0)}); reading and writing each to a new file: ${nodeCopy.toFixed(0)} ms (cp -r: ${cp.ms.toFixed(0)})`);
  console.log(`         verify --scan-data (every JPEG scan decoded; what bag create does) ${fmt(vScanData)}: ${ratio(vScanData, vDefault)} plain verify, ${ratio(vScanData, vFloor)} the floor`);
  console.log(`         default jobs vs --jobs 1: verify ${ratio(vOne, vDefault)}, strip ${ratio(sOne, sDefault)} (target >= 1x)   load average now ${load()}`);
}

async function smallFiles(work) {
  const sharp = require('sharp');
  // A small camera-like JPEG: 32x32 pixels with an EXIF block naming a person, ~1 KB.
  const one = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#a08070' } })
    .jpeg({ quality: 80 })
    .withExif({ IFD0: { Artist: 'JOHN SMITH', ImageDescription: 'MRN 0012345' } })
    .toBuffer();
  const max = Math.max(...SMALL_SIZES);
  const dir = path.join(work, 'small');
  for (let i = 0; i < max; i++) {
    const sub = path.join(dir, String(Math.floor(i / PER_DIR)).padStart(4, '0'));
    if (i % PER_DIR === 0) fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, `f${i}.jpg`), one);
  }
  const parts = [];
  for (const size of SMALL_SIZES) {
    // The same layout (PER_DIR files per folder) at each size: only the number of files differs.
    const list = path.join(work, `list-${size}.txt`);
    const lines = [];
    for (let i = 0; i < size; i++) lines.push(path.join(dir, String(Math.floor(i / PER_DIR)).padStart(4, '0'), `f${i}.jpg`));
    fs.writeFileSync(list, `${lines.join('\n')}\n`);
    const byDir = peak([deid, 'verify', '--jsonl', '--files-from', list], size);
    parts.push({ size, ...byDir });
  }
  console.log(`         verify --jsonl over small generated files (${one.length} bytes each, ${PER_DIR} per folder, V8 heap capped at ${HEAP_CAP_MB} MB):`);
  for (const p of parts) {
    console.log(`           ${String(p.size).padStart(6)} files: ${p.seconds.toFixed(1)} s, ${(p.size / p.seconds).toFixed(0)} files/s, peak RSS ${p.rssMB.toFixed(0)} MB`);
  }
  const [a, b] = [parts[0], parts[parts.length - 1]];
  console.log(`           peak RSS at ${b.size} / at ${a.size} files: ${(b.rssMB / a.rssMB).toFixed(2)}x (target ~1x: independent of the number of files)`);
}

async function run() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bench-scale-'));
  try {
    throughput(work);
    await smallFiles(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { run };
if (require.main === module) run().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
