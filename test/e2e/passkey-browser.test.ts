// Passkeys (issue #21) in a real Chromium with a virtual authenticator (the DevTools protocol's
// WebAuthn domain), through the real nginx of docs/deploy.md: sign in by link, accept the offer and
// create a passkey, sign out, sign in with the passkey; on another storefront's host (a second nginx
// for `other.localhost`, which Chromium resolves to loopback and treats as a secure context, in front
// of the same service) it does not sign in, nor after it was removed. Skipped locally without
// Chromium or nginx, failing in CI (as browser.test.ts).
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { browsers, type Browsers } from './support/browser.ts';
import { deployDocConfig, renderConfig, startNginx, type Nginx } from './support/nginx.ts';
import { cli, reservePort } from './support/processes.ts';
import { EMAIL, startStack, type Stack } from './support/stack.ts';
import { e2eTools, stopWithoutTools } from './support/tools.ts';

const tools = e2eTools(['nginx', 'chromium']);
const { nginx, chromium: chromiumBin, skip } = tools;
setDefaultTimeout(60_000);

let shop: Stack;
let other: { origin: string; nginx: Nginx; dir: string };
let chrome: Browsers;

async function linkFor(email: string, count: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (shop.mail.to(email).length < count) {
    if (Date.now() > deadline) throw new Error(`mail #${count} to ${email} did not arrive`);
    await Bun.sleep(25);
  }
  return shop.mail.to(email)[count - 1]!.link!;
}

/** A browser with a platform authenticator (user-verifying, resident keys) that answers by itself. */
async function withAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function sessionCookie(context: BrowserContext, origin: string): Promise<string | undefined> {
  return (await context.cookies(origin)).find((c) => c.name === '__Host-visitor_session')?.value;
}

/**
 * Opens the sign-in page at `url` and signs in with a passkey. The page first asks in the email
 * field's autofill (conditional UI), which this authenticator answers by itself; if nothing was
 * sent within a few seconds, the page's button asks. Returns the verify answer.
 */
async function passkeySignIn(page: Page, url: string): Promise<{ status: number; code?: string; via: 'autofill' | 'button' }> {
  const answer = page.waitForResponse((r) => r.url().endsWith('/v2/visitor/auth/passkey/verify') && r.request().method() === 'POST', {
    timeout: 20_000,
  });
  await page.goto(url);
  let via: 'autofill' | 'button' = 'autofill';
  let response = await Promise.race([answer, Bun.sleep(3_000).then(() => null)]);
  if (!response) {
    via = 'button';
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    response = await answer;
  }
  // A 200 navigates on at once (its body may be gone by then); a refusal stays on the page.
  const body = response.ok() ? {} : ((await response.json()) as { code?: string });
  return { status: response.status(), ...(body.code ? { code: body.code } : {}), via };
}

