import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

type Facts = {
  storefront: string;
  requestId: string;
  sessionCookieArrived: boolean;
  testCookieKept: boolean;
  sessionLive: boolean;
  visitorId: string | null;
};

describe('GET /_edge/visitor/diagnostics', () => {
  it('sets a test cookie, checks it on a second request, and reports the session (JSON)', async () => {
    const { jar } = await h.signIn('diag@example.com');
    const first = await h.fetch('/_edge/visitor/diagnostics', { jar, headers: { accept: 'application/json' } });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/_edge/visitor/diagnostics?check=1');
    const second = await h.fetch('/_edge/visitor/diagnostics?check=1', { jar, headers: { accept: 'application/json' } });
    const facts = (await second.json()) as Facts;
    expect(facts).toMatchObject({ storefront: 'gharart', sessionCookieArrived: true, testCookieKept: true, sessionLive: true });
    expect(facts.requestId).toBe(second.headers.get('x-request-id')!);
    expect(JSON.stringify(facts)).not.toContain(jar.values.get('__Host-visitor_session')!);
  });

  it('tells a browser that blocks cookies, with a copy-for-support block and no cookie value', async () => {
    // A browser that drops cookies: nothing comes back on the second request.
    const first = await h.fetch('/_edge/visitor/diagnostics');
    expect(first.status).toBe(303);
    const page = await h.fetch('/_edge/visitor/diagnostics?check=1', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('does not keep cookies');
    expect(html).toContain('testCookieKept: no');
    expect(html).toContain('sessionLive: no');
    expect(html).toContain(`requestId: ${page.headers.get('x-request-id')}`);
    expect(html).toContain('Gharart');
  });

  it('says a stale session cookie arrived but is not live', async () => {
    const { jar } = await h.signIn('diag-stale@example.com');
    await h.json('/v2/visitor/auth/logout', {}, { headers: { origin: 'http://localhost', cookie: jar.header() } });
    const stale = new CookieJar();
    stale.values.set('__Host-visitor_session', jar.values.get('__Host-visitor_session')!);
    stale.values.set('__Host-visitor_diag', '1');
    const facts = (await (
      await h.fetch('/_edge/visitor/diagnostics', { jar: stale, headers: { accept: 'application/json' } })
    ).json()) as Facts;
    expect(facts).toMatchObject({ sessionCookieArrived: true, testCookieKept: true, sessionLive: false, visitorId: null });
  });
});
