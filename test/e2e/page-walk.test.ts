// A walk through every page a shopper can land on (sign-in, check-email, link confirm, used,
// mangled and expired links, cookies blocked, wrong code, invalid email, bad returnTo, diagnostics, the demo
// storefront, its 403, deleting the account) at 390 px and 1280 px, and the support console's pages at 1280 px, in a real
// (headless Debian) Chromium driven by playwright-core against the real service process in
// development (the demo storefront is served in-process; mail is captured over real SMTP). On each
// page and width it fails on: sideways overflow (the document or any element wider than the
// viewport), a missing `<html lang>`, a form control without an accessible name, and an error page
// (status >= 400 or `.card.error`) with no form or link to go on with. Screenshots of every page go to
// test-output/page-walk/<name>-<width>.png (gitignored) for a reviewer.
// Without Chromium the test is skipped locally (visibly) and fails in CI.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Response as PageResponse } from 'playwright-core';
import { freshDatabase, usingPostgres } from '../support/database.ts';
import { MailCapture, type CapturedMail } from '../support/mail-capture.ts';
import { browsers, LAPTOP, PHONE, type Browsers, navigation, goto } from './support/browser.ts';
import { cli, reservePort, startService, type CliRun, type Service } from './support/processes.ts';
import { e2eTools, stopWithoutTools } from './support/tools.ts';

const tools = e2eTools(['chromium']);
const { chromium: chromiumBin, skip } = tools;
setDefaultTimeout(120_000);

const OUTPUT = join(import.meta.dir, '..', '..', 'test-output', 'page-walk');
const DEMO = 'demo@example.com';
const LEAD = 'lead@walk.example';
/** Links live this long, so the expired-link page happens within the walk. */
const LINK_TTL = 8;

/**
 * Error pages that today have no form or link forward; another change in progress gives them one.
 * Only the "forward" check is skipped for these, every other check still runs. Remove an entry once
 * its page leads on (the test then fails, asking for it).
 */
const AWAITING_FORWARD_FIX: readonly string[] = [];

type Problem = string;
type Walked = { name: string; status: number; problems: Problem[] };

let service: Service;
let mail: MailCapture;
let origin: string;
let chrome: Browsers;
const cleanups: (() => unknown)[] = [];
const walked: Walked[] = [];

function must(run: CliRun, what: string): CliRun {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  return run;
}

async function mailFor(email: string, count = 1): Promise<CapturedMail> {
  const deadline = Date.now() + 15_000;
  while (mail.to(email).length < count) {
    if (Date.now() > deadline) throw new Error(`mail #${count} to ${email} did not arrive (got ${mail.to(email).length})`);
    await Bun.sleep(25);
  }
  return mail.to(email)[count - 1]!;
}

/** What is wrong with the page as shown now, in words (empty when nothing). */
function inspect(page: Page, forwardRequired: boolean): Promise<Problem[]> {
  return page.evaluate((forward) => {
    const problems: string[] = [];
    const width = window.innerWidth;
    const root = document.documentElement;
    if (root.scrollWidth > width) problems.push(`overflow: document scrollWidth ${root.scrollWidth} > ${width}`);
    const scrollsOnItsOwn = (el: Element): boolean => {
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const x = getComputedStyle(up).overflowX;
        if (x === 'auto' || x === 'scroll') return true;
      }
      return false;
    };
    const describe = (el: Element) => {
      const id = el.id ? `#${el.id}` : '';
      const name = el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '';
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `${el.tagName.toLowerCase()}${id}${name} "${text}"`;
    };
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 0.5 || scrollsOnItsOwn(el)) continue;
      problems.push(`overflow: ${describe(el)} right edge ${Math.round(box.right)} > ${width}`);
    }
    if (!root.getAttribute('lang')?.trim()) problems.push('no <html lang>');
    // Accessible name of a control: a <label>, aria-label(ledby), or (buttons) its text.
    for (const el of Array.from(document.querySelectorAll('input, select, textarea, button'))) {
      if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
      const labelled =
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        !!el.getAttribute('aria-label')?.trim() ||
        !!el.getAttribute('aria-labelledby')?.trim() ||
        (el instanceof HTMLButtonElement && !!el.textContent?.trim()) ||
        (el instanceof HTMLInputElement && ['submit', 'button'].includes(el.type) && !!el.value.trim());
      if (!labelled) problems.push(`unlabelled control: ${describe(el)}`);
    }
    const isError = document.querySelector('.card.error') !== null;
    const leadsOn = document.querySelector('main form, main a[href]') !== null;
    if (forward && isError && !leadsOn) problems.push('error page without a form or link forward');
    return problems;
  }, forwardRequired);
}

