'use strict';
/**
 * The packaging rules Adobe's UXP CLI applies (research/photoshop-uxp.md "Manifest v5"), checked
 * without Photoshop: scripts/package.js refuses to build a .ccx that breaks them, and
 * test/build/manifest.test.ts runs them on plugin/manifest.json.
 */

const VERSION_PART_MAX = 99;
const NAME_MIN = 3;
const NAME_MAX = 45;
const MIN_HOST_MAJOR = 25;

/** "x.y.z", each part 0-99. */
function isPluginVersion(v) {
  if (typeof v !== 'string') return false;
  const parts = v.split('.');
  return parts.length === 3 && parts.every((p) => /^\d{1,2}$/.test(p) && Number(p) <= VERSION_PART_MAX);
}

/**
 * The files UXP loads for an icon: with `scale`, `<name>@<scale>x.png` for each scale and never
 * the bare name (AdobeDocs/uxp-photoshop src/pages/guides/uxp-guide/uxp-misc/plugin-icons,
 * "Export your icons with @1x and @2x scales ... pluginIcon@1x.png [note the "@1x" suffix]";
 * Adobe's ui-react-starter ships plugin@1x.png and plugin@2x.png).
 */
function iconFiles(icon) {
  if (!Array.isArray(icon.scale)) return [icon.path];
  return icon.scale.map((s) => icon.path.replace(/\.png$/i, `@${s}x.png`));
}

function iconProblems(icons, where, fileExists) {
  if (!Array.isArray(icons) || icons.length === 0) return [`${where}: icons are required`];
  const problems = [];
  for (const icon of icons) {
    if (typeof icon.path !== 'string' || !/\.png$/i.test(icon.path)) problems.push(`${where}: icon path must be a .png`);
    else if (fileExists) for (const f of iconFiles(icon)) if (!fileExists(f)) problems.push(`${where}: icon ${f} is missing`);
    if (!Array.isArray(icon.theme) || icon.theme.length === 0) problems.push(`${where}: icon ${icon.path} needs a theme`);
  }
  return problems;
}

/**
 * Everything wrong with a manifest, as messages (empty: fine).
 * @param {any} manifest parsed manifest.json
 * @param {{packageVersion?: string, fileExists?: (relativePath: string) => boolean}} options
 */
function manifestProblems(manifest, options = {}) {
  const problems = [];
  if (manifest.manifestVersion !== 5) problems.push('manifestVersion must be 5');
  if (typeof manifest.id !== 'string' || manifest.id === '') problems.push('id is required');
  if (typeof manifest.name !== 'string' || manifest.name.length < NAME_MIN || manifest.name.length > NAME_MAX) {
    problems.push(`name must be ${NAME_MIN}-${NAME_MAX} characters`);
  }
  if (!isPluginVersion(manifest.version)) problems.push(`version must be x.y.z with each part 0-${VERSION_PART_MAX}, got ${manifest.version}`);
  if (options.packageVersion !== undefined && manifest.version !== options.packageVersion) {
    problems.push(`version ${manifest.version} differs from package.json's ${options.packageVersion}`);
  }
  const host = manifest.host;
  if (Array.isArray(host) || typeof host !== 'object' || host === null) {
    problems.push('host must be a single object (an array is for development only)');
  } else {
    if (host.app !== 'PS') problems.push('host.app must be "PS"');
    const major = Number(String(host.minVersion).split('.')[0]);
    if (!(major >= MIN_HOST_MAJOR)) problems.push(`host.minVersion must be ${MIN_HOST_MAJOR}.0.0 or newer`);
  }
  problems.push(...iconProblems(manifest.icons, 'plugin', options.fileExists));
  const entrypoints = Array.isArray(manifest.entrypoints) ? manifest.entrypoints : [];
  if (entrypoints.length === 0) problems.push('entrypoints are required');
  for (const e of entrypoints) {
    if (e.type === 'panel') problems.push(...iconProblems(e.icons, `panel ${e.id}`, options.fileExists));
  }
  const permissions = manifest.requiredPermissions || {};
  if ('network' in permissions) problems.push('requiredPermissions must not declare network: images never leave the machine');
  return problems;
}

module.exports = { iconFiles, manifestProblems, isPluginVersion };
