'use strict';
/**
 * TIFF strip (issue 9): `deid strip` against `exiftool -all=` on the same files, in the same run.
 * The set is the corpus TIFFs plus libvips-made TIFFs (LZW, deflate, JPEG, tiled, 16-bit, three
 * pages, one 12 MP LZW) with Artist/DocumentName/HostComputer/GPS/XMP/IPTC planted by exiftool,
 * and a BigTIFF exiftool cannot write. Prints time, files written and files left with findings
 * (our allowlist walk) or with identifying tags exiftool itself reads. Nothing here asserts.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { allFiles, bestOf, TIFF_STRUCTURE: STRUCTURE } = require('./lib');
const sharp = require('sharp');

const root = path.join(__dirname, '..');
const corpus = path.resolve(root, '..', 'shared', 'corpus', 'exif-samples');
const deid = path.join(root, 'bin', 'deid.js');
const COPIES = Number(process.env.BENCH_TIFF_COPIES || 10);
const { scanStructure } = require(path.join(root, 'build', 'core', 'metadata', 'scan.js'));
const { tiffFormat } = require(path.join(root, 'build', 'core', 'metadata', 'tiff.js'));

const PLANT = ['-Artist=Jane Doe', '-DocumentName=jane-doe-wound.tif', '-HostComputer=WARD-7-PC', '-Software=Scan 2.1',
  '-ImageDescription=MRN 1234567', '-GPSLatitude=51.5', '-GPSLatitudeRef=N', '-XMP:Creator=Jane Doe', '-IPTC:By-line=Jane Doe'];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 1 << 30, encoding: 'buffer' });
  if (r.error) throw r.error;
  return r;
}

const listFiles = allFiles;

const time = bestOf;

function noise(width, height, channels) {
  const out = Buffer.alloc(width * height * channels);
  let s = 1;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((i / channels) % width) + (s >>> 28);
  }
  return out;
}

async function makeSet(dir) {
  const made = [];
  const image = (w, h, c = 3, pages = 1) => sharp(noise(w, h * pages, c), { raw: { width: w, height: h * pages, channels: c, ...(pages > 1 ? { pageHeight: h } : {}) } });
  const variants = {
    'lzw.tif': image(640, 480).tiff({ compression: 'lzw' }),
    'deflate.tif': image(640, 480).tiff({ compression: 'deflate', predictor: 'horizontal' }),
    'jpeg.tif': image(640, 480).tiff({ compression: 'jpeg', quality: 85 }),
    'tiled.tif': image(640, 480).tiff({ tile: true, tileWidth: 128, tileHeight: 128, compression: 'lzw' }),
    'grey16.tif': image(640, 480).toColourspace('grey16').tiff({ compression: 'none' }),
    'pages.tif': image(320, 240, 3, 3).tiff({ compression: 'lzw' }),
    'large.tif': image(4000, 3000).tiff({ compression: 'lzw' }),
  };
  for (const [name, pipeline] of Object.entries(variants)) {
    const file = path.join(dir, name);
    await pipeline.toFile(file);
    const r = run('exiftool', ['-q', '-q', '-overwrite_original', ...PLANT, file]);
    if (r.status !== 0) throw new Error(`exiftool could not plant into ${name}: ${r.stderr}`);
    made.push(file);
  }
  const big = path.join(dir, 'bigtiff.tif');
  await image(640, 480).tiff({ compression: 'lzw', bigtiff: true }).toFile(big);
  made.push(big);
  for (const sub of ['tiff', '"tiff']) {
    for (const name of fs.readdirSync(path.join(corpus, sub))) {
      if (!/\.tiff?"?$/i.test(name)) continue;
      const dest = path.join(dir, `corpus-${name.replace(/"/g, '')}`);
      fs.copyFileSync(path.join(corpus, sub, name), dest);
      made.push(dest);
    }
  }
  return made;
}

/** Outputs our allowlist walk still finds something in (or cannot read). */
function leftByWalk(files) {
  return files.filter((f) => {
    try {
      return scanStructure(new Uint8Array(fs.readFileSync(f))).findings.length > 0;
    } catch {
      return true;
    }
  }).length;
}

/** Outputs in which exiftool itself reads an identifying tag (anything but page structure). */
function leftByExiftool(files) {
  if (files.length === 0) return 0;
  const r = spawnSync('exiftool', ['-q', '-q', '-j', '-G1', '-a', '-@', '-'], { input: files.join('\n'), maxBuffer: 1 << 30, encoding: 'utf8' });
  const records = JSON.parse(r.stdout || '[]');
  return records.filter((rec) => Object.keys(rec).some((key) => {
    const [group, tag] = key.split(':');
    // ICC profiles are judged by our walk (kept only as cleanIcc's copy, no identity left).
    if (tag === undefined || /^(File|System|Composite|ExifTool|ICC-header|ICC_Profile|ICC-.*)$/.test(group)) return false;
    return !(/^IFD\d+$/.test(group) && STRUCTURE.test(tag));
  })).length;
}

async function runTiff() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-bench-tiff-'));
  try {
    const base = path.join(work, 'base');
    fs.mkdirSync(base);
    const files = await makeSet(base);
    const set = path.join(work, 'set');
    let bytes = 0;
    for (let c = 0; c < COPIES; c++) {
      fs.mkdirSync(path.join(set, String(c)), { recursive: true });
      for (const f of files) {
        fs.copyFileSync(f, path.join(set, String(c), path.basename(f)));
        bytes += fs.statSync(f).size;
      }
    }
    const n = files.length * COPIES;
    console.log(`\ntiff     set: ${n} TIFFs (${(bytes / 1e6).toFixed(0)} MB: corpus + libvips LZW/deflate/JPEG/tiled/16-bit/3-page/12 MP/BigTIFF, exiftool-planted tags)`);

    // Core only, in process: the rewrite itself, no file system.
    const inputs = files.map((f) => new Uint8Array(fs.readFileSync(f)));
    const inBytes = inputs.reduce((s, b) => s + b.length, 0) * COPIES;
    const tCore = time(() => {
      for (let c = 0; c < COPIES; c++) for (const b of inputs) tiffFormat.strip(b);
    });
    console.log(`         core strip in process: ${tCore.toFixed(0)} ms, ${(inBytes / 1e6 / (tCore / 1000)).toFixed(0)} MB/s`);

    const ourOut = (i) => path.join(work, `deid-${i}`);
    const exOut = (i) => path.join(work, `exif-${i}`);
    const tOurs = time((i) => run(process.execPath, [deid, 'strip', set, '--out', ourOut(i)]));
    const tExif = time((i) => run('exiftool', ['-q', '-q', '-m', '-all=', '-r', '-o', `${exOut(i)}/%d%f.%e`, '.'], set));
    const ours = listFiles(ourOut(0));
    const theirs = listFiles(exOut(0));
    console.log(`strip    deid ${tOurs.toFixed(0)} ms  exiftool -all= ${tExif.toFixed(0)} ms  ratio ${(tExif / tOurs).toFixed(2)}x (target >= 1x)`);
    const sameFormat = ours.filter((f) => /\.tiff?$/i.test(f)).length;
    console.log(`         written: deid ${ours.length}/${n} (${sameFormat} as TIFF), exiftool ${theirs.length}/${n}`);
    console.log(`         left with findings (our walk): deid ${leftByWalk(ours)}/${ours.length}, exiftool ${leftByWalk(theirs)}/${theirs.length}`);
    console.log(`         left with identifying tags exiftool reads: deid ${leftByExiftool(ours)}/${ours.length}, exiftool ${leftByExiftool(theirs)}/${theirs.length}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { run: runTiff };
