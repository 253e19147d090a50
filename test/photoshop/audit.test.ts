/**
 * The adapter against AdobeDocs/uxp-photoshop where the fake was made stricter by the 2026 audit
 * (each test failed on the adapter before its fix). Doc pages are cited in test/fakes/photoshop.ts.
 */
import { fakePhotoshop } from '../fakes/photoshop';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { cropToSelection } from '../../src/actions/crop';
import { resetFakes, texture } from './setup';

function working() {
  const work = fakePhotoshop.active();
  if (!work) throw new Error('no working copy');
  return work;
}

/** The pixels of `r` cut from a full-canvas RGB buffer. */
function cut(data: ArrayLike<number>, width: number, r: { x: number; y: number; w: number; h: number }): number[] {
  const out: number[] = [];
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) for (let c = 0; c < 3; c++) out.push(data[(y * width + x) * 3 + c]);
  return out;
}

describe('crop: pixel units whatever the resolution (document.md resizeCanvas "in pixels"; crop gives no unit)', () => {
  beforeEach(resetFakes);

  test.each([[72], [300], [240]])('at %i ppi the working copy keeps exactly the selected pixels', async (ppi) => {
    const original = texture(120, 90);
    fakePhotoshop.openPixels(original, 'photo', undefined, { resolution: ppi });
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = working();
    const keep = { x: 13, y: 9, w: 50, h: 41 };
    fakePhotoshop.selectRect(work, keep);
    const step = await cropToSelection(host, session);
    expect(step.region).toEqual(keep);
    expect([work.width, work.height]).toEqual([keep.w, keep.h]);
    expect(Array.from(work.composite().data)).toEqual(cut(original.data, 120, keep));
    expect(work.history).toEqual(['Duplicate Image', 'De-identify: crop']);
  });
});