/** Checks the page at each width (after it loaded at whatever size), with a screenshot of each. */
async function walk(page: Page, name: string, response: PageResponse, widths = [PHONE, LAPTOP]): Promise<void> {
  const status = response.status();
  const problems: Problem[] = [];
  const awaiting = AWAITING_FORWARD_FIX.includes(name);
  for (const size of widths) {
    await page.setViewportSize(size);
    // Screenshot first, so a failing page can be looked at.
    await page.screenshot({ path: join(OUTPUT, `${name}-${size.width}.png`), fullPage: true });
    const found = await inspect(page, !awaiting);
    // A status >= 400 is an error page even when it forgot its `.card.error`.
    if (!awaiting && status >= 400 && !found.includes('error page without a form or link forward')) {
      const leadsOn = await page.locator('main form, main a[href]').count();
      if (leadsOn === 0) found.push(`status ${status} without a form or link forward`);
    }
    problems.push(...found.map((problem) => `${size.width}px ${problem}`));
  }
  if (awaiting) {
    const leadsOn = await page.locator('main form, main a[href]').count();
    if (leadsOn > 0) problems.push('leads on now: remove it from AWAITING_FORWARD_FIX');
  }
  walked.push({ name, status, problems });
}

beforeAll(async () => {
  if (skip) return;
  mkdirSync(OUTPUT, { recursive: true });
  mail = await new MailCapture().start();
  cleanups.push(() => mail.close());
  const dir = mkdtempSync(join(tmpdir(), 'va-page-walk-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const database = usingPostgres ? await freshDatabase() : null;
  if (database) cleanups.push(() => database.drop());
  const port = reservePort();
  // Development on http://localhost:<port>, as `bun run start` runs: the demo tenant and its storefront live there.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'development',
    PORT: String(port.port),
    DATA_DIR: join(dir, 'data'),
    SMTP_URL: mail.url,
    MAGIC_LINK_TTL: String(LINK_TTL),
    EDGE_CACHE_SECONDS: '1',
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
  };
  must(await cli(env, 'migrate'), 'cli migrate');
  must(await cli(env, 'operator', 'add', LEAD, '--role', 'admin'), 'cli operator add');
  port.release();
  service = await startService(env);
  cleanups.push(() => service.stop());
  origin = `http://localhost:${service.port}`;
  // The storefront's back end grants the demo shopper an order (the seed granted the course).
  const credentials = JSON.parse(readFileSync(join(env.DATA_DIR!, 'dev-credentials.json'), 'utf8')) as { tenantPat: string };
  const granted = await fetch(`${origin}/v2/access/grants`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${credentials.tenantPat}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO, resource: '/orders/A-1001', kind: 'order', orderId: 'A-1001' }),
  });
  if (granted.status !== 200 && granted.status !== 201) throw new Error(`grant: ${granted.status} ${await granted.text()}`);
  chrome = browsers(chromiumBin!);
}, 90_000);

afterAll(async () => {
  await chrome?.closeAll();
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((error) => console.error('page walk cleanup:', error));
}, 30_000);

