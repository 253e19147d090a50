import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { containedShare, iou } from '../../src/core/detect/boxes';
import type { Rect } from '../../src/core/geometry';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { CROP, FACE_IN_SOURCE, HEAD } from '../helpers/astronaut';
import { REPO } from '../helpers/paths';

/**
 * End to end through the built CLI (the detectors' WebAssembly runtimes load as in production,
 * outside jest's module sandbox). Each `deid detect` / `deid verify --pixels` run loads the models
 * once for all the files it is given, so this file runs them twice in all.
 */
const DEID = path.join(REPO, 'bin', 'deid.js');
const W = 1000;
const H = 700;
const HEAD_AT = { left: 560, top: 120 };

// Loading both models and running them takes ~10 s of CPU; on a shared 2-core machine, longer.
const LOADED_MODELS_TIMEOUT = 300_000;

let tmp: string;
let scene: string;
let faceBox: Rect;
let badgeBox: Rect;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [DEID, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A ward scene: the astronaut's head turned 90 degrees clockwise (a patient lying down) and a
 * staff badge with three lines of DejaVu Sans Mono. Returns where each really is.
 */
async function buildScene(file: string): Promise<void> {
  const head = await sharp(HEAD).extract(CROP).rotate(90).toBuffer();
  // Turning the crop clockwise sends crop (x, y) to (cropH - y, x) (core/detect/rotate.ts).
  const fx = FACE_IN_SOURCE.x - CROP.left;
  const fy = FACE_IN_SOURCE.y - CROP.top;
  faceBox = { x: HEAD_AT.left + CROP.height - (fy + FACE_IN_SOURCE.h), y: HEAD_AT.top + fx, w: FACE_IN_SOURCE.h, h: FACE_IN_SOURCE.w };
  const size = 30;
  const advance = (1233 / 2048) * size;
  const lines = ['AOIFE SMITH', 'Ward Sister', 'ID 95462'];
  const badge = { x: 120, y: 380, w: Math.ceil(12 * advance) + 40, h: lines.length * size * 1.3 + 50 };
  badgeBox = { x: badge.x + 20, y: badge.y + 30, w: Math.ceil(11 * advance), h: Math.ceil(lines.length * size * 1.3) };
  const text = lines
    .map((t, i) => `<text x="${badge.x + 20}" y="${badge.y + 30 + size * 0.8 + i * size * 1.3}" font-family="DejaVu Sans Mono" font-weight="${i === 0 ? 'bold' : 'normal'}" font-size="${size}" fill="#111">${t}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <rect width="${W}" height="${H}" fill="#c9d3da"/><rect x="40" y="330" width="920" height="330" rx="24" fill="#eef2f5"/>
    <rect x="${badge.x}" y="${badge.y}" width="${badge.w}" height="${badge.h}" rx="8" fill="#fff" stroke="#999"/>
    <rect x="${badge.x}" y="${badge.y}" width="${badge.w}" height="14" fill="#1d5fa8"/>${text}</svg>`;
  await sharp(Buffer.from(svg)).composite([{ input: head, ...HEAD_AT }]).jpeg({ quality: 92 }).toFile(file);
}

interface Found { kind: 'face' | 'text'; box: Rect; score: number; turn?: number }

let detected: { files: { path: string; width: number; height: number; detections: Found[] }[]; summary: { faces: number; text: number } };
let recipeFile: string;
let detectRun: ReturnType<typeof run>;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-detect-'));
  scene = path.join(tmp, 'ward.jpg');
  await buildScene(scene);
  recipeFile = path.join(tmp, 'draft.json');
  detectRun = run('detect', scene, '--json', '--recipe', recipeFile);
  detected = JSON.parse(detectRun.stdout);
}, LOADED_MODELS_TIMEOUT);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('detect finds the turned face and the badge, and says so with exit 1', () => {
  expect(detectRun.code).toBe(1);
  const [file] = detected.files;
  expect([file!.width, file!.height]).toEqual([W, H]);
  const faces = file!.detections.filter((d) => d.kind === 'face');
  expect(faces).toHaveLength(1);
  expect(iou(faces[0]!.box, faceBox)).toBeGreaterThan(0.4);
  // Upright once the picture is turned back: 270 degrees clockwise.
  expect(faces[0]!.turn).toBe(270);
  const text = file!.detections.filter((d) => d.kind === 'text');
  const onBadge = text.filter((d) => containedShare(d.box, { x: badgeBox.x - 10, y: badgeBox.y - 10, w: badgeBox.w + 20, h: badgeBox.h + 20 }) > 0.8);
  expect(onBadge.length).toBeGreaterThanOrEqual(1);
  // Together the badge's detections cover its lines.
  const covered = onBadge.reduce((s, d) => s + containedShare(badgeBox, d.box), 0);
  expect(covered).toBeGreaterThan(0.6);
  expect(detected.summary.faces).toBe(1);
});

