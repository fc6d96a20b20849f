// "I bought it with my other email" (issue #20 §1), as a buyer lives it: a real Chromium talks only
// to the nginx of docs/deploy.md, in front of the real service and the echo storefront. The course
// was bought with the work address; the buyer signs in with the home one, is denied, adds the work
// address on "Your email addresses", types the code from its mail, and the course opens.
// Without Chromium or nginx the test is skipped locally (visibly) and fails in CI.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { browsers, navigation, type Browsers } from './support/browser.ts';
import { cli, type Echo } from './support/processes.ts';
import { startStack, type Stack } from './support/stack.ts';
import { e2eTools, stopWithoutTools } from './support/tools.ts';

const tools = e2eTools(['nginx', 'chromium']);
const { nginx, chromium: chromiumBin, skip } = tools;
setDefaultTimeout(60_000);

const HOME = 'home-buyer@example.com';
const WORK = 'work-buyer@example.com';
const COURSE = '/content/work-course/lesson-1';
let shop: Stack;
let chrome: Browsers;

/** The newest mail to `to` (waiting for the outbox). */
async function mailTo(to: string, count: number) {
  const deadline = Date.now() + 15_000;
  while (shop.mail.to(to).length < count) {
    if (Date.now() > deadline) throw new Error(`no mail to ${to}`);
    await Bun.sleep(25);
  }
  return shop.mail.to(to).at(-1)!;
}

describe('adding a second address in a browser, behind nginx', () => {
  if (stopWithoutTools('addresses browser test', tools)) return;

  beforeAll(async () => {
    if (skip) return;
    shop = await startStack(nginx!, {
      serviceEnv: { EDGE_CACHE_SECONDS: '1' },
      async beforeStart(env) {
        const run = await cli(
          env,
          'grant',
          'add',
          '--handle',
          'gharart',
          '--email',
          WORK,
          '--resource',
          '/content/work-course/*',
          '--kind',
          'content',
        );
        if (run.code !== 0) throw new Error(`grant add failed: ${run.stdout}${run.stderr}`);
      },
    });
    chrome = browsers(chromiumBin!);
  }, 120_000);

  afterAll(async () => {
    await chrome?.closeAll();
    await shop?.stop();
  }, 30_000);

  it.skipIf(skip)('signs in with one address, adds the other by its code, and sees the purchase made with it', async () => {
    const { page } = await chrome.open();
    // The course asks for a sign-in; the buyer uses the home address (by code).
    await page.goto(`${shop.origin}${COURSE}`);
    expect(page.url()).toBe(`${shop.origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent(COURSE)}`);
    await page.getByLabel('Email').fill(HOME);
    await navigation(page, () => page.getByRole('button', { name: 'Email me a sign-in link' }).click());
    await page.getByLabel('Code').fill((await mailTo(HOME, 1)).code!);
    const denied = await navigation(page, () => page.getByRole('button', { name: 'Sign in' }).click());
    expect(page.url()).toBe(`${shop.origin}${COURSE}`);
    expect(denied.status()).toBe(403); // bought with the other address

    // "Your email addresses": add the work address, type the code from its mail.
    const addresses = await page.goto(`${shop.origin}/_edge/visitor/emails`);
    expect(addresses?.status()).toBe(200);
    await page.getByLabel('Add an address').fill(WORK);
    const sent = await navigation(page, () => page.getByRole('button', { name: 'Send a confirmation email' }).click());
    expect(sent.status()).toBe(200);
    expect(await page.locator('[data-sent]').textContent()).toContain(WORK);
    const mail = await mailTo(WORK, 1);
    expect(mail.subject).toContain('Confirm your email address');
    await page.getByLabel(`Code from the email (${WORK})`).fill(mail.code!);
    await navigation(page, () => page.getByRole('button', { name: 'Confirm', exact: true }).click());
    expect(page.url()).toBe(`${shop.origin}/_edge/visitor/emails`);
    expect(await page.locator(`[data-address="${WORK}"]`).getAttribute('data-verified')).toBe('true');

    // The purchase made with the work address opens (past EDGE_CACHE_SECONDS).
    await Bun.sleep(1100);
    const course = await page.goto(`${shop.origin}${COURSE}`);
    expect(course?.status()).toBe(200);
    expect(course?.headers()['x-served-by']).toBe('storefront');
    const echo = (await course!.json()) as Echo;
    expect(echo.visitorId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
