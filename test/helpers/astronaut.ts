import * as path from 'node:path';
import { REPO } from './paths';

/** A real face for the detectors (eval/sources/astronaut.jpg; licence in eval/SOURCES.md). */
export const HEAD = path.join(REPO, 'eval', 'sources', 'astronaut.jpg');
/** The astronaut's face in the source photograph (eval/labels.json). */
export const FACE_IN_SOURCE = { x: 181, y: 72, w: 84, h: 103 };
/** A crop of the source around the head, as the test scenes paste it. */
export const CROP = { left: 131, top: 12, width: 184, height: 210 };
