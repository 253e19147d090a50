/** Replaced by webpack's DefinePlugin with package.json's version (webpack.config.js). */
declare const __DEID_VERSION__: string | undefined;

/** Shown in the panel and recorded in every sidecar's `tool.version`. */
export const PLUGIN_VERSION: string = typeof __DEID_VERSION__ === 'string' ? __DEID_VERSION__ : '0.0.0-dev';
