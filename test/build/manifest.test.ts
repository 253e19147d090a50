import fs from 'node:fs';
import path from 'node:path';

// Plain CommonJS scripts shared with `npm run package`.
const { manifestProblems, isPluginVersion, iconFiles } = require('../../scripts/manifest-rules') as {
  manifestProblems(m: unknown, o?: { packageVersion?: string; fileExists?: (p: string) => boolean }): string[];
  isPluginVersion(v: unknown): boolean;
  iconFiles(icon: { path: string; scale?: number[] }): string[];
};

const ROOT = path.resolve(__dirname, '../..');
const PLUGIN = path.join(ROOT, 'plugin');
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** IHDR is the first chunk: 8 signature + 4 length + 4 type bytes, then width and height. */
const IHDR_WIDTH_OFFSET = 16;

interface Icon {
  width: number;
  height: number;
  path: string;
  scale?: number[];
  theme: string[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(PLUGIN, 'manifest.json'), 'utf8'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  expect([...bytes.subarray(0, PNG_SIGNATURE.length)]).toEqual(PNG_SIGNATURE);
  return { width: bytes.readUInt32BE(IHDR_WIDTH_OFFSET), height: bytes.readUInt32BE(IHDR_WIDTH_OFFSET + 4) };
}

/**
 * With `scale: [1, 2]` UXP loads `name@1x.png` and `name@2x.png`, never the bare `name.png`
 * (AdobeDocs/uxp-photoshop guides/uxp-guide/uxp-misc/plugin-icons: "pluginIcon@1x.png [note the
 * "@1x" suffix]"): each scaled file exists at its size.
 */
function expectIconFiles(icon: Icon): void {
  expect(icon.scale).toEqual([1, 2]);
  expect(iconFiles(icon)).toEqual([icon.path.replace(/\.png$/, '@1x.png'), icon.path.replace(/\.png$/, '@2x.png')]);
  expect(pngSize(path.join(PLUGIN, icon.path.replace(/\.png$/, '@1x.png')))).toEqual({ width: icon.width, height: icon.height });
  expect(pngSize(path.join(PLUGIN, icon.path.replace(/\.png$/, '@2x.png')))).toEqual({ width: icon.width * 2, height: icon.height * 2 });
}

test('the manifest follows the packaging rules, with package.json\'s version', () => {
  expect(manifestProblems(manifest, { packageVersion: pkg.version, fileExists: (p) => fs.existsSync(path.join(PLUGIN, p)) })).toEqual([]);
  expect(manifest.manifestVersion).toBe(5);
  expect(manifest.version).toBe(pkg.version);
  expect(manifest.version.split('.')).toHaveLength(3);
  expect(manifest.host).toEqual({ app: 'PS', minVersion: '25.0.0' });
  expect(manifest.main).toBe('index.html');
});

test('plugin icon is 24x24 (+48x48), every panel has a 23x23 (+46x46) icon, theme all', () => {
  expect(manifest.icons).toHaveLength(1);
  expect(manifest.icons[0]).toMatchObject({ width: 24, height: 24, theme: ['all'] });
  expectIconFiles(manifest.icons[0]);
  const panels = manifest.entrypoints.filter((e: { type: string }) => e.type === 'panel');
  expect(panels).toHaveLength(1);
  for (const panel of panels) {
    expect(panel.icons.length).toBeGreaterThan(0);
    for (const icon of panel.icons) {
      expect(icon).toMatchObject({ width: 23, height: 23, theme: ['all'] });
      expectIconFiles(icon);
    }
    for (const key of ['minimumSize', 'maximumSize', 'preferredDockedSize', 'preferredFloatingSize']) {
      expect(panel[key]).toEqual({ width: expect.any(Number), height: expect.any(Number) });
    }
    expect(panel.label.default).toBeTruthy();
  }
});

test('permissions: file pickers only, no network, so images cannot leave the machine', () => {
  expect(manifest.requiredPermissions).toEqual({ localFileSystem: 'request' });
  expect(JSON.stringify(manifest)).not.toMatch(/network|domains/i);
});

test('the panel id in the manifest is the one the code registers', () => {
  const controller = fs.readFileSync(path.join(ROOT, 'src/panels/panel-ids.ts'), 'utf8');
  const id = /export const PANEL_ID = '([^']+)'/.exec(controller)?.[1];
  expect(manifest.entrypoints.map((e: { id: string }) => e.id)).toEqual([id]);
});

test('an icon shipped only under its bare name (no @1x) is refused: UXP would not find it', () => {
  const bareOnly = (p: string) => !/@\dx\.png$/.test(p);
  expect(manifestProblems(manifest, { packageVersion: pkg.version, fileExists: bareOnly })).toEqual(
    expect.arrayContaining(['plugin: icon icons/plugin@1x.png is missing', 'panel deidPanel: icon icons/panel@1x.png is missing']),
  );
});

test('the rules catch what the packager must refuse', () => {
  const broken = {
    ...manifest,
    version: '1.2',
    host: [{ app: 'PS', minVersion: '24.0.0' }],
    icons: [],
    entrypoints: [{ ...manifest.entrypoints[0], icons: undefined }],
    requiredPermissions: { localFileSystem: 'request', network: { domains: ['https://example.com'] } },
  };
  const problems = manifestProblems(broken, { packageVersion: pkg.version });
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^version must be x\.y\.z/),
      expect.stringMatching(/differs from package\.json/),
      expect.stringMatching(/^host must be a single object/),
      'plugin: icons are required',
      'panel deidPanel: icons are required',
      expect.stringMatching(/must not declare network/),
    ]),
  );
  for (const v of ['0.1.0', '99.99.99', '1.0.0']) expect(isPluginVersion(v)).toBe(true);
  for (const v of ['1.0', '1.0.0.0', '100.0.0', '1.a.0', '', 1]) expect(isPluginVersion(v)).toBe(false);
});
