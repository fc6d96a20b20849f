// The sign-in mail as a phone shows it: the HTML part captured from real SMTP (after a real request
// through the in-process service) is rendered in headless Chromium at 390×844 and at 1280×800.
// Nothing may scroll sideways, the button and the copyable link must show, the preheader must not,
// and the mail must load nothing from the network. Screenshots go under test/artifacts/.
// Without Chromium the test is skipped locally (visibly) and fails in CI.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { updateTenant } from '../../src/tenants/tenants.ts';
import { Harness } from '../support/harness.ts';
import { CHROMIUM_ARGS, LAPTOP, PHONE } from './support/browser.ts';
import { e2eTools, stopWithoutTools } from './support/tools.ts';

const tools = e2eTools(['chromium']);
const { chromium: chromiumBin, skip } = tools;
setDefaultTimeout(30_000);

const ARTIFACTS = join(import.meta.dir, '..', 'artifacts');
// An unbreakable tenant name and a long address stress the wrapping of the heading and the link.
const LONG_NAME = 'The-Remarkably-Long-Handmade-Ceramics-And-Textiles-Storefront';
const EMAIL = 'a-remarkably-long-shopper-address-for-wrapping-checks@mail.a-very-long-storefront-domain.example.com';

let h: Harness;
let chrome: Browser;

/** What the rendered mail shows, measured in the page. */
async function measure(page: Page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, lang: root.lang, title: document.title };
  });
}

describe('the sign-in mail in a real browser', () => {
  if (stopWithoutTools('mail rendering test', tools)) return;

  beforeAll(async () => {
    if (skip) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await Harness.start();
    await updateTenant(h.db, 'gharart', { name: LONG_NAME });
    // A plain browser (no profile needed for setContent), with the suite's switches.
    chrome = await chromium.launch({
      executablePath: chromiumBin!,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 20_000,
    });
  });
  afterAll(async () => {
    await chrome?.close();
    await h?.close();
  });

  it.skipIf(skip)('fits a 390 px phone without sideways scrolling, shows the button and the copyable link, loads nothing', async () => {
    const mail = await h.requestLink(EMAIL);
    expect(mail.link).not.toBeNull();
    // A phone context (isMobile): like a real phone it lays a page without a viewport meta out at 980 px.
    const context = await chrome.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.setContent(mail.html, { waitUntil: 'load' });

    const shown = await measure(page);
    expect(shown.scrollWidth).toBeLessThanOrEqual(PHONE.width);
    expect(shown.scrollWidth).toBe(shown.clientWidth);
    await page.screenshot({ path: join(ARTIFACTS, 'mail-sign-in.phone.png'), fullPage: true });
    expect(shown).toMatchObject({ lang: 'en', title: `Sign in to ${LONG_NAME}` });
    // The viewport meta is what makes a phone lay the mail out at its own width, not at 980 px.
    expect(await page.evaluate(() => window.innerWidth)).toBe(PHONE.width);

    const button = page.getByRole('link', { name: 'Sign in', exact: true });
    expect(await button.isVisible()).toBe(true);
    expect(await button.getAttribute('href')).toBe(mail.link!);
    // A thumb-sized target.
    const box = (await button.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(40);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);

    const copy = page.locator('a[data-copy-link]');
    expect(await copy.isVisible()).toBe(true);
    expect((await copy.textContent())?.trim()).toBe(mail.link!);
    const copyBox = (await copy.boundingBox())!;
    expect(copyBox.x + copyBox.width).toBeLessThanOrEqual(PHONE.width);

    const code = page.locator('[data-code]');
    expect(await code.isVisible()).toBe(true);
    expect((await code.textContent())?.trim()).toBe(mail.code!);

    expect(await page.locator('[data-preheader]').isVisible()).toBe(false);
    expect(
      await page
        .getByText(/valid 15 minutes/)
        .first()
        .isVisible(),
    ).toBe(false);
    expect(await page.getByText('The link and the code work once, for 15 minutes.', { exact: false }).isVisible()).toBe(true);

    // No images, fonts or stylesheets from anywhere: setContent itself makes no request.
    expect(requests).toEqual([]);

    // On a laptop-sized desktop window the one column stays centred and nothing sticks out either.
    const desktop = await chrome.newContext({ viewport: LAPTOP });
    const wide = await desktop.newPage();
    await wide.setContent(mail.html, { waitUntil: 'load' });
    const laptop = await measure(wide);
    expect(laptop.scrollWidth).toBe(laptop.clientWidth);
    await wide.screenshot({ path: join(ARTIFACTS, 'mail-sign-in.laptop.png'), fullPage: true });
  });
});
