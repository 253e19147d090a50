import { fakePhotoshop } from '../fakes/photoshop';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection, previewObscure } from '../../src/actions/obscure';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { GPS_PHOTO, resetFakes } from './setup';

/** Mosaics placed next to each other count as one area (policy/combined.ts), in the panel too. */
describe('obscure: mosaics next to earlier mosaics', () => {
  beforeEach(resetFakes);

  test('the preview enforces the combined minimum, and a finer mosaic beside one is refused before painting', async () => {
    await fakePhotoshop.openFile(GPS_PHOTO, 'photo.jpg');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');

    // Left half of a 200x200 face at the default strength for a 100x200 area: 20 px cells.
    fakePhotoshop.selectRect(work, { x: 100, y: 100, w: 100, h: 200 });
    expect((await previewObscure(host, session, DEFAULT_POLICY, 'face')).mosaic).toEqual({ cellSize: 20, cellsAcross: 5 });
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' });

    // The right half alone would also allow 20 px; together the face is 200x200: 40 px.
    fakePhotoshop.selectRect(work, { x: 200, y: 100, w: 100, h: 200 });
    const preview = await previewObscure(host, session, DEFAULT_POLICY, 'face');
    expect(preview.mosaic?.cellSize).toBe(40);

    const before = work.composite().data.slice();
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate', cellSize: 20 })).rejects.toThrow(/needs cells of at least 40 px|finer/);
    expect(Buffer.from(work.composite().data).equals(Buffer.from(before))).toBe(true);
    expect(session.steps.filter((s) => s.op === 'pixelate')).toHaveLength(1);

    // Even at 40 px the right half is refused: the earlier 20 px half is now too fine for the
    // face they make together, and the message says how to fix it.
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' })).rejects.toThrow(/select the whole area, 100,100 200x200/);
    expect(Buffer.from(work.composite().data).equals(Buffer.from(before))).toBe(true);

    // One mosaic over the whole face paints the fine half over, and takes the enforced 40 px.
    fakePhotoshop.selectRect(work, { x: 100, y: 100, w: 200, h: 200 });
    const [step] = await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' });
    expect(step!.cellSize).toBe(40);
  });
});
