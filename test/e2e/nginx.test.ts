// docs/deploy.md, for real: nginx runs the guide's own configuration block in front of the service
// process and a stand-in storefront, and every request below goes through nginx — sign-in included.
// Without nginx the tests are skipped locally (visibly) and fail in CI, where .ci/run installs it.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployDocConfig, renderConfig, startNginx } from './support/nginx.ts';
import { Jar, reservePort, type Echo } from './support/processes.ts';
import { EMAIL, startStack, type Stack } from './support/stack.ts';
import { e2eTools, stopWithoutTools } from './support/tools.ts';

const tools = e2eTools(['nginx']);
const { nginx, skip } = tools;
const HEX32 = /^[0-9a-f]{32}$/;
// bun's default is 5 s per test (bunfig.toml's [test] timeout is not applied): mail delivery and the
// revocation wait need more on a slow machine.
setDefaultTimeout(30_000);

let stack: Stack;
let origin: string;
const jar = new Jar();
let visitorId: string;
let sessionCookie: string;

type Init = RequestInit & { cookie?: string; jar?: Jar };

/** A request through nginx, redirects not followed, cookies only as given. */
async function get(path: string, init: Init = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = init.cookie ?? init.jar?.header();
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(`${origin}${path}`, { ...init, headers, redirect: 'manual' });
  return init.jar ? init.jar.store(response) : response;
}

function post(path: string, body: Record<string, unknown> | URLSearchParams, init: Init = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const form = body instanceof URLSearchParams;
  headers.set('content-type', form ? 'application/x-www-form-urlencoded' : 'application/json');
  return get(path, { ...init, method: 'POST', headers, body: form ? body.toString() : JSON.stringify(body) });
}

/** What the storefront back end received, from its echo; fails on anything nginx answered itself. */
async function echoOf(response: Response): Promise<Echo> {
  expect(response.headers.get('x-served-by')).toBe('storefront');
  return (await response.json()) as Echo;
}

/** Requests that reached the storefront while `work` ran. */
async function storefrontHits(work: () => Promise<unknown>): Promise<Echo[]> {
  const before = stack.storefront.received.length;
  await work();
  return stack.storefront.received.slice(before);
}

/** a, b, c + x, y → a, x, b, y, c */
function interleave(first: string[], second: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(first.length, second.length); i++) out.push(...first.slice(i, i + 1), ...second.slice(i, i + 1));
  return out;
}

