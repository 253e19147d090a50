import sharp from 'sharp';
import { decodeStride, retinaInput, STRIDES, type Stride } from '../../src/core/detect/retinaface';

/** Maps for one stride with every score 0 and every delta 0, to plant single anchors in. */
function emptyMaps(stride: Stride, height: number, width: number) {
  const A = 2;
  return { stride, maps: { scores: new Float32Array(2 * A * height * width), deltas: new Float32Array(4 * A * height * width), height, width } };
}

describe('RetinaFace output decoding (insightface anchors and nonlinear_pred)', () => {
  // Anchor sizes per stride from the RetinaFace config: 16 x SCALES (32,16 / 8,4 / 2,1).
  const SIZES: Record<Stride, [number, number]> = { 32: [512, 256], 16: [128, 64], 8: [32, 16] };

  test.each(STRIDES.map((s) => [s]))('stride %i: zero deltas give the anchor itself, centred on pixel index cell * stride + 7.5', (stride) => {
    const { maps } = emptyMaps(stride, 5, 7);
    const plane = 35;
    const at = 3 * 7 + 4; // row 3, column 4
    maps.scores[2 * plane + at] = 0.9; // face probability of anchor 0 (channels: 2 background, then 2 face)
    maps.scores[3 * plane + at] = 0.7; // anchor 1
    maps.scores[0 * plane + at] = 0.99; // a background probability: never a face
    const found = decodeStride(stride, maps, 0.5);
    expect(found).toHaveLength(2);
    const [big, small] = SIZES[stride];
    for (const [f, size, score] of [[found[0]!, big, 0.9], [found[1]!, small, 0.7]] as const) {
      expect(f.score).toBeCloseTo(score);
      // Pixel index 7.5 is the continuous coordinate 8 (pixel i spans [i, i + 1)).
      expect(f.box.x + f.box.w / 2).toBeCloseTo(4 * stride + 8);
      expect(f.box.y + f.box.h / 2).toBeCloseTo(3 * stride + 8);
      expect(f.box.w).toBeCloseTo(size);
      expect(f.box.h).toBeCloseTo(size);
    }
  });

  test('deltas move the centre by a share of the anchor and scale its sides by exp()', () => {
    const { maps } = emptyMaps(8, 4, 4);
    const plane = 16;
    const at = 2 * 4 + 1;
    maps.scores[3 * plane + at] = 0.8; // anchor 1 at stride 8: 16 px
    maps.deltas[4 * plane + at] = 0.5; // dx of anchor 1
    maps.deltas[5 * plane + at] = -0.25; // dy
    maps.deltas[6 * plane + at] = Math.log(2); // dw
    maps.deltas[7 * plane + at] = Math.log(3); // dh
    const [f] = decodeStride(8, maps, 0.5);
    expect(f!.box.x + f!.box.w / 2).toBeCloseTo(1 * 8 + 8 + 0.5 * 16);
    expect(f!.box.y + f!.box.h / 2).toBeCloseTo(2 * 8 + 8 - 0.25 * 16);
    expect(f!.box.w).toBeCloseTo(32);
    expect(f!.box.h).toBeCloseTo(48);
  });

  test('a threshold keeps scores at or above it, and NaN never passes', () => {
    const { maps } = emptyMaps(16, 2, 2);
    maps.scores[2 * 4 + 0] = 0.5;
    maps.scores[2 * 4 + 1] = 0.4999;
    maps.scores[2 * 4 + 2] = Number.NaN;
    expect(decodeStride(16, maps, 0.5).map((f) => f.score)).toEqual([0.5]);
  });

  test('maps of the wrong size are refused, not read past their end', () => {
    const { maps } = emptyMaps(32, 3, 3);
    expect(() => decodeStride(32, { ...maps, width: 4 }, 0.5)).toThrow(/expected 4x3x4 scores/);
  });
});

test.each([0, 90, 180, 270] as const)('retinaInput(%i) holds the planes of the picture as sharp turns it', async (turn) => {
  const W = 5;
  const H = 3;
  const data = new Uint8Array(W * H * 3).map((_, i) => (i * 37) % 256);
  const input = retinaInput({ data, width: W, height: H }, turn);
  for (const c of [0, 1, 2] as const) {
    const { data: plane, info } = await sharp(Buffer.from(data), { raw: { width: W, height: H, channels: 3 } }).rotate(turn).extractChannel(c).raw().toBuffer({ resolveWithObject: true });
    expect([input.width, input.height]).toEqual([info.width, info.height]);
    expect(Array.from(input.data.subarray(c * W * H, (c + 1) * W * H))).toEqual(Array.from(plane));
  }
});