describe('the page walk', () => {
  if (stopWithoutTools('page walk', tools)) return;

  it.skipIf(skip)(
    'every shopper page at 390 and 1280 px and every console page at 1280 px: no overflow, <html lang>, labelled controls, errors lead on',
    async () => {
      // A link that will have expired by the end of the walk.
      await fetch(`${origin}/v2/visitor/auth/magic-link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'late@example.com', returnTo: '/content/demo/' }),
      });
      const late = await mailFor('late@example.com');
      const lateAt = Date.now();

      // The newcomer: home → course → sign-in → check-email → link → Continue → the course.
      const { page } = await chrome.open({ viewport: PHONE });
      await walk(page, 'storefront-home', await goto(page, `${origin}/`));
      const toSignIn = await navigation(page, () => page.getByRole('link', { name: 'Open the course' }).click());
      expect(new URL(page.url()).pathname).toBe('/_edge/visitor/sign-in');
      await walk(page, 'sign-in', toSignIn);
      await page.getByLabel('Email').fill(DEMO);
      const checkEmail = await navigation(page, () => page.getByRole('button', { name: 'Email me a sign-in link' }).click());
      expect(new URL(page.url()).pathname).toBe('/_edge/visitor/check-email');
      await walk(page, 'check-email', checkEmail);
      const first = await mailFor(DEMO);
      const confirm = await goto(page, first.link!);
      expect(confirm.status()).toBe(200);
      await walk(page, 'link-confirm', confirm);
      const course = await navigation(page, () => page.getByRole('button', { name: 'Continue' }).click());
      expect([new URL(page.url()).pathname, course.status()]).toEqual(['/content/demo/', 200]);
      await walk(page, 'storefront-course', course);
      const lesson = await navigation(page, () => page.getByRole('link', { name: /Lesson 1/ }).click());
      expect(lesson.status()).toBe(200);
      await walk(page, 'storefront-lesson', lesson);
      const order = await goto(page, `${origin}/orders/A-1001`);
      expect(order.status()).toBe(200);
      await walk(page, 'storefront-order', order);
      await walk(page, 'diagnostics', await goto(page, `${origin}/_edge/visitor/diagnostics`));

      // The same link in another browser: used.
      const other = await chrome.open({ viewport: PHONE });
      const used = await goto(other.page, first.link!);
      expect(used.status()).toBe(409);
      await walk(other.page, 'link-used', used);

      // The same link with its end cut off, as a mail app may break it: the generic problem page (400 invalid_magic_link).
      const mangled = await goto(other.page, first.link!.slice(0, -4));
      expect(mangled.status()).toBe(400);
      await walk(other.page, 'link-mangled', mangled);

      // Wrong code, typed on the check-email page of a fresh request.
      await goto(other.page, `${origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/demo/')}`);
      await other.page.getByLabel('Email').fill('wrong-code@example.com');
      await navigation(other.page, () => other.page.getByRole('button', { name: 'Email me a sign-in link' }).click());
      await other.page.getByLabel('6-digit code').fill('000000');
      const wrong = await navigation(other.page, () => other.page.getByRole('button', { name: 'Sign in' }).click());
      expect(wrong.status()).toBeGreaterThanOrEqual(400);
      await walk(other.page, 'wrong-code', wrong);

      // An address the service refuses (the browser's own check switched off, as an old browser would not check).
      await goto(other.page, `${origin}/_edge/visitor/sign-in`);
      await other.page.getByLabel('Email').fill('not an address');
      await other.page
        .locator('form')
        .first()
        .evaluate((form) => {
          (form as HTMLFormElement).noValidate = true;
        });
      const invalid = await navigation(other.page, () => other.page.getByRole('button', { name: 'Email me a sign-in link' }).click());
      expect(invalid.status()).toBe(400);
      await walk(other.page, 'invalid-email', invalid);

      // A returnTo on another site.
      const badReturn = await goto(other.page, `${origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent('https://evil.example/')}`);
      expect(badReturn.status()).toBe(400);
      await walk(other.page, 'bad-return-to', badReturn);

      // Signed in as someone without the course: the storefront's 403.
      await goto(other.page, `${origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/demo/')}`);
      await other.page.getByLabel('Email').fill('no-grant@example.com');
      await navigation(other.page, () => other.page.getByRole('button', { name: 'Email me a sign-in link' }).click());
      await goto(other.page, (await mailFor('no-grant@example.com')).link!);
      const noGrant = await navigation(other.page, () => other.page.getByRole('button', { name: 'Continue' }).click());
      expect([new URL(other.page.url()).pathname, noGrant.status()]).toEqual(['/content/demo/', 403]);
      await walk(other.page, 'storefront-no-grant', noGrant);

      // A browser that keeps no cookies presses Continue.
      const blocked = await chrome.open({ viewport: PHONE, blockCookies: true });
      await goto(blocked.page, `${origin}/_edge/visitor/sign-in`);
      await blocked.page.getByLabel('Email').fill('no-cookies@example.com');
      await navigation(blocked.page, () => blocked.page.getByRole('button', { name: 'Email me a sign-in link' }).click());
      await goto(blocked.page, (await mailFor('no-cookies@example.com')).link!);
      const cookieBlocked = await navigation(blocked.page, () => blocked.page.getByRole('button', { name: 'Continue' }).click());
      expect(cookieBlocked.status()).toBe(400);
      await walk(blocked.page, 'cookie-blocked', cookieBlocked);

      // The link asked for at the start, now expired.
      await Bun.sleep(Math.max(0, lateAt + (LINK_TTL + 1) * 1000 - Date.now()));
      const expired = await goto(other.page, late.link!);
      expect(expired.status()).toBe(410);
      await walk(other.page, 'link-expired', expired);

      // The console, at 1280 px: sign-in → check-email → link → home → storefront → webhooks → shopper → find.
      const lead = await chrome.open({ viewport: LAPTOP });
      const lp = lead.page;
      const consoleSignIn = await goto(lp, `${origin}/console/sign-in`);
      await walk(lp, 'console-sign-in', consoleSignIn, [LAPTOP]);
      await lp.getByLabel('Work email').fill(LEAD);
      await walk(
        lp,
        'console-check-email',
        await navigation(lp, () => lp.getByRole('button', { name: 'Email me a sign-in link' }).click()),
        [LAPTOP],
      );
      const consoleLink = /https?:\/\/\S+\/console\/t\/\S+/.exec((await mailFor(LEAD)).text)![0];
      await walk(lp, 'console-link-confirm', await goto(lp, consoleLink), [LAPTOP]);
      const home = await navigation(lp, () => lp.getByRole('button', { name: 'Continue' }).click());
      expect(new URL(lp.url()).pathname).toBe('/console/');
      await walk(lp, 'console-home', home, [LAPTOP]);
      const tenant = await navigation(lp, () =>
        lp
          .getByRole('link', { name: /Gharart/ })
          .first()
          .click(),
      );
      await walk(lp, 'console-tenant', tenant, [LAPTOP]);
      // Webhooks: the page, an endpoint added through its form (the secret's page), the page listing it.
      const webhooks = await navigation(lp, () => lp.getByRole('link', { name: 'Webhooks', exact: true }).click());
      await walk(lp, 'console-webhooks', webhooks, [LAPTOP]);
      await lp.getByLabel('URL').fill('http://127.0.0.1:9/a/rather/long/path/to/a/storefront/webhook/receiver?with=query&and=more');
      await lp.getByLabel(/Every event/).check();
      await lp.getByLabel('Description (optional)').fill('The storefront’s order back end');
      const secret = await navigation(lp, () => lp.getByRole('button', { name: 'Add endpoint' }).click());
      expect(secret.status()).toBe(200);
      await walk(lp, 'console-webhook-secret', secret, [LAPTOP]);
      const listed = await navigation(lp, () => lp.getByRole('link', { name: 'Done, back to webhooks' }).click());
      await walk(lp, 'console-webhooks-listed', listed, [LAPTOP]);
      const shopper = await goto(lp, `${origin}/console/tenants/gharart/shopper?email=${encodeURIComponent(DEMO)}`);
      await walk(lp, 'console-shopper', shopper, [LAPTOP]);
      await walk(lp, 'console-requests', await goto(lp, `${origin}/console/requests`), [LAPTOP]);

      // Last: the newcomer deletes their account (ask for a code, a wrong one, the right one).
      const erasure = await goto(page, `${origin}/_edge/visitor/delete`);
      expect(erasure.status()).toBe(200);
      await walk(page, 'erasure', erasure);
      const mailsBefore = mail.to(DEMO).length;
      const codeForm = await navigation(page, () => page.getByRole('button', { name: 'Email me a code to confirm' }).click());
      await walk(page, 'erasure-code', codeForm);
      const erasureCode = /^(\d{6})$/m.exec((await mailFor(DEMO, mailsBefore + 1)).text)![1]!;
      await page.getByLabel('6-digit code').fill(erasureCode === '000000' ? '111111' : '000000');
      const wrongErasureCode = await navigation(page, () => page.getByRole('button', { name: 'Delete my account' }).click());
      await walk(page, 'erasure-wrong-code', wrongErasureCode);
      await page.getByLabel('6-digit code').fill(erasureCode);
      const erased = await navigation(page, () => page.getByRole('button', { name: 'Delete my account' }).click());
      expect(new URL(page.url()).pathname).toBe('/_edge/visitor/deleted');
      await walk(page, 'erased', erased);

      const failures = walked.filter((w) => w.problems.length > 0).map((w) => `${w.name} (${w.status}): ${w.problems.join('; ')}`);
      expect(failures).toEqual([]);
      expect(walked.length).toBe(30); // 20 shopper pages, 10 console pages
    },
  );
});
