import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { startReviewServer, type ReviewServer, type ReviewServerOptions } from '../../src/cli/review/server';
import { sha256Hex } from '../../src/core/hash';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { generateReviewerKey } from '../../src/core/signature/keys';
import { deid, json } from '../cli/run';
import { REPO, SAMPLE, SAMPLE_RECIPE } from './paths';

/**
 * `deid apply` of the bundled sample and recipe into `dir`: one export, a new alternate id each
 * time, and the same image each time unless `recipe` differs (helpers/distinct-recipe.ts).
 */
export async function applySample(dir: string, recipe = SAMPLE_RECIPE): Promise<{ id: string; image: string; sidecar: string }> {
  const r = await deid('apply', recipe, SAMPLE, '--out', dir, '--json');
  if (r.code !== 0) throw new Error(`deid apply failed: ${r.stderr}`);
  const out = json<{ alternateId: string; image: string; sidecar: string }>(r.stdout);
  return { id: out.alternateId, image: out.image, sidecar: out.sidecar };
}

/**
 * An export whose mosaic was painted back with the original face, and whose sidecar was then
 * "fixed" to the new bytes' hash: only the region check can catch it.
 */
export async function paintRegionBack(exp: { image: string; sidecar: string }): Promise<void> {
  const recipe = JSON.parse(fs.readFileSync(SAMPLE_RECIPE, 'utf8')) as { steps: { op: string; region: { x: number; y: number; w: number; h: number } }[] };
  const r = recipe.steps.find((s) => s.op === 'pixelate')!.region;
  const face = await sharp(SAMPLE).rotate().extract({ left: r.x, top: r.y, width: r.w, height: r.h }).toBuffer();
  const painted = await sharp(exp.image).composite([{ input: face, left: r.x, top: r.y }]).jpeg({ quality: 92 }).toBuffer();
  rebindImage(exp, painted);
}

/** Writes `bytes` as the export's image and "fixes" its sidecar's hash and size to match. */
export function rebindImage(exp: { image: string; sidecar: string }, bytes: Uint8Array): void {
  fs.writeFileSync(exp.image, bytes);
  const sidecar = JSON.parse(fs.readFileSync(exp.sidecar, 'utf8'));
  sidecar.image.sha256 = sha256Hex(bytes);
  sidecar.image.bytes = bytes.length;
  fs.writeFileSync(exp.sidecar, `${JSON.stringify(sidecar, null, 2)}\n`);
}

/** A re-export of the same id: a red block in the bottom-left corner (outside every recorded region), sidecar rewritten to match. */
export async function reExportWithRedCorner(exp: { image: string; sidecar: string }): Promise<Buffer> {
  const meta = await sharp(exp.image).metadata();
  const red = await sharp({ create: { width: 80, height: 80, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
  const changed = await sharp(exp.image).composite([{ input: red, left: 0, top: meta.height! - 80 }]).jpeg({ quality: 92 }).toBuffer();
  rebindImage(exp, changed);
  return changed;
}

/** SHA-256 of every regular file under `dir` (symlinks listed as such): "nothing written" checks. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out[p] = `link:${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) walk(p);
      else out[p] = sha256Hex(fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Builds the review page (webpack.review.js) into `outDir` once per test file; development mode skips minifying (minutes on a loaded 2-core CI). */
export function buildReviewPage(outDir: string): void {
  const build = spawnSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'webpack.review.js', '--mode', 'development', '--output-path', outDir], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (build.status !== 0) throw new Error(`webpack (review page) failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
}

export interface RunningReview {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the real `deid review` (bin/deid.js, the compiled CLI) and waits for its URL. */
export function startDeidReview(args: string[], env: Record<string, string> = {}): Promise<RunningReview> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'review', ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(out);
      if (m) resolve({ child, url: m[1], output: () => out, exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`deid review exited (${code}) before printing its URL:\n${out}`)));
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body as sent (an image's bytes). */
  bytes: Buffer;
}

/**
 * One HTTP request with exactly the headers given (fetch would not let a test set Host) and the
 * path sent as written (no normalisation of ../ or %2e).
 */
export function rawRequest(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, setHost: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const bytes = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is sent.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

export interface SignedIn {
  host: string;
  cookie: string;
  /** The page token (the CSRF token) from the sign-in redirect's fragment, as the page takes it. */
  csrf: string;
  /** Host, session cookie and page token: what the page sends with every request to /api. */
  headers: Record<string, string>;
}

/** Signs in with the printed URL's token as a browser does: the 303 sets the cookie and carries the page token in its fragment. */
export async function signIn(url: string): Promise<SignedIn> {
  const u = new URL(url);
  const port = Number(u.port);
  const host = `127.0.0.1:${port}`;
  const login = await rawRequest(port, { path: `/?token=${u.searchParams.get('token')!}`, headers: { Host: host } });
  if (login.status !== 303) throw new Error(`sign-in answered ${login.status}`);
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const csrf = /^\/#csrf=([A-Za-z0-9_-]+)$/.exec(String(login.headers.location))![1]!;
  return { host, cookie, csrf, headers: { Host: host, Cookie: cookie, 'X-Deid-CSRF': csrf } };
}

/** The checklist items a reviewer answers on the page (the others are the tool's own checks). */
export const MANUAL = ['faces', 'marks', 'jewellery-clothing', 'text', 'codes', 'background', 'dates'];

export interface ShownImage {
  /** The <img>'s address: an object URL (blob:) of the bytes the page fetched with its token. */
  src: string;
  width: number;
  height: number;
  /** What chromium decoded, 8-bit RGB, row by row. */
  rgb: Buffer;
}

/**
 * The export's image as the review page shows it, read back from the browser once it has loaded:
 * the <img> drawn onto a canvas and handed over as PNG (lossless), decoded here by sharp. Waits
 * until chromium has decoded an image (other than the one at `replacing`, after a reload); an
 * image the page could not load never gets there.
 */
export async function shownImage(page: Page, replacing?: string): Promise<ShownImage> {
  await page.waitForFunction((before) => {
    const img = document.querySelector('[data-testid=image]') as HTMLImageElement | null;
    return img !== null && img.src !== before && img.complete && img.naturalWidth > 0;
  }, replacing ?? null);
  const shown = await page.getByTestId('image').evaluate((img: HTMLImageElement) => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext('2d')!.drawImage(img, 0, 0);
    return { src: img.src, width: img.naturalWidth, height: img.naturalHeight, png: c.toDataURL('image/png') };
  });
  const rgb = await sharp(Buffer.from(shown.png.replace(/^data:image\/png;base64,/, ''), 'base64')).removeAlpha().raw().toBuffer();
  return { src: shown.src, width: shown.width, height: shown.height, rgb };
}

/**
 * The mean absolute difference per channel between what the page shows and `file` as sharp
 * (libvips) decodes it; Infinity if the sizes differ. Debian's chromium and libvips decode the
 * sample's exports to the same values (0); the painted-back export against an untouched one is 2.6.
 */
export async function differenceFromFile(shown: ShownImage, file: string): Promise<number> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== shown.width || info.height !== shown.height) return Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += Math.abs(data[i]! - shown.rgb[i]!);
  return sum / data.length;
}

/**
 * The review server in process on `folder`, as the tests run it: the default policy, a fresh
 * reviewer key, no idle stop within a test, every export verified before it returns.
 */
export async function serveFolder(folder: string, options: Partial<ReviewServerOptions> = {}): Promise<ReviewServer> {
  const key = generateReviewerKey();
  const server = await startReviewServer({ folder, policy: DEFAULT_POLICY, key: () => key, idleMs: 600_000, ...options });
  await server.verified;
  return server;
}