/** A GET through nginx written by hand, for header lines fetch() would merge (e.g. several Cookie lines). */
async function rawGet(path: string, headerLines: string[]): Promise<Echo> {
  const { port } = new URL(origin);
  let received = '';
  await new Promise<void>((resolve, reject) => {
    Bun.connect({
      hostname: '127.0.0.1',
      port: Number(port),
      socket: {
        open(socket) {
          socket.write([`GET ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close', ...headerLines, '', ''].join('\r\n'));
        },
        data(_socket, chunk) {
          received += chunk.toString();
        },
        close: () => resolve(),
        error: (_socket, error) => reject(error),
      },
    }).catch(reject);
  });
  const [head = '', body = ''] = received.split('\r\n\r\n');
  expect(head).toContain('x-served-by: storefront');
  return JSON.parse(head.includes('chunked') ? body.split('\r\n')[1]! : body) as Echo;
}

function signInUrl(returnTo: string): string {
  return `${origin}/_edge/visitor/sign-in?returnTo=${encodeURIComponent(returnTo)}`;
}

describe('behind nginx, configured as docs/deploy.md says', () => {
  if (stopWithoutTools('nginx test of docs/deploy.md', tools)) return;

  beforeAll(async () => {
    if (skip) return;
    stack = await startStack(nginx!);
    origin = stack.origin;
    if (stack.grantedWith !== 'cli')
      console.warn('nginx e2e: `cli grant add` is not available yet; the grant was written with upsertGrant');
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  }, 30_000);

  it.skipIf(skip)('sends a shopper who is not signed in to the hosted sign-in page, and never to the storefront', async () => {
    const hits = await storefrontHits(async () => {
      const response = await get('/content/demo/x?ref=mail');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(signInUrl('/content/demo/x?ref=mail'));
      // The service decides what is gated, so nginx's case-sensitive locations cannot be sidestepped.
      for (const path of ['/Content/demo/x', '/content', '/orders/A-1001']) {
        const variant = await get(path);
        expect([path, variant.status, variant.headers.get('location')]).toEqual([path, 302, signInUrl(path)]);
      }
      // Also a POST to a gated page: the check itself is always a GET.
      expect((await post('/content/demo/x', { a: 1 })).status).toBe(302);
    });
    expect(hits).toEqual([]);
    // The hosted sign-in page itself is served through nginx, on the storefront's host.
    const login = new URL(signInUrl('/content/demo/x'));
    const page = await get(login.pathname + login.search);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it.skipIf(skip)('signs in entirely through nginx: magic-link request, link page, Continue', async () => {
    const requested = await post('/v2/visitor/auth/magic-link', { email: EMAIL, returnTo: '/content/demo/x' });
    expect(requested.status).toBe(202);
    const deadline = Date.now() + 15_000;
    while (stack.mail.to(EMAIL).length === 0 && Date.now() < deadline) await Bun.sleep(50);
    const mail = stack.mail.last(EMAIL);
    expect(mail.link?.startsWith(`${origin}/_edge/visitor/access/t/vml_`)).toBe(true);
    const linkPath = new URL(mail.link!).pathname;

    const page = await get(linkPath, { jar });
    expect(page.status).toBe(200);
    expect(jar.values.has('__Host-visitor_check')).toBe(true);

    const confirmed = await post(linkPath, new URLSearchParams(), { jar, headers: { origin } });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${origin}/content/demo/x`);
    expect(confirmed.headers.getSetCookie().some((c) => c.startsWith('__Host-visitor_session=vs_'))).toBe(true);
    sessionCookie = `__Host-visitor_session=${jar.values.get('__Host-visitor_session')}`;

    const me = await get('/v2/visitor/me', { jar });
    expect(me.status).toBe(200);
    visitorId = ((await me.json()) as { visitor: { id: string } }).visitor.id;
    expect(visitorId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.skipIf(skip)('serves a granted page with X-Visitor-Id from the edge answer and without the service cookies', async () => {
    const cookie = `theme=dark; ${sessionCookie}; lang=en; __Host-visitor_pending=abc; __Host-visitor_check=1`;
    const echo = await echoOf(await get('/content/demo/x?page=2', { cookie, headers: { 'x-visitor-id': 'spoofed' } }));
    expect(echo.path).toBe('/content/demo/x?page=2');
    expect(echo.visitorId).toBe(visitorId);
    expect(echo.cookie).toBe('theme=dark; lang=en');

    // Only the session cookie: the storefront gets no Cookie header at all.
    const alone = await echoOf(await get('/content/demo/y', { cookie: sessionCookie }));
    expect([alone.visitorId, alone.cookie]).toEqual([visitorId, null]);

    // A POST to a gated page is checked (as a GET) and passed on with its body and identity.
    const posted = await echoOf(await post('/content/demo/form', { a: 1 }, { cookie: sessionCookie }));
    expect([posted.method, posted.visitorId]).toEqual(['POST', visitorId]);
  });

  it.skipIf(skip)('refuses a gated page the visitor has no grant for', async () => {
    const hits = await storefrontHits(async () => {
      expect((await get('/content/other/x', { cookie: sessionCookie })).status).toBe(403);
      expect((await get('/orders/A-1001', { cookie: sessionCookie })).status).toBe(403);
      // Paths that cannot be normalised strictly fail closed, never reaching the storefront.
      // Also Unicode look-alikes of `.` a back end might normalise (here U+FF0E, fullwidth full stop).
      for (const path of [
        '/content/demo/..%2F..%2Forders/A-1001',
        '/content/demo;x=1',
        '/content/%2564emo/x',
        '/content/demo/%EF%BC%8E%EF%BC%8E/x',
      ]) {
        expect([path, (await get(path, { cookie: sessionCookie })).status]).toEqual([path, 403]);
      }
    });
    expect(hits).toEqual([]);
  });

  it.skipIf(skip)('serves pages outside the gated prefixes without an identity, whatever the client sends', async () => {
    const anonymous = await echoOf(await get('/shop', { headers: { 'x-visitor-id': 'spoofed' } }));
    expect([anonymous.path, anonymous.visitorId]).toEqual(['/shop', null]);
    const signedIn = await echoOf(await get('/shop?q=1', { cookie: `${sessionCookie}; cart=3`, headers: { 'x-visitor-id': 'spoofed' } }));
    expect([signedIn.visitorId, signedIn.cookie]).toEqual([null, 'cart=3']);
    // /assets/ skips the check, and still gets neither an identity nor the visitor cookies.
    const asset = await echoOf(
      await get('/assets/app.css', { cookie: `cart=3; ${sessionCookie}`, headers: { 'x-visitor-id': 'spoofed' } }),
    );
    expect([asset.path, asset.visitorId, asset.cookie]).toEqual(['/assets/app.css', null, 'cart=3']);
  });

  it.skipIf(skip)(
    'strips every __Host-visitor_* cookie, however many and in whatever order, and passes every other cookie unchanged',
    async () => {
      // The four the service sets, and one it might set later: the rule is the prefix, not a list.
      const visitor = [
        '__Host-visitor_session=vs_opaque.tag',
        '__Host-visitor_check=1',
        '__Host-visitor_pending=sealed.v1',
        '__Host-visitor_diag=d1',
        '__Host-visitor_new=future',
      ];
      // Cookies that only look alike stay: the prefix counts only at the start of a cookie's name.
      const others = ['theme=dark', 'x__Host-visitor_y=1', 'note=__Host-visitor_session=x', 'cart=3'];
      const failures: unknown[] = [];
      let sent = 0;
      for (let mask = 1; mask < 1 << visitor.length; mask++) {
        const chosen = visitor.filter((_, i) => mask & (1 << i));
        // A different order for every subset: rotated, and reversed on odd masks.
        const rotated = [...chosen.slice(mask % chosen.length), ...chosen.slice(0, mask % chosen.length)];
        const ours = mask % 2 ? rotated.reverse() : rotated;
        const layouts = [ours, [...ours, ...others], [...others, ...ours], interleave(ours, others), interleave(others, ours)];
        for (const separator of ['; ', ';', ';  ']) {
          for (const cookies of layouts) {
            const expected = cookies.filter((c) => !visitor.includes(c));
            const echo = await echoOf(await get('/shop', { cookie: cookies.join(separator) }));
            sent++;
            const want = expected.length ? expected.join(separator) : null;
            if (echo.cookie !== want) failures.push({ sent: cookies.join(separator), received: echo.cookie, want });
          }
        }
      }
      expect(failures).toEqual([]);
      expect(sent).toBe(31 * 5 * 3);

      // On a gated page the service still reads the session wherever it is; the storefront never does.
      const [, check, pending, diag] = visitor;
      for (const cookies of [
        [sessionCookie, check!, pending!, diag!, 'theme=dark'],
        ['theme=dark', check!, sessionCookie, diag!, 'lang=en', pending!],
        [diag!, pending!, 'theme=dark', check!, 'lang=en', sessionCookie],
      ]) {
        const echo = await echoOf(await get('/content/demo/x', { cookie: cookies.join('; ') }));
        expect([echo.visitorId, echo.cookie]).toEqual([
          visitorId,
          cookies.filter((c) => c.startsWith('theme') || c.startsWith('lang')).join('; '),
        ]);
      }
      // The name's case does not matter (browsers apply the __Host- rules case-insensitively).
      expect((await echoOf(await get('/shop', { cookie: '__HOST-VISITOR_SESSION=x; cart=3; __host-visitor_check=1' }))).cookie).toBe(
        'cart=3',
      );
    },
  );

  it.skipIf(skip)('strips them from cookies sent in several Cookie header lines too', async () => {
    // HTTP/2 browsers send cookies as separate fields; nginx joins them: the map sees them all.
    const echo = await rawGet('/shop', [
      'Cookie: __Host-visitor_session=vs_opaque.tag; theme=dark',
      'Cookie: __Host-visitor_check=1; __Host-visitor_pending=sealed.v1',
      'Cookie: cart=3; __Host-visitor_diag=d1',
    ]);
    expect(echo.cookie).toBe('theme=dark; cart=3');
  });

  it.skipIf(skip)(
    'fails closed when more __Host-visitor_* cookies arrive than the maps remove: the storefront gets no Cookie header',
    async () => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => `__Host-visitor_extra${i}=${i}`);
      // Six (the number of maps) are still removed one by one, keeping the rest…
      expect((await echoOf(await get('/shop', { cookie: ['theme=dark', ...many(6), 'cart=3'].join('; ') }))).cookie).toBe(
        'theme=dark; cart=3',
      );
      // …a seventh means no cookie at all rather than one secret.
      for (const n of [7, 12]) {
        const echo = await echoOf(await get('/shop', { cookie: ['theme=dark', ...many(n), 'cart=3'].join('; ') }));
        expect([n, echo.cookie]).toEqual([n, null]);
      }
    },
  );

  it.skipIf(skip)('sends Strict-Transport-Security on every answer of the storefront host, once', async () => {
    const answers = {
      storefront: await get('/shop'),
      signInRedirect: await get('/content/demo/x'),
      noGrant: await get('/content/other/x', { cookie: sessionCookie }),
      badPath: await get('/content/demo;x=1', { cookie: sessionCookie }),
      service: await get('/v2/visitor/me', { cookie: sessionCookie }),
      signInPage: await get('/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fdemo%2Fx'),
      asset: await get('/assets/app.css'),
    };
    const seen = Object.fromEntries(
      Object.entries(answers).map(([name, response]) => [name, [response.status, response.headers.get('strict-transport-security')]]),
    );
    expect(seen).toEqual({
      storefront: [200, 'max-age=63072000'],
      signInRedirect: [302, 'max-age=63072000'],
      noGrant: [403, 'max-age=63072000'],
      badPath: [403, 'max-age=63072000'],
      service: [200, 'max-age=63072000'],
      signInPage: [200, 'max-age=63072000'],
      asset: [200, 'max-age=63072000'],
    });
    for (const response of Object.values(answers)) await response.body?.cancel();
  });

  it.skipIf(skip || !Bun.which('openssl'))(
    'serves the production TLS setup of the guide ("443 ssl", certificate lines uncommented) with HSTS',
    async () => {
      // The guide's block as its "TLS" section says to deploy it, with a self-signed certificate.
      const dir = mkdtempSync(join(tmpdir(), 'va-nginx-tls-'));
      const made = Bun.spawnSync([
        'openssl',
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'privkey.pem'),
        '-out',
        join(dir, 'fullchain.pem'),
      ]);
      expect(made.exitCode).toBe(0);
      const listen = reservePort();
      const site = renderConfig(deployDocConfig(), {
        HOST: 'localhost',
        LISTEN: `127.0.0.1:${listen.port} ssl`,
        SERVICE: `127.0.0.1:${stack.service.port}`,
        STOREFRONT: `127.0.0.1:${stack.storefront.port}`,
        LOG_DIR: dir,
      });
      const uncommented = site.replace(/# (ssl_certificate(?:_key)? +)\/etc\/letsencrypt\/live\/localhost\//g, `$1${dir}/`);
      expect(uncommented.match(new RegExp(`^ +ssl_certificate(_key)? +${dir}/`, 'gm'))).toHaveLength(2);
      listen.release();
      const tls = await startNginx(nginx!, dir, listen.port, uncommented);
      try {
        const ca = readFileSync(join(dir, 'fullchain.pem'), 'utf8');
        const over = (path: string) => fetch(`https://localhost:${tls.port}${path}`, { redirect: 'manual', tls: { ca } });
        const page = await over('/shop');
        expect([page.status, page.headers.get('x-served-by'), page.headers.get('strict-transport-security')]).toEqual([
          200,
          'storefront',
          'max-age=63072000',
        ]);
        const login = await over('/content/demo/x');
        expect([login.status, login.headers.get('strict-transport-security')]).toEqual([302, 'max-age=63072000']);
        await Promise.all([page.body?.cancel(), login.body?.cancel()]);
      } finally {
        await tls.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(skip)('drops requests for any other host name (the catch-all server)', async () => {
    const hits = await storefrontHits(async () => {
      const refused = await fetch(`${origin}/content/demo/x`, {
        headers: { host: 'other.example', cookie: sessionCookie },
        redirect: 'manual',
      }).then(
        (r) => r.status,
        () => 'closed',
      );
      expect(refused).toBe('closed'); // nginx's 444: connection closed without an answer
    });
    expect(hits).toEqual([]);
  });

  it.skipIf(skip)('passes nginx request ids to the service and the storefront, and keeps tokens out of the access log', async () => {
    const me = await get('/v2/visitor/me', { cookie: sessionCookie });
    expect(me.status).toBe(200);
    // The service keeps nginx's $request_id because nginx (127.0.0.1) is a trusted proxy.
    const requestId = me.headers.get('x-request-id')!;
    expect(requestId).toMatch(HEX32);
    const echo = await echoOf(await get('/shop'));
    expect(echo.requestId).toMatch(HEX32);
    expect(echo.forwardedFor).toBe('127.0.0.1');

    const deadline = Date.now() + 2_000; // nginx writes the access log line after the response
    while (!stack.nginx.accessLog().includes(`request_id=${requestId}`) && Date.now() < deadline) await Bun.sleep(25);
    const log = stack.nginx.accessLog();
    expect(log).toContain(`"GET /v2/visitor/me HTTP/1.1" 200`);
    expect(log).toContain(`request_id=${requestId}`);
    expect(log).toContain('/_edge/visitor/access/t/[redacted]');
    expect(log).not.toContain('vml_');
    expect(stack.nginx.errorLog()).not.toContain('vml_');
    // The configuration runs without warnings (e.g. no uninitialised variables, no upstream errors).
    expect(
      stack.nginx
        .errorLog()
        .split('\n')
        .filter((line) => /\[(warn|error|crit|alert|emerg)\]/.test(line)),
    ).toEqual([]);
    // The same id is in the service's own log line for that request.
    expect(stack.service.output()).toContain(`"requestId":"${requestId}"`);
    expect(stack.service.output()).not.toContain('vml_');
  });

  it.skipIf(skip)("keeps link tokens out of nginx's error log when the service cannot be reached", async () => {
    // A second nginx, same guide block, whose service address has nothing listening.
    const dir = mkdtempSync(join(tmpdir(), 'va-nginx-down-'));
    const [listen, service] = [reservePort(), reservePort()];
    const site = renderConfig(deployDocConfig(), {
      HOST: 'localhost',
      LISTEN: `127.0.0.1:${listen.port}`,
      SERVICE: `127.0.0.1:${service.port}`,
      STOREFRONT: `127.0.0.1:${stack.storefront.port}`,
      LOG_DIR: dir,
    });
    listen.release();
    service.release();
    const down = await startNginx(nginx!, dir, listen.port, site);
    try {
      const token = `vml_${'A'.repeat(43)}.${'B'.repeat(22)}`;
      const link = await fetch(`http://127.0.0.1:${down.port}/_edge/visitor/access/t/${token}`, { headers: { host: 'localhost' } });
      expect(link.status).toBe(502);
      const posted = await fetch(`http://127.0.0.1:${down.port}/_edge/visitor/access/t/${token}`, {
        method: 'POST',
        headers: { host: 'localhost' },
      });
      expect(posted.status).toBe(502);
      // Other routes still log the failure, so the error log keeps naming the cause.
      expect((await fetch(`http://127.0.0.1:${down.port}/v2/visitor/me`, { headers: { host: 'localhost' } })).status).toBe(502);
      const deadline = Date.now() + 2_000;
      while (!down.errorLog().includes('/v2/visitor/me') && Date.now() < deadline) await Bun.sleep(25);
      expect(down.errorLog()).toMatch(/connect\(\) failed .*"GET \/v2\/visitor\/me HTTP\/1\.1"/);
      expect(down.errorLog()).not.toContain('vml_');
      while (
        down
          .accessLog()
          .split('\n')
          .filter((line) => line.includes('/t/[redacted]')).length < 2 &&
        Date.now() < deadline
      )
        await Bun.sleep(25);
      const linkLines = down
        .accessLog()
        .split('\n')
        .filter((line) => line.includes('/_edge/visitor/access/t/'));
      expect(linkLines.map((line) => /"(GET|POST) \/_edge\/visitor\/access\/t\/\[redacted\] HTTP\/1\.1" 502 /.test(line))).toEqual([
        true,
        true,
      ]);
      expect(down.accessLog()).not.toContain('vml_');
    } finally {
      await down.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(skip)('stops letting the old cookie in within EDGE_CACHE_SECONDS (1 s) after logout', async () => {
    expect((await echoOf(await get('/content/demo/x', { cookie: sessionCookie }))).visitorId).toBe(visitorId); // cached now
    const loggedOut = await post('/v2/visitor/auth/logout', {}, { cookie: sessionCookie, headers: { origin } });
    expect(loggedOut.status).toBe(204);
    const started = Date.now();
    expect((await get('/v2/visitor/me', { cookie: sessionCookie })).status).toBe(401); // not cached
    let response = await get('/content/demo/x', { cookie: sessionCookie });
    while (response.status === 200 && Date.now() - started < 3_000) {
      await response.body?.cancel();
      await Bun.sleep(100);
      response = await get('/content/demo/x', { cookie: sessionCookie });
    }
    const elapsed = Date.now() - started;
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(signInUrl('/content/demo/x'));
    expect(elapsed).toBeLessThan(2_500);
  });
});
