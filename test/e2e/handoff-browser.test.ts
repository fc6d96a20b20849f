// From checkout to content without a mail round trip (issue #18), as a buyer lives it: a real
// Chromium talks only to the nginx of docs/deploy.md, in front of the real service and a tiny
// storefront whose "checkout" creates a handoff with its PAT and redirects the buyer there. The
// buyer sees the order's page; another course under the same address asks for step-up; after the
// code it opens; after a refund, the order's page is denied.
// Without Chromium or nginx the tests are skipped locally (visibly) and fail in CI.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Response as PageResponse } from 'playwright-core';
import { browsers, type Browsers, navigation } from './support/browser.ts';
import { cli, type Echo } from './support/processes.ts';
import { startStack, type Stack } from './support/stack.ts';
import { e2eTools, stopWithoutTools } from './support/tools.ts';

const tools = e2eTools(['nginx', 'chromium']);
const { nginx, chromium: chromiumBin, skip } = tools;
setDefaultTimeout(60_000);

const BUYER = 'buyer@example.com';
let shop: Stack;
let chrome: Browsers;
let pat = '';
let servicePort = 0;

/** The storefront's back end calling the service directly (not through nginx), with its PAT. */
function service(path: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`http://127.0.0.1:${servicePort}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The tiny storefront: `/checkout?order=…` "takes the payment", creates the handoff, redirects there. */
async function checkout(request: Request): Promise<Response> {
  const order = new URL(request.url).searchParams.get('order')!;
  const created = await service('/v2/access/handoffs', { email: BUYER, orderId: order, returnTo: `/orders/${order}` });
  if (created.status !== 201) return new Response(await created.text(), { status: 500 });
  const { url } = (await created.json()) as { url: string };
  return new Response(null, { status: 303, headers: { location: url } });
}

async function storefrontEcho(response: PageResponse): Promise<Echo> {
  expect(response.headers()['x-served-by']).toBe('storefront');
  return (await response.json()) as Echo;
}

describe('checkout handoff in a browser, behind nginx', () => {
  if (stopWithoutTools('handoff browser test', tools)) return;

  beforeAll(async () => {
    if (skip) return;
    shop = await startStack(nginx!, {
      serviceEnv: { EDGE_CACHE_SECONDS: '1' },
      async beforeStart(env) {
        const created = await cli(
          env,
          'pat',
          'create',
          '--handle',
          'gharart',
          '--name',
          'checkout',
          '--scopes',
          'handoff:write,access:write',
        );
        if (created.code !== 0) throw new Error(`pat create failed: ${created.stdout}${created.stderr}`);
        pat = created.json!.token as string;
        for (const [resource, kind, orderId] of [
          ['/orders/H-1', 'order', 'H-1'],
          ['/content/course-b/*', 'content', 'B-7'],
        ] as const) {
          const run = await cli(
            env,
            'grant',
            'add',
            '--handle',
            'gharart',
            '--email',
            BUYER,
            '--resource',
            resource,
            '--kind',
            kind,
            '--order-id',
            orderId,
          );
          if (run.code !== 0) throw new Error(`grant add failed: ${run.stdout}${run.stderr}`);
        }
      },
      storefrontRoutes: (request) => (new URL(request.url).pathname === '/checkout' ? checkout(request) : null),
    });
    servicePort = shop.service.port;
    chrome = browsers(chromiumBin!);
  }, 120_000);

  afterAll(async () => {
    await chrome?.closeAll();
    await shop?.stop();
  }, 30_000);

  it.skipIf(skip)('opens the order at once, asks for step-up elsewhere, opens after the code, and denies after a refund', async () => {
    const { page } = await chrome.open();
    // Checkout → the handoff's Continue page (a GET never consumes), on the storefront's host.
    const landing = await page.goto(`${shop.origin}/checkout?order=H-1`);
    expect(landing?.status()).toBe(200);
    expect(page.url()).toStartWith(`${shop.origin}/_edge/visitor/access/h/vh_`);
    const order = await navigation(page, () => page.getByRole('button', { name: 'Continue' }).click());
    expect(page.url()).toBe(`${shop.origin}/orders/H-1`);
    const echo = await storefrontEcho(order);
    expect(echo.visitorId).toMatch(/^[0-9a-f-]{36}$/);
    const me = (await (await page.context().request.get(`${shop.origin}/v2/visitor/me`)).json()) as { session: { scope: string } };
    expect(me.session.scope).toBe('order');

    // Another course bought with the same address: nginx sends the buyer to sign in (step-up).
    const stepUp = await page.goto(`${shop.origin}/content/course-b/lesson-1`);
    expect(stepUp?.status()).toBe(200);
    expect(page.url()).toBe(`${shop.origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/course-b/lesson-1')}`);
    await page.getByLabel('Email').fill(BUYER);
    await navigation(page, () => page.getByRole('button', { name: 'Email me a sign-in link' }).click());
    const deadline = Date.now() + 15_000;
    while (shop.mail.to(BUYER).length === 0) {
      if (Date.now() > deadline) throw new Error('no sign-in mail');
      await Bun.sleep(25);
    }
    await page.getByLabel('Code').fill(shop.mail.to(BUYER)[0]!.code!);
    const course = await navigation(page, () => page.getByRole('button', { name: 'Sign in' }).click());
    expect(page.url()).toBe(`${shop.origin}/content/course-b/lesson-1`);
    expect((await storefrontEcho(course)).visitorId).toBe(echo.visitorId);

    // A refund of H-1: the order's page is denied (within EDGE_CACHE_SECONDS); the course stays.
    const refund = await service('/v2/access/orders/H-1/revoke', {});
    expect(await refund.json()).toEqual({ revokedGrants: 1, endedSessions: 0 });
    await Bun.sleep(1100);
    expect((await page.goto(`${shop.origin}/orders/H-1`))?.status()).toBe(403);
    expect((await page.goto(`${shop.origin}/content/course-b/lesson-2`))?.status()).toBe(200);
  });
});
