import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';

/**
 * The oracle for freeing the model's declared size is onnxruntime itself: the edited model must
 * give exactly the original's outputs at the size the original declares, and run at other sizes
 * with feature maps of the size the strides imply. Run in a child Node (the runtime's
 * WebAssembly threads load as in production, outside jest's module sandbox), on the build.
 */
const SCRIPT = `
const fs = require('node:fs');
const path = require('node:path');
const { onnxRuntime } = require(${JSON.stringify(path.join(REPO, 'build', 'cli', 'detect', 'ort.js'))});
const ort = onnxRuntime();
const { freeSpatialDims } = require(${JSON.stringify(path.join(REPO, 'build', 'core', 'detect', 'onnx-dims.js'))});
(async () => {
  const bytes = new Uint8Array(fs.readFileSync(${JSON.stringify(path.join(REPO, 'node_modules', 'retinaface', 'mnet.25_v2.onnx'))}));
  const original = await ort.InferenceSession.create(bytes);
  const freed = await ort.InferenceSession.create(freeSpatialDims(bytes, 'data', [2, 3]));
  const image = (w, h) => {
    const data = new Float32Array(3 * w * h);
    let s = 7;
    for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s >>> 24; }
    return new ort.Tensor('float32', data, [1, 3, h, w]);
  };
  const input = image(640, 640);
  const a = await original.run({ data: input });
  const b = await freed.run({ data: input });
  let identical = true;
  for (const name of original.outputNames) {
    const x = a[name].data, y = b[name].data;
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) identical = false;
  }
  const other = await freed.run({ data: image(800, 608) });
  let refused = false;
  try { await original.run({ data: image(800, 608) }); } catch { refused = true; }
  const dims = Object.fromEntries(freed.outputNames.map((n) => [n, other[n].dims.slice(2)]));
  process.stdout.write(JSON.stringify({ identical, refused, dims }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('the freed RetinaFace gives the original outputs at 640 x 640 and runs at 800 x 608', () => {
  const r = spawnSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8', cwd: REPO, maxBuffer: 1 << 24 });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout) as { identical: boolean; refused: boolean; dims: Record<string, number[]> };
  expect(out.identical).toBe(true);
  expect(out.refused).toBe(true); // the unedited model really is fixed at 640 x 640
  for (const stride of [32, 16, 8]) {
    for (const kind of ['cls_prob_reshape', 'bbox_pred', 'landmark_pred']) {
      expect(out.dims[`face_rpn_${kind}_stride${stride}`]).toEqual([608 / stride, 800 / stride]);
    }
  }
}, 120_000);
