import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { UNDOCUMENTED_GLOBALS } from '../../src/panels/environment';
import { loadBundle } from './uxp-context';

const ROOT = path.resolve(__dirname, '../..');
/** A production webpack build of the panel takes a while on a shared 2-core machine. */
const BUILD_TIMEOUT_MS = 180_000;

/** What the plugin folder holds (sorted); the licence file is Terser's extract of the bundled libraries' notices. */
const PLUGIN_FILES = ['icons/panel@1x.png', 'icons/panel@2x.png', 'icons/plugin@1x.png', 'icons/plugin@2x.png', 'index.html', 'index.js', 'index.js.LICENSE.txt', 'manifest.json'];

let out: string;

beforeAll(() => {
  // A directory of its own, so the test never clobbers a dist/ someone is using.
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-plugin-'));
  const build = spawnSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'webpack.config.js', '--config-name', 'plugin', '--output-path', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  if (build.status !== 0) throw new Error(`webpack failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
  const pack = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package.js'), out], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`package.js failed (${pack.status}):\n${pack.stdout}\n${pack.stderr}`);
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

function files(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

test('dist holds the manifest (with package.json\'s version), index.html, ONE bundle and the icons', () => {
  const listed = files(out).sort();
  expect(listed).toEqual(
    ['com.deidphoto.panel_PS.ccx', ...PLUGIN_FILES].sort(),
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(manifest.version).toBe(pkg.version);
  expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<script src="index.js"></script>');
});

test('the bundle has no eval, loads host modules with require at run time, and carries the version', () => {
  const bundle = fs.readFileSync(path.join(out, 'index.js'), 'utf8');
  // UXP refuses eval and new Function.
  expect(bundle).not.toMatch(/\beval\(/);
  expect(bundle).not.toMatch(/new Function\(/);
  expect(bundle).toContain('require("uxp")');
  expect(bundle).toContain('require("photoshop")');
  // Nothing Node-only slipped in.
  expect(bundle).not.toMatch(/require\("(node:)?(child_process|sharp|worker_threads)"\)/);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(bundle).toContain(JSON.stringify(pkg.version));
  expect(bundle).toContain('Run self-test');
});

test('the .ccx is a zip with manifest.json at its root, the plugin files, and no dotfiles', () => {
  const zip = unzipSync(new Uint8Array(fs.readFileSync(path.join(out, 'com.deidphoto.panel_PS.ccx'))));
  const names = Object.keys(zip).sort();
  expect(names).toEqual(PLUGIN_FILES);
  expect(names.some((n) => n.split('/').some((part) => part.startsWith('.')))).toBe(false);
  expect(Buffer.from(zip['manifest.json']).equals(fs.readFileSync(path.join(out, 'manifest.json')))).toBe(true);
  expect(Buffer.from(zip['index.js']).equals(fs.readFileSync(path.join(out, 'index.js')))).toBe(true);
});

test('the packager leaves out dotfiles, lock files and source maps, and refuses a broken manifest', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-pack-'));
  try {
    for (const f of files(out).filter((n) => !n.endsWith('.ccx'))) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.copyFileSync(path.join(out, f), path.join(dir, f));
    }
    fs.writeFileSync(path.join(dir, '.DS_Store'), 'x');
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}');
    fs.writeFileSync(path.join(dir, 'index.js.map'), '{}');
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref');
    const ok = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package.js'), dir], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const names = Object.keys(unzipSync(new Uint8Array(fs.readFileSync(path.join(dir, 'com.deidphoto.panel_PS.ccx'))))).sort();
    expect(names).toEqual(PLUGIN_FILES);

    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, requiredPermissions: { network: { domains: 'all' } } }));
    fs.rmSync(path.join(dir, 'com.deidphoto.panel_PS.ccx'));
    const refused = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package.js'), dir], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/must not declare network/);
    expect(fs.existsSync(path.join(dir, 'com.deidphoto.panel_PS.ccx'))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('the built bundle in a context holding only what UXP documents (issue 7 finding 1)', () => {
  const UNDOCUMENTED = [...UNDOCUMENTED_GLOBALS];

  async function createPanel(result: ReturnType<typeof loadBundle>): Promise<HTMLElement> {
    const root = result.document.createElement('div');
    result.document.body.appendChild(root);
    await result.setupCalls[0].panels.deidPanel.create(root);
    return root;
  }

  test('with every global the panel uses, the script registers the panel and create mounts it', async () => {
    const result = loadBundle(path.join(out, 'index.js'), UNDOCUMENTED);
    expect(result.error).toBeNull();
    expect(result.setupCalls).toHaveLength(1);
    expect(Object.keys(result.setupCalls[0].panels)).toEqual(['deidPanel']);
    expect(result.setupCalls[0].panels.deidPanel.menuItems).toEqual([{ id: 'runSelfTest', label: 'Run self-test' }]);
    const root = await createPanel(result);
    await waitFor(() => root.querySelector('[data-testid="tab-start"]') !== null);
    expect(root.querySelector('[data-testid="panel-problem"]')).toBeNull();
    expect(root.textContent).toContain('Checklist');
  });

  test.each(UNDOCUMENTED)('without %s the panel still registers, and create says what is missing', async (name) => {
    const result = loadBundle(path.join(out, 'index.js'), UNDOCUMENTED, [name]);
    expect(result.error).toBeNull();
    expect(result.setupCalls).toHaveLength(1);
    const root = await createPanel(result);
    const problem = root.querySelector('[data-testid="panel-problem"]');
    expect(problem?.textContent).toBe(`The panel cannot run in this version of Photoshop: its UXP lacks ${name}. Update Photoshop.`);
    expect(root.querySelector('[data-testid="tab-start"]')).toBeNull();
  });
});

/** Polls without a clock of its own (the context may lack setTimeout): yields to Node's event loop. */
async function waitFor(done: () => boolean, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error('the condition never held');
}
