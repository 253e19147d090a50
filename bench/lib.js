'use strict';
/** Helpers every bench section shares. Wall clock, best of BENCH_RUNS: these machines are noisy. */
const fs = require('node:fs');
const path = require('node:path');

const RUNS = Number(process.env.BENCH_RUNS || 3);

/** Every regular file under `dir`, recursively; a folder that does not exist has none. */
function allFiles(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(full));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** The corpus folders hold README files beside the images. */
function withoutReadmes(files) {
  return files.filter((f) => !/README/.test(path.basename(f)));
}

/** Best wall-clock time of `fn(runIndex)` over BENCH_RUNS runs, in milliseconds. */
function bestOf(fn) {
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

/** TIFF page-structure tags as exiftool names them: they describe pixels, never a person. */
const TIFF_STRUCTURE = /^(ImageWidth|ImageHeight|BitsPerSample|Compression|PhotometricInterpretation|StripOffsets|Orientation|SamplesPerPixel|RowsPerStrip|StripByteCounts|XResolution|YResolution|PlanarConfiguration|ResolutionUnit|PageNumber|Predictor|ColorMap|TileWidth|TileLength|TileOffsets|TileByteCounts|ExtraSamples|SampleFormat|JPEGTables|YCbCrSubSampling|YCbCrPositioning|ReferenceBlackWhite|SubfileType|FillOrder|PreviewImage(Start|Length)?)$/;

module.exports = { RUNS, allFiles, withoutReadmes, bestOf, TIFF_STRUCTURE };
