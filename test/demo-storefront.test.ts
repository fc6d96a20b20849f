// The development demo storefront (src/demo-storefront/): a sign-in ends on a page, never a 404; its
// gated pages answer exactly what the edge check (the CDN's question) decides; production has none of it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { EDGE_PATH } from '../src/access/edge.ts';
import { upsertGrant } from '../src/access/grants.ts';
import { CookieJar, Harness } from './support/harness.ts';

const HTML = { accept: 'text/html' };
const DEMO = 'demo@example.com';

let h: Harness;

async function grant(email: string, resource: string): Promise<void> {
  await upsertGrant(h.db, h.gharart.id, { email, resource, kind: 'content', title: null, orderId: null, expiresAt: null }, h.clock.now());
}

/** Follows redirects on the harness's host, as a browser would; returns the last answer and the path it ended on. */
async function follow(first: Response, jar: CookieJar): Promise<{ response: Response; path: string }> {
  let response = first;
  let path = '';
  for (let hops = 0; hops < 5 && response.status >= 300 && response.status < 400; hops++) {
    const location = new URL(response.headers.get('location')!, 'http://localhost');
    expect(location.origin).toBe('http://localhost');
    path = location.pathname + location.search;
    response = await h.fetch(path, { jar, headers: HTML });
  }
  return { response, path };
}

const headingOf = (page: string) => /<h1>([^<]*)<\/h1>/.exec(page)?.[1] ?? null;

beforeAll(async () => {
  h = await Harness.start({ env: { NODE_ENV: 'development' } });
  await grant(DEMO, '/content/demo/*');
});
afterAll(() => h.close());

