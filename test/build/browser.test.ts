import { launchBrowser } from '../helpers/browser';

// The page tests (panel preview, review workspace) all stand on this: a real Chromium, offline.
test('Debian chromium starts under playwright-core and renders a page', async () => {
  const { browser, close } = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent('<p id="x">rendered</p>');
    expect(await page.textContent('#x')).toBe('rendered');
  } finally {
    await close();
  }
});
