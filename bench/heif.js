'use strict';
/**
 * HEIF/AVIF strip: `deid strip` against `exiftool -all=` on the same files (the corpus HEICs, a
 * heif-enc HEIC with grid, alpha and thumbnail, a sharp AVIF with alpha; metadata planted with
 * exiftool), copied BENCH_COPIES times. Prints wall time (best of BENCH_RUNS), how many files
 * each tool wrote, how many outputs still hold something our walk or exiftool calls identifying,
 * and the in-process core throughput (no file I/O). Nothing here asserts a number.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { allFiles, bestOf } = require('./lib');

const root = path.join(__dirname, '..');
const corpus = path.resolve(root, '..', 'shared', 'corpus', 'exif-samples', 'heic');
const deid = path.join(root, 'bin', 'deid.js');
const COPIES = Number(process.env.BENCH_COPIES || 10);
const PLANT = ['-Artist=Bench Person', '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-XMP-dc:Creator=Bench Person', '-SerialNumber=123456'];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

const listFiles = allFiles;

const time = bestOf;

/** Made fixtures: a heif-enc HEIC (alpha, thumbnail) and a sharp AVIF (alpha), both planted. */
async function makeFixtures(dir) {
  const sharp = require('sharp');
  const w = 640;
  const h = 480;
  const raw = Buffer.alloc(w * h * 4);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 27;
  const png = path.join(dir, 'src.png');
  await sharp(raw, { raw: { width: w, height: h, channels: 4 } }).png().toFile(png);
  const made = [];
  const heic = path.join(dir, 'made-heif-enc.heic');
  if (run('heif-enc', ['-q', '60', '-t', '96', '-o', heic, png]).status === 0) made.push(heic);
  const avif = path.join(dir, 'made-sharp.avif');
  await sharp(png).withIccProfile('p3').avif({ quality: 60 }).toFile(avif);
  made.push(avif);
  fs.rmSync(png);
  run('exiftool', ['-q', '-q', '-overwrite_original', ...PLANT, ...made]);
  return made;
}

function leftovers(dir, scanStructure) {
  let ours = 0;
  for (const f of listFiles(dir)) {
    try {
      if (scanStructure(new Uint8Array(fs.readFileSync(f))).findings.length > 0) ours++;
    } catch {
      ours++;
    }
  }
  // exiftool's view: any Exif, XMP, GPS or ICC group left.
  const r = run('exiftool', ['-q', '-q', '-r', '-j', '-G1', '-a', '-EXIF:all', '-XMP:all', '-GPS:all', '-ICC_Profile:all', dir]);
  const records = r.stdout.trim() ? JSON.parse(r.stdout) : [];
  const exif = records.filter((rec) => Object.keys(rec).some((k) => /^(IFD0|ExifIFD|GPS|XMP-|ICC_Profile)/.test(k))).length;
  return { ours, exif };
}

async function run_() {
  const { scanStructure } = require(path.join(root, 'build', 'core', 'metadata', 'scan.js'));
  const { isobmffFormat } = require(path.join(root, 'build', 'core', 'metadata', 'isobmff.js'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bench-heif-'));
  try {
    const made = await makeFixtures(work);
    const sources = [...listFiles(corpus), ...made];
    const set = path.join(work, 'set');
    let bytes = 0;
    for (let c = 0; c < COPIES; c++) {
      for (const f of sources) {
        const dest = path.join(set, String(c), path.basename(f));
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(f, dest);
        bytes += fs.statSync(f).size;
      }
    }
    const n = sources.length * COPIES;
    console.log(`\nHEIF/AVIF strip: ${n} files (${(bytes / 1e6).toFixed(0)} MB: ${sources.length} sources x ${COPIES})`);
    const ourOut = (i) => path.join(work, `deid-${i}`);
    const exOut = (i) => path.join(work, `exif-${i}`);
    const tOurs = time((i) => run(process.execPath, [deid, 'strip', set, '--out', ourOut(i)]));
    const tExif = time((i) => run('exiftool', ['-q', '-q', '-m', '-all=', '-r', '-o', `${exOut(i)}/%d%f.%e`, '.'], set));
    const ourWritten = listFiles(ourOut(0)).length;
    const exWritten = fs.existsSync(exOut(0)) ? listFiles(exOut(0)).length : 0;
    console.log(`strip    deid ${tOurs.toFixed(0)} ms  exiftool -all= ${tExif.toFixed(0)} ms  ratio ${(tExif / tOurs).toFixed(2)}x (target >= 1x)`);
    // The fixed cost of one `deid strip` run (node, modules, worker pool) on an empty folder.
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);
    const tStart = time((i) => run(process.execPath, [deid, 'strip', empty, '--out', path.join(work, `empty-out-${i}`)]));
    console.log(`         (deid start-up alone, on an empty folder: ${tStart.toFixed(0)} ms)`);
    const ourLeft = leftovers(ourOut(0), scanStructure);
    const exLeft = exWritten ? leftovers(exOut(0), scanStructure) : { ours: 0, exif: 0 };
    console.log(`         written: deid ${ourWritten}/${n}, exiftool ${exWritten}/${n}`);
    console.log(`         left behind (our walk / exiftool Exif+XMP+GPS+ICC): deid ${ourLeft.ours}/${ourLeft.exif}, exiftool ${exLeft.ours}/${exLeft.exif}`);
    const inputs = sources.map((f) => new Uint8Array(fs.readFileSync(f)));
    const total = inputs.reduce((s, b) => s + b.length, 0);
    const tCore = time(() => inputs.forEach((b) => isobmffFormat.strip(b)));
    console.log(`core     isobmff strip in process: ${((total / 1e6) / (tCore / 1000)).toFixed(0)} MB/s (${inputs.length} files, ${(total / 1e6).toFixed(1)} MB, ${tCore.toFixed(0)} ms)`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { run: run_ };