test('the draft recipe applies, and verify --pixels is quiet about what it covers but reports a face left uncovered', async () => {
  const recipe = JSON.parse(await fs.readFile(recipeFile, 'utf8'));
  expect(recipe.steps.filter((s: { regionKind: string }) => s.regionKind === 'face')).toHaveLength(1);
  const covered = path.join(tmp, 'covered');
  const applied = run('apply', recipeFile, scene, '--out', covered, '--format', 'png', '--json');
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  // The same recipe without its face step: an export where the face is still there.
  const textOnly = path.join(tmp, 'text-only.json');
  await fs.writeFile(textOnly, JSON.stringify({ steps: recipe.steps.filter((s: { regionKind: string }) => s.regionKind !== 'face') }));
  const open = path.join(tmp, 'open');
  expect(run('apply', textOnly, scene, '--out', open, '--format', 'png').code).toBe(0);

  const verified = run('verify', '--pixels', '--json', covered, open);
  expect(verified.code).toBe(1);
  const files: { path: string; findings: { kind: string; where: string }[]; detector: { faces: string; text: string } }[] = JSON.parse(verified.stdout).files;
  const coveredFile = files.find((f) => f.path.startsWith(covered))!;
  const openFile = files.find((f) => f.path.startsWith(open))!;
  // Covered: no face, and nothing on the badge (its overlays are not mistaken for text: verify
  // shows the detectors the obscured regions filled in with their surroundings).
  const boxOf = (where: string): Rect => {
    const [, x, y, w, h] = /box (\d+),(\d+) (\d+)x(\d+)/.exec(where)!.map(Number);
    return { x: x!, y: y!, w: w!, h: h! };
  };
  const onBadge = (f: { kind: string; where: string }) => f.kind === 'possible-text' && containedShare(boxOf(f.where), badgeBox) > 0.2;
  expect(coveredFile.findings.filter((f) => f.kind === 'possible-face' || onBadge(f))).toEqual([]);
  expect(coveredFile.findings.filter((f) => f.kind === 'checklist-incomplete').length).toBeGreaterThan(0);
  expect(coveredFile.detector.faces).toMatch(/^detector: no face found/);
  // Uncovered: the face is reported where it is, and the checklist note says so.
  const faces = openFile.findings.filter((f) => f.kind === 'possible-face');
  expect(faces).toHaveLength(1);
  expect(iou(boxOf(faces[0]!.where), faceBox)).toBeGreaterThan(0.4);
  expect(openFile.findings.filter(onBadge)).toEqual([]);
  expect(openFile.detector.faces).toBe('detector: 1 possible face, 1 not under an obscured region');
  // verify never writes: the sidecar's checklist is as apply left it, not signed by anyone.
  const sidecarFile = (await fs.readdir(open)).find((n) => n.endsWith('.deid.json'))!;
  const sidecar = parseSidecar(await fs.readFile(path.join(open, sidecarFile), 'utf8'));
  expect(sidecar.checklist.signedOff).toBe(false);
  expect(sidecar.checklist.items.find((i) => i.id === 'faces')!.status).toBe('unchecked');
}, LOADED_MODELS_TIMEOUT);

test('--recipe with more than one image is a usage error and writes nothing', () => {
  const out = path.join(tmp, 'two.json');
  const r = run('detect', scene, scene, '--recipe', out);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/ONE image/);
  return expect(fs.access(out)).rejects.toThrow();
});
