/** The panel entrypoint's id: must equal the manifest's (test/build/manifest.test.ts checks it). */
export const PANEL_ID = 'deidPanel';
export const MENU_SELF_TEST = 'runSelfTest';
export const MENU_ITEMS = [{ id: MENU_SELF_TEST, label: 'Run self-test' }];