describe('passkeys in a real browser', () => {
  if (stopWithoutTools('passkey browser test', tools)) return;

  beforeAll(async () => {
    if (skip) return;
    chrome = browsers(chromiumBin!);
    const otherPort = reservePort();
    const otherOrigin = `http://other.localhost:${otherPort.port}`;
    shop = await startStack(nginx!, {
      beforeStart: async (env) => {
        const run = await cli(
          env,
          'tenant',
          'add',
          'other',
          '--name',
          'Other Shop',
          '--origin',
          otherOrigin,
          '--host',
          'other.localhost',
          '--gated',
          '/content/',
        );
        if (run.code !== 0) throw new Error(`cli tenant add other failed:\n${run.stdout}${run.stderr}`);
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'va-nginx-other-'));
    const site = renderConfig(deployDocConfig(), {
      HOST: 'other.localhost',
      LISTEN: `127.0.0.1:${otherPort.port}`,
      SERVICE: `127.0.0.1:${shop.service.port}`,
      STOREFRONT: `127.0.0.1:${shop.storefront.port}`,
      LOG_DIR: join(dir, 'nginx'),
    });
    otherPort.release();
    other = { origin: otherOrigin, nginx: await startNginx(nginx!, join(dir, 'nginx'), otherPort.port, site), dir };
  }, 120_000);

  afterAll(async () => {
    await chrome?.closeAll();
    await other?.nginx.stop();
    if (other) rmSync(other.dir, { recursive: true, force: true });
    await shop?.stop();
  }, 30_000);

  it.skipIf(skip)(
    'sign in by link, create a passkey, sign out, sign in with it; refused on another tenant’s host and after removal',
    async () => {
      const { context, page } = await chrome.open();
      const { cdp, authenticatorId } = await withAuthenticator(page);
      const cspErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
      });
      page.on('pageerror', (error) => cspErrors.push(String(error)));

      // 1. Sign in by link, in a browser with a platform authenticator: the sign-in lands on the offer.
      await page.goto(`${shop.origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/demo/')}`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.waitForURL(`${shop.origin}/_edge/visitor/check-email`);
      await page.goto(await linkFor(EMAIL, 1));
      // The passkey script (sign-in and link pages) noted that this browser can make a passkey.
      const deadline = Date.now() + 10_000;
      while (!(await context.cookies(shop.origin)).some((c) => c.name === '__Host-visitor_passkey' && c.value === '1')) {
        if (Date.now() > deadline) throw new Error('the passkey script did not note the platform authenticator');
        await Bun.sleep(50);
      }
      await page
        .getByRole('button', { name: /Continue/ })
        .first()
        .click();
      await page.waitForURL((url) => url.pathname === '/_edge/visitor/passkeys/new');
      expect(await sessionCookie(context, shop.origin)).toStartWith('vs_');

      // 2. "Sign in faster next time": create the passkey, then on to the course.
      await page.getByRole('button', { name: 'Create a passkey' }).click();
      await page.waitForURL(`${shop.origin}/content/demo/`);
      const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
        credentials: { rpId: string; isResidentCredential: boolean; signCount: number }[];
      };
      expect(credentials.map((c) => [c.rpId, c.isResidentCredential])).toEqual([['localhost', true]]);
      const listed = await context.request.get(`${shop.origin}/v2/visitor/passkeys`);
      const items = ((await listed.json()) as { items: { id: string; rpId: string }[] }).items;
      expect(items.map((p) => p.rpId)).toEqual(['localhost']);

      // 3. Sign out.
      const out = await context.request.post(`${shop.origin}/v2/visitor/auth/logout`, { headers: { origin: shop.origin }, data: {} });
      expect(out.status()).toBe(204);
      expect(await sessionCookie(context, shop.origin)).toBeUndefined();

      // 4. Sign in with the passkey: the sign-in page's button, then returnTo, with the same session a link gives.
      const signIn = `${shop.origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/demo/')}`;
      const signedIn = await passkeySignIn(page, signIn);
      expect(signedIn.status).toBe(200);
      await page.waitForURL(`${shop.origin}/content/demo/`);
      const me = await context.request.get(`${shop.origin}/v2/visitor/me`);
      expect(((await me.json()) as { visitor: { email: string } }).visitor.email).toBe(EMAIL);

      // 5. Another storefront's host: the passkey belongs to `localhost`, the browser has none for
      // `other.localhost`, so nothing is sent and nobody is signed in there.
      await page.goto(`${other.origin}/_edge/visitor/sign-in`);
      expect(await page.locator('#email').getAttribute('autocomplete')).toBe('username webauthn');
      await page.locator('[data-passkey-signin]').waitFor({ state: 'visible' });
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.locator('[data-passkey-status][role="alert"]', { hasText: 'did not sign you in' }).waitFor({ timeout: 20_000 });
      expect(await sessionCookie(context, other.origin)).toBeUndefined();

      // 6. Removed: the authenticator still answers, the service refuses.
      const removed = await context.request.delete(`${shop.origin}/v2/visitor/passkeys/${items[0]!.id}`, {
        headers: { origin: shop.origin },
      });
      expect(removed.status()).toBe(204);
      await context.request.post(`${shop.origin}/v2/visitor/auth/logout`, { headers: { origin: shop.origin }, data: {} });
      const refused = await passkeySignIn(page, `${shop.origin}/_edge/visitor/sign-in`);
      expect([refused.status, refused.code]).toEqual([400, 'passkey_rejected']);
      await page.locator('[data-passkey-status][role="alert"]', { hasText: 'did not sign you in' }).waitFor();
      expect(await sessionCookie(context, shop.origin)).toBeUndefined();
      expect(cspErrors).toEqual([]);
    },
  );
});
