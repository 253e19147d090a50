#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: our CLI and core against exiftool and sharp, measured in the same run on the
 * same files, printed as ratios (>1 means deid is faster). Timing is wall clock, best of
 * BENCH_RUNS runs, because these machines are noisy; nothing here asserts a number.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { RUNS, allFiles, withoutReadmes, bestOf } = require('./lib');

const root = path.join(__dirname, '..');
const corpus = path.resolve(root, '..', 'shared', 'corpus', 'exif-samples');
const deid = path.join(root, 'bin', 'deid.js');
const COPIES = Number(process.env.BENCH_COPIES || 10);
const MOSAIC_W = 6000;
const MOSAIC_H = 4000;

const { scanStructure } = require(path.join(root, 'build', 'core', 'metadata', 'scan.js'));
const { pixelateRegion } = require(path.join(root, 'build', 'core', 'pixels', 'pixelate.js'));
const { minimumCellSize, DEFAULT_POLICY } = require(path.join(root, 'build', 'core', 'policy', 'policy.js'));
const sharp = require('sharp');

const listFiles = (dir) => withoutReadmes(allFiles(dir));

const time = bestOf;

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 1 << 30, encoding: 'buffer' });
  if (r.error) throw r.error;
  return r;
}

function leftovers(dir) {
  let withFindings = 0;
  for (const f of listFiles(dir)) {
    try {
      if (scanStructure(new Uint8Array(fs.readFileSync(f))).findings.length > 0) withFindings++;
    } catch {
      withFindings++;
    }
  }
  return withFindings;
}

function fmt(ms) {
  return `${ms.toFixed(0)} ms`;
}

async function mosaicBench() {
  const data = new Uint8Array(MOSAIC_W * MOSAIC_H * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const region = { x: 0, y: 0, w: MOSAIC_W, h: MOSAIC_H };
  const cell = minimumCellSize(DEFAULT_POLICY, region);
  // The copy each run starts from is made outside the timing: only the mosaic is measured.
  let ours = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const buf = { data: data.slice(), width: MOSAIC_W, height: MOSAIC_H, components: 4, hasAlpha: true, maxValue: 255 };
    const t0 = process.hrtime.bigint();
    pixelateRegion(buf, region, cell);
    ours = Math.min(ours, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  let sharpBest = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    // sharp's equivalent: box-average down to one pixel per cell, then nearest-neighbour back up.
    const small = await sharp(data, { raw: { width: MOSAIC_W, height: MOSAIC_H, channels: 4 } })
      .resize(Math.ceil(MOSAIC_W / cell), Math.ceil(MOSAIC_H / cell), { kernel: 'linear', fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    await sharp(small.data, { raw: small.info }).resize(MOSAIC_W, MOSAIC_H, { kernel: 'nearest', fit: 'fill' }).raw().toBuffer();
    sharpBest = Math.min(sharpBest, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ours, sharp: sharpBest, cell };
}

async function main() {
  const exiftool = run('exiftool', ['-ver']);
  if (exiftool.status !== 0) throw new Error('exiftool is needed for the benchmark (apt-get install libimage-exiftool-perl)');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bench-'));
  try {
    // The corpus is small, so each file is copied COPIES times to measure throughput, not start-up.
    const set = path.join(work, 'set');
    const jpegs = listFiles(path.join(corpus, 'jpg')).filter((f) => !/invalid|corrupted|tests/.test(f));
    const all = listFiles(corpus);
    let bytes = 0;
    for (let c = 0; c < COPIES; c++) {
      for (const f of all) {
        const dest = path.join(set, 'all', String(c), path.relative(corpus, f));
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(f, dest);
        bytes += fs.statSync(f).size;
      }
      for (const f of jpegs) {
        const dest = path.join(set, 'jpeg', String(c), path.relative(corpus, f).replace(/[^\w.\/-]/g, '_'));
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(f, dest);
      }
    }
    const nAll = all.length * COPIES;
    const nJpeg = jpegs.length * COPIES;
    console.log(`exiftool ${exiftool.stdout.toString().trim()}, node ${process.version}, ${os.cpus().length} cores, best of ${RUNS}`);
    console.log(`verify set: ${nAll} files (${(bytes / 1e6).toFixed(0)} MB); strip set: ${nJpeg} JPEGs\n`);

    const tVerify = time(() => run(process.execPath, [deid, 'verify', '--json', path.join(set, 'all')]));
    const tExifRead = time(() => run('exiftool', ['-q', '-q', '-r', '-j', '-G1', '-a', path.join(set, 'all')]));
    console.log(`verify   deid ${fmt(tVerify)}  exiftool -r -j ${fmt(tExifRead)}  ratio ${(tExifRead / tVerify).toFixed(2)}x (target >= 5x)`);

    const ourOut = (i) => path.join(work, `deid-out-${i}`);
    const exOut = (i) => path.join(work, `exif-out-${i}`);
    const tStrip = time((i) => run(process.execPath, [deid, 'strip', path.join(set, 'jpeg'), '--out', ourOut(i)]));
    const tExifStrip = time((i) => run('exiftool', ['-q', '-q', '-m', '-all=', '-r', '-o', `${exOut(i)}/%d%f.%e`, '.'], path.join(set, 'jpeg')));
    console.log(`strip    deid ${fmt(tStrip)}  exiftool -all= ${fmt(tExifStrip)}  ratio ${(tExifStrip / tStrip).toFixed(2)}x (target >= 1x)`);
    // Both tools write one new file per input; on a slow disk that alone is most of the time.
    let outputs = listFiles(ourOut(0)).map((f) => fs.readFileSync(f));
    const floorDir = path.join(work, 'floor');
    fs.mkdirSync(floorDir);
    const tFloor = time((i) => {
      const d = path.join(floorDir, String(i));
      fs.mkdirSync(d);
      outputs.forEach((bytes, k) => fs.writeFileSync(path.join(d, `f${k}`), bytes));
    });
    const mb = outputs.reduce((n, b) => n + b.length, 0) / 1e6;
    console.log(`         (just writing those ${outputs.length} outputs, ${mb.toFixed(0)} MB, takes ${fmt(tFloor)} here)`);
    outputs = [];
    const ourLeft = leftovers(ourOut(0));
    const exLeft = leftovers(exOut(0));
    console.log(`         left behind (our allowlist walk of the outputs): deid ${ourLeft}/${listFiles(ourOut(0)).length} files, exiftool ${exLeft}/${listFiles(exOut(0)).length} files`);

    const m = await mosaicBench();
    console.log(`mosaic   24 MP RGBA, ${m.cell} px cells: deid ${fmt(m.ours)}  sharp ${fmt(m.sharp)}  ratio ${(m.sharp / m.ours).toFixed(2)}x (target >= 1x)`);
    console.log(`memory   peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    await require('./heif').run();
    await require('./detect').run();
    await require('./colour').run();
    await require('./scale').run();
    await require('./tiff').run();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
