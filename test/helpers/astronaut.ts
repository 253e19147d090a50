import * as path from 'node:path';
import { REPO } from './paths';

/** A real face for the detectors (eval/sources/astronaut.jpg; licence in eval/SOURCES.md). */
export const HEAD = path.join(REPO, 'eval', 'sources', 'astronaut.jpg');
/** The astronaut's face in the source photograph (eval/labels.json). */
export const FACE_IN_SOURCE = { x: 181, y: 72, w: 84, h: 103 };
/** A crop of the source around the head, as the test scenes paste it. */
export const CROP = { left: 131, top: 12, width: 184, height: 210 };

/** Where faceOnWall pastes the head crop, in a 640x480 picture. */
export const WALL_HEAD_AT = { left: 300, top: 120 };

/**
 * An upright head on a plain 640x480 wall, written to `file` as JPEG: a face the detectors find,
 * and nothing that reads as text. Its two recipes: the head under an overlay, or only a label in
 * the corner covered (the face step forgotten).
 */
export async function faceOnWall(file: string): Promise<{ coveredSteps: object[]; openSteps: object[] }> {
  const sharp = (await import('sharp')).default;
  const head = await sharp(HEAD).extract(CROP).toBuffer();
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c9d3da' } }).composite([{ input: head, ...WALL_HEAD_AT }]).jpeg({ quality: 92 }).toFile(file);
  const at = '2026-11-30T10:00:00.000Z';
  return {
    coveredSteps: [{ op: 'overlay', region: { x: WALL_HEAD_AT.left, y: WALL_HEAD_AT.top, w: CROP.width, h: CROP.height }, regionKind: 'face', color: '#000000', at }],
    openSteps: [{ op: 'overlay', region: { x: 20, y: 20, w: 80, h: 30 }, regionKind: 'text', color: '#000000', at }],
  };
}
