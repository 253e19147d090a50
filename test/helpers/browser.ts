import { chromium, type Browser } from 'playwright-core';
import * as fs from 'node:fs';

/**
 * Debian's chromium driven by playwright-core (the browser build Playwright downloads cannot be
 * fetched here). The flags keep it off the network: without the background-networking flags it
 * tries to reach Google's hosts at every start, and this machine refuses those connections.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    browser,
    // Playwright gives each launch a fresh temporary profile and removes it on close.
    close: () => browser.close(),
  };
}