describe('the demo storefront in development', () => {
  it('serves the home page on the demo tenant’s host, with the course and sign-in one link away', async () => {
    const response = await h.fetch('/', { headers: HTML });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await response.text();
    expect(body).toContain('<html lang="en">');
    expect(body).toContain('href="/content/demo/"');
    expect(body).toContain('href="/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fdemo%2F"');
  });

  it('sends a shopper without a session from the course to sign-in with returnTo (the edge check’s X-Visitor-Login)', async () => {
    const response = await h.fetch('/content/demo/lesson-1', { headers: HTML });
    expect(response.status).toBe(302);
    const edge = await h.fetch(EDGE_PATH, { headers: { 'x-original-uri': '/content/demo/lesson-1' } });
    expect(edge.status).toBe(401);
    expect(response.headers.get('location')).toBe(edge.headers.get('x-visitor-login')!);
    expect(response.headers.get('location')).toBe('http://localhost/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fdemo%2Flesson-1');
  });

  it('ends a sign-in by link with the default returnTo on the home page (200), not on a 404', async () => {
    const { jar, response } = await h.signIn(DEMO);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('http://localhost/');
    const { response: home } = await follow(response, jar);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('You are signed in on this storefront.');
  });

  it('ends a sign-in by link with returnTo /content/demo/ on the course, and its lessons open', async () => {
    const { jar, response } = await h.signIn(DEMO, { returnTo: '/content/demo/' });
    const { response: course, path } = await follow(response, jar);
    expect([path, course.status]).toEqual(['/content/demo/', 200]);
    expect(headingOf(await course.text())).toBe('Watercolour for beginners: the course');
    const lesson = await h.fetch('/content/demo/lesson-2', { jar, headers: HTML });
    expect(lesson.status).toBe(200);
    expect(headingOf(await lesson.text())).toBe('Lesson 2: Your first wash');
  });

  it('ends on the course when the link is opened again in the browser that used it', async () => {
    const mail = await h.requestLink(DEMO, { returnTo: '/content/demo/' });
    const jar = new CookieJar();
    const link = Harness.pathOf(mail.link!);
    await h.fetch(link, { jar, headers: HTML });
    expect((await h.form(link, {}, { jar })).status).toBe(303);
    const again = await h.fetch(link, { jar, headers: HTML });
    const { response, path } = await follow(again, jar);
    expect([path, response.status]).toEqual(['/content/demo/', 200]);
  });

  it('ends a sign-in by the right code (browser form) on the course', async () => {
    const jar = new CookieJar();
    const asked = await h.form('/v2/visitor/auth/magic-link', { email: DEMO, returnTo: '/content/demo/' }, { jar });
    expect(asked.status).toBe(303);
    await h.deliver();
    await h.fetch('/_edge/visitor/check-email', { jar, headers: HTML }); // the test cookie the code form needs
    const verified = await h.form('/v2/visitor/auth/verify', { code: h.mail.last(DEMO).code! }, { jar });
    expect(verified.status).toBe(303);
    const { response, path } = await follow(verified, jar);
    expect([path, response.status]).toEqual(['/content/demo/', 200]);
  });

  it('answers a signed-in shopper without a grant with a 403 page that leads forward (sign in with another address, home)', async () => {
    const { jar } = await h.signIn('no-grant@example.com');
    const response = await h.fetch('/content/demo/', { jar, headers: HTML });
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).toContain('class="card error"');
    expect(body).toContain('<code data-error-code>no_grant</code>');
    expect(body).toContain('href="/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fdemo%2F"');
    expect(body).toContain('href="/"');
  });

  it('shows an order page once the storefront grants the order (403 before)', async () => {
    const { jar } = await h.signIn('buyer@example.com');
    expect((await h.fetch('/orders/A-1001', { jar, headers: HTML })).status).toBe(403);
    await grant('buyer@example.com', '/orders/A-1001');
    h.clock.advance(10_000); // past the edge cache (EDGE_CACHE_SECONDS)
    const order = await h.fetch('/orders/A-1001', { jar, headers: HTML });
    expect(order.status).toBe(200);
    expect(headingOf(await order.text())).toBe('Order A-1001');
  });

  it('answers every gated path as the edge check decides: 204 → page or 404, 401 → 302 to X-Visitor-Login, 403 → 403', async () => {
    const { jar } = await h.signIn(DEMO);
    const paths = [
      '/content/demo/',
      '/content/demo',
      '/content/demo/lesson-3?from=mail',
      '/content/demo/nothing-here',
      '/content/other/',
      '/content/demo/%2e%2e/other',
      '/content/a%2Fb',
      '/content/100%2525',
      '/orders/A-2',
    ];
    const mismatches: string[] = [];
    for (const who of [jar, new CookieJar()]) {
      for (const path of paths) {
        h.clock.advance(10_000);
        const page = await h.fetch(path, { jar: who, headers: HTML });
        // What the server (and a browser before it) makes of the URL: `%2e%2e` segments are resolved.
        const asked = new URL(path, 'http://localhost');
        const edge = await h.fetch(EDGE_PATH, { jar: who, headers: { 'x-original-uri': asked.pathname + asked.search } });
        const expected =
          edge.status === 204 ? [200, 404] : edge.status === 401 ? [302] : edge.status === 403 ? [403] : ['edge answered', edge.status];
        if (!expected.includes(page.status)) mismatches.push(`${path}: page ${page.status}, edge ${edge.status}`);
        if (edge.status === 401 && page.headers.get('location') !== edge.headers.get('x-visitor-login'))
          mismatches.push(`${path}: location ${page.headers.get('location')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('serves nothing outside its own paths: /Content/… is a 404 whatever the session (routes match case-sensitively)', async () => {
    const { jar } = await h.signIn(DEMO);
    for (const who of [jar, new CookieJar()])
      expect((await h.fetch('/Content/demo/lesson-1', { jar: who, headers: HTML })).status).toBe(404);
  });

  it('does not take an X-Original-URI from the shopper: the storefront asks about the path it serves', async () => {
    const { jar } = await h.signIn('no-grant-2@example.com');
    const response = await h.fetch('/content/demo/', {
      jar,
      headers: { ...HTML, 'x-original-uri': '/public', 'x-forwarded-uri': '/public' },
    });
    expect(response.status).toBe(403);
  });

  // Its routes exist only in development, so test/text-fields.test.ts (NODE_ENV=test) cannot list them.
  it('refuses a NUL in the query of each of its routes with 400 invalid_request naming it (the one text-field rule), never 500', async () => {
    const { jar } = await h.signIn(DEMO);
    for (const path of ['/', '/content/demo/', '/orders/A-1001']) {
      const response = await h.fetch(`${path}?probe=a%00b`, { jar, headers: { accept: 'application/json' } });
      const body = (await response.json()) as { code: string; errors?: { path: string }[] };
      expect([path, response.status, body.code, body.errors?.map((e) => e.path)]).toEqual([path, 400, 'invalid_request', ['probe']]);
    }
  });

  it('is not there on another tenant’s host (404, as before)', async () => {
    for (const path of ['/', '/content/demo/', '/orders/A-1001']) {
      const response = await h.fetch(path, { host: 'other.test', headers: HTML });
      expect([path, response.status]).toEqual([path, 404]);
    }
  });
});

describe('the demo storefront outside development', () => {
  for (const nodeEnv of ['production', 'test']) {
    it(`is never served with NODE_ENV=${nodeEnv}: /, the course and an order are 404 not_found`, async () => {
      const env: Record<string, string> = { NODE_ENV: nodeEnv };
      if (nodeEnv === 'production')
        Object.assign(env, { DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', PUBLIC_URL: 'https://visitor.example' });
      await h.boot(env);
      const { jar } = await h.signIn(DEMO, { returnTo: '/content/demo/' });
      for (const path of ['/', '/content/demo/', '/content/demo/lesson-1', '/orders/A-1001']) {
        const response = await h.fetch(path, { jar, headers: { accept: 'application/json' } });
        expect([path, response.status, ((await response.json()) as { code: string }).code]).toEqual([path, 404, 'not_found']);
      }
      const routes = (h.runtime.app.elysia.routes as { path: string }[]).map((route) => route.path);
      expect(routes.filter((path) => path === '/' || path.startsWith('/content/') || path.startsWith('/orders/'))).toEqual([]);
    });
  }
});
