// Checkout handoffs (issue #18), black-box: the storefront creates a link, the buyer opens it into
// an ORDER-SCOPED session (that order's grants only, step_up_required for the address's others),
// proves the address to get a full session, and a refund ends the order.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { mintToken } from '../src/tokens/tokens.ts';
import { insertEndpoint } from '../src/webhooks/queries.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
let pat: string;
let readOnly: string;
let otherPat: string;

const BUYER = 'buyer@example.com';
const SERVICE = { host: 'service.test' };

beforeAll(async () => {
  h = await Harness.start();
  pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'checkout', scopes: ['handoff:write', 'access:write', 'access:read'] }))
    .token;
  readOnly = (await createPat(h.db, { tenantId: h.gharart.id, name: 'reader', scopes: ['access:read'] })).token;
  otherPat = (await createPat(h.db, { tenantId: h.other.id, name: 'other', scopes: ['handoff:write', 'access:write'] })).token;
  await grant(BUYER, '/orders/A-1', 'A-1');
  await grant(BUYER, '/content/course-a/*', 'A-1');
  await grant(BUYER, '/content/course-b/*', 'B-2');
  await grant(BUYER, '/content/free/*', null);
  await insertEndpoint(h.db, {
    id: crypto.randomUUID(),
    tenant_id: h.gharart.id,
    url: 'https://hooks.example.test/events',
    events: ['*'],
    description: null,
    include_email: false,
    secret_sealed: 'unused',
    created_at: h.clock.now(),
  });
});
afterAll(() => h.close());

function grant(email: string, resource: string, orderId: string | null) {
  return upsertGrant(
    h.db,
    h.gharart.id,
    { email, resource, kind: orderId ? 'order' : 'content', title: null, orderId, expiresAt: null },
    h.clock.now(),
  );
}

function createHandoff(body: Record<string, unknown>, token = pat, headers: Record<string, string> = {}) {
  return h.json('/v2/access/handoffs', body, { ...SERVICE, headers: { authorization: `Bearer ${token}`, ...headers } });
}

async function handoffPath(body: Record<string, unknown> = {}): Promise<string> {
  const response = await createHandoff({ email: BUYER, orderId: 'A-1', returnTo: '/orders/A-1', ...body });
  expect(response.status).toBe(201);
  return new URL(((await response.json()) as { url: string }).url).pathname;
}

/** A browser opening the link: GET (Continue page + test cookie), then the button's POST. */
async function open(path: string, jar = new CookieJar()): Promise<{ jar: CookieJar; response: Response }> {
  await h.fetch(path, { jar });
  return { jar, response: await h.form(path, {}, { jar }) };
}

function edge(uri: string, jar?: CookieJar) {
  return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': uri, ...(jar ? { cookie: jar.header() } : {}) } });
}

async function decision(uri: string, jar?: CookieJar) {
  const response = await edge(uri, jar);
  return [response.status, response.headers.get('x-visitor-reason')];
}

async function me(jar: CookieJar) {
  return ((await (await h.fetch('/v2/visitor/me', { jar })).json()) as { session: Record<string, unknown> }).session;
}

/** Past the edge cache's lifetime (EDGE_CACHE_SECONDS, 5 by default). */
const pastEdgeCache = () => h.clock.advance(6);

describe('POST /v2/access/handoffs', () => {
  it('answers 201 with a one-use link on the storefront origin, valid 30 minutes by default', async () => {
    const response = await createHandoff({ email: 'Buyer@Example.com', orderId: 'A-1', returnTo: '/orders/A-1' });
    expect(response.status).toBe(201);
    // Handoffs count against per-tenant limits.
    expect(response.headers.get('ratelimit-policy')).toBe('"per-tenant";q=600;w=60, "per-tenant-daily";q=50000;w=86400');
    const body = (await response.json()) as { url: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'url']);
    expect(body.url).toMatch(/^http:\/\/localhost\/_edge\/visitor\/access\/h\/vh_[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(body.expiresAt) - h.clock.now().getTime()).toBe(1800 * 1000);
    // Only the token's hash is stored.
    const token = body.url.split('/').at(-1)!;
    const rows = await h.db.many<{ row: string }>(sql`select row_to_json(h)::text as row from handoffs h`);
    expect(rows.some((r) => r.row.includes(token))).toBe(false);
  });

  it('takes ttlSeconds up to 7 days and refuses more (400 invalid_request)', async () => {
    const week = await createHandoff({ email: BUYER, orderId: 'A-1', ttlSeconds: 7 * 86400 });
    expect(week.status).toBe(201);
    expect(Date.parse(((await week.json()) as { expiresAt: string }).expiresAt) - h.clock.now().getTime()).toBe(7 * 86400 * 1000);
    for (const ttlSeconds of [7 * 86400 + 1, 0, 59, 1.5]) {
      const response = await createHandoff({ email: BUYER, orderId: 'A-1', ttlSeconds });
      expect([ttlSeconds, response.status, ((await response.json()) as { code: string }).code]).toEqual([
        ttlSeconds,
        400,
        'invalid_request',
      ]);
    }
  });

  it('takes its default validity from HANDOFF_TTL', async () => {
    await h.boot({ HANDOFF_TTL: '3600' });
    try {
      const response = await createHandoff({ email: BUYER, orderId: 'A-1' });
      expect(Date.parse(((await response.json()) as { expiresAt: string }).expiresAt) - h.clock.now().getTime()).toBe(3600 * 1000);
    } finally {
      await h.boot({});
    }
  });

  it('needs the handoff:write scope, a valid address, an order id and a returnTo of the storefront', async () => {
    const code = async (response: Response) => [response.status, ((await response.json()) as { code: string }).code];
    expect(await code(await createHandoff({ email: BUYER, orderId: 'A-1' }, readOnly))).toEqual([403, 'insufficient_scope']);
    expect(await code(await h.json('/v2/access/handoffs', { email: BUYER, orderId: 'A-1' }, SERVICE))).toEqual([401, 'unauthorized']);
    expect(await code(await createHandoff({ email: 'not-an-address', orderId: 'A-1' }))).toEqual([400, 'invalid_email']);
    expect(await code(await createHandoff({ email: BUYER, orderId: '  ' }))).toEqual([400, 'invalid_request']);
    expect(await code(await createHandoff({ email: BUYER, orderId: 'A-1', returnTo: 'https://evil.example/' }))).toEqual([
      400,
      'invalid_return_to',
    ]);
    expect(await code(await createHandoff({ email: BUYER, orderId: 'A-1', handle: 'other' }))).toEqual([403, 'wrong_tenant']);
  });

  it('honours Idempotency-Key: a retry gets the same link, and the stored answer is sealed at rest', async () => {
    const headers = { 'idempotency-key': 'checkout-991' };
    const first = await createHandoff({ email: BUYER, orderId: 'A-991' }, pat, headers);
    const again = await createHandoff({ email: BUYER, orderId: 'A-991' }, pat, headers);
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    const url = ((await first.json()) as { url: string }).url;
    expect(((await again.json()) as { url: string }).url).toBe(url);
    const token = url.split('/').at(-1)!;
    const stored = await h.db.many<{ response_body: string }>(sql`select response_body from idempotency_keys where key = 'checkout-991'`);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.response_body.startsWith('sealed:')).toBe(true);
    expect(stored[0]!.response_body.includes(token)).toBe(false);
    expect(stored[0]!.response_body.includes(token.split('.')[0]!)).toBe(false);
  });
});

describe('opening a handoff: an order-scoped session', () => {
  let jar: CookieJar;

  it('GET never consumes: a Continue page with the test cookie, as often as it is fetched', async () => {
    const path = await handoffPath();
    for (let i = 0; i < 2; i++) {
      const viewer = new CookieJar();
      const page = await h.fetch(path, { jar: viewer, headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await page.text()).toContain(`<form method="post" action="${path}">`);
      expect(viewer.values.has('__Host-visitor_check')).toBe(true);
      expect(viewer.values.has('__Host-visitor_session')).toBe(false);
    }
    ({ jar } = await open(path));
    expect(jar.values.has('__Host-visitor_session')).toBe(true);
  });

  it('POST opens the order: 303 to returnTo, /me says scope "order" with the order id', async () => {
    const { jar: buyer, response } = await open(await handoffPath());
    expect([response.status, response.headers.get('location')]).toEqual([303, 'http://localhost/orders/A-1']);
    expect(await me(buyer)).toMatchObject({ scope: 'order', orderId: 'A-1', via: 'cookie' });
    const full = (await h.signIn('someone-else@example.com')).jar;
    const session = await me(full);
    expect(session.scope).toBe('full');
    expect('orderId' in session).toBe(false);
  });

  it('the edge allows only the grants carrying the orderId; the address’s other grants answer step_up_required', async () => {
    expect(await decision('/orders/A-1', jar)).toEqual([204, null]);
    expect(await decision('/content/course-a/lesson-1', jar)).toEqual([204, null]);
    expect(await decision('/content/course-b/lesson-1', jar)).toEqual([403, 'step_up_required']);
    expect(await decision('/content/free/intro', jar)).toEqual([403, 'step_up_required']);
    const stepUp = await edge('/content/course-b/lesson-1?t=3', jar);
    expect(stepUp.headers.get('x-visitor-login')).toBe(
      `http://localhost/_edge/visitor/sign-in?returnTo=${encodeURIComponent('/content/course-b/lesson-1?t=3')}`,
    );
    // No grant at all: a plain 403, as for any session.
    expect(await decision('/content/course-c/x', jar)).toEqual([403, 'no_grant']);
  });

  it('adds no database round trip to a cached edge decision', async () => {
    await edge('/orders/A-1', jar);
    const before = h.counter.queries;
    for (const uri of ['/orders/A-1', '/content/course-b/x', '/content/course-c/x']) await edge(uri, jar);
    expect(h.counter.queries).toBe(before);
  });

  it('GET /v2/visitor/access lists only that order’s grants', async () => {
    const items = ((await (await h.fetch('/v2/visitor/access', { jar })).json()) as { items: { resource: string; orderId: string }[] })
      .items;
    expect(items.map((i) => [i.resource, i.orderId])).toEqual([
      ['/content/course-a/*', 'A-1'],
      ['/orders/A-1', 'A-1'],
    ]);
  });

  it('an order-scoped session may not list or end the address’s other sessions (403 step_up_required)', async () => {
    const owner = (await h.signIn(BUYER)).jar;
    const mine = (await me(jar)).id as string;
    const owners = (await me(owner)).id as string;
    const list = (await (await h.fetch('/v2/visitor/sessions', { jar })).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([mine]);
    const del = await h.fetch(`/v2/visitor/sessions/${owners}`, { method: 'DELETE', jar, headers: { origin: 'http://localhost' } });
    expect([del.status, ((await del.json()) as { code: string }).code]).toEqual([403, 'step_up_required']);
    const all = await h.json('/v2/visitor/auth/logout', { scope: 'all' }, { jar, headers: { origin: 'http://localhost' } });
    expect(all.status).toBe(403);
    expect((await me(owner)).scope).toBe('full');
  });

  it('reports visitor.signed_in with method "handoff" (no token, no address)', async () => {
    const rows = await h.db.many<{ data: Record<string, unknown>; email: string | null }>(sql`
      select data, email from webhook_deliveries where type = 'visitor.signed_in' and data->>'method' = 'handoff'`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.data).toMatchObject({ method: 'handoff', scope: 'order', orderId: 'A-1' });
    expect(rows[0]!.email).toBeNull();
  });
});

describe('a handoff is used once', () => {
  it('its own browser is sent on; any other browser is sent to sign in with the same returnTo', async () => {
    const path = await handoffPath();
    const { jar } = await open(path);
    const same = await h.form(path, {}, { jar });
    expect([same.status, same.headers.get('location')]).toEqual([303, 'http://localhost/orders/A-1']);
    const other = await open(path);
    expect([other.response.status, other.response.headers.get('location')]).toEqual([
      303,
      `/_edge/visitor/sign-in?returnTo=${encodeURIComponent('http://localhost/orders/A-1')}`,
    ]);
    expect(other.jar.values.has('__Host-visitor_session')).toBe(false);
  });

  it('after its validity, it sends the buyer to sign in', async () => {
    const path = await handoffPath({ ttlSeconds: 60 });
    h.clock.advance(61);
    const { jar, response } = await open(path);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toStartWith('/_edge/visitor/sign-in?returnTo=');
    expect(jar.values.has('__Host-visitor_session')).toBe(false);
  });

  it('a browser already signed in with the address keeps its full session', async () => {
    const full = (await h.signIn(BUYER)).jar;
    const before = full.values.get('__Host-visitor_session');
    const response = await h.form(await handoffPath(), {}, { jar: full });
    expect([response.status, response.headers.get('location')]).toEqual([303, 'http://localhost/orders/A-1']);
    expect(full.values.get('__Host-visitor_session')).toBe(before);
    expect((await me(full)).scope).toBe('full');
  });

  it('a second order opened in the same browser replaces the first order’s session, which ends', async () => {
    await grant(BUYER, '/orders/D-4', 'D-4');
    const { jar } = await open(await handoffPath({ orderId: 'D-3', returnTo: '/' }));
    const first = (await me(jar)).id;
    await open(await handoffPath({ orderId: 'D-4', returnTo: '/orders/D-4' }), jar);
    expect(await me(jar)).toMatchObject({ scope: 'order', orderId: 'D-4' });
    const ended = await h.db.one<{ revoked_at: Date | null }>(sql`select revoked_at from sessions where id = ${first}::uuid`);
    expect(ended?.revoked_at).not.toBeNull();
  });

  it('refuses a POST from another origin (403 csrf_rejected) and keeps the handoff', async () => {
    const path = await handoffPath();
    const jar = new CookieJar();
    await h.fetch(path, { jar });
    const forged = await h.form(path, {}, { jar, headers: { origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect((await h.form(path, {}, { jar })).status).toBe(303);
    expect((await me(jar)).scope).toBe('order');
  });
});

describe('purpose-bound tokens', () => {
  it('a handoff token is nothing anywhere else, and no other token is a handoff', async () => {
    const path = await handoffPath();
    const token = path.split('/').at(-1)!;
    // As a sign-in link: the link page and the verify API.
    const asLink = await h.fetch(`/_edge/visitor/access/t/${token}`);
    expect(asLink.status).toBe(400);
    const verify = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', token });
    expect(((await verify.json()) as { code: string }).code).toBe('invalid_magic_link');
    // As a session: cookie at the edge and on /me, bearer on /me.
    const jar = new CookieJar();
    jar.values.set('__Host-visitor_session', token);
    expect(await decision('/orders/A-1', jar)).toEqual([401, 'not_signed_in']);
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(401);
    expect((await h.fetch('/v2/visitor/me', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    // Other purposes' tokens (well-formed and correctly signed for theirs) at the handoff page.
    const link = Harness.pathOf((await h.requestLink('tokens@example.com')).link!)
      .split('/')
      .at(-1)!;
    const session = (await h.signIn('tokens2@example.com')).jar.values.get('__Host-visitor_session')!;
    for (const other of [link, session, mintToken(h.deps.keys, 'vml'), mintToken(h.deps.keys, 'vs')]) {
      const response = await h.fetch(`/_edge/visitor/access/h/${other}`);
      expect([other.slice(0, 4), response.status, ((await response.json()) as { code: string }).code]).toEqual([
        other.slice(0, 4),
        400,
        'invalid_handoff',
      ]);
    }
    // The handoff itself was never touched.
    expect((await open(path)).response.status).toBe(303);
  });

  it('a broken handoff link is a page in the shopper’s language that leads to sign-in', async () => {
    const page = await h.fetch('/_edge/visitor/access/h/vh_broken', { headers: { accept: 'text/html', 'accept-language': 'de' } });
    expect(page.status).toBe(400);
    const text = await page.text();
    expect(text).toContain('Dieser Bestelllink funktioniert nicht');
    expect(text).toContain('href="/_edge/visitor/sign-in');
  });

  it('another storefront’s handoff is not valid on this host', async () => {
    const response = await createHandoff({ email: BUYER, orderId: 'O-1' }, otherPat);
    expect(response.status).toBe(201);
    const token = ((await response.json()) as { url: string }).url.split('/').at(-1)!;
    const page = await h.fetch(`/_edge/visitor/access/h/${token}`);
    expect([page.status, ((await page.json()) as { code: string }).code]).toEqual([400, 'invalid_handoff']);
  });
});

describe('step-up', () => {
  it('proving the address by code from that browser turns it into a full session that opens every grant', async () => {
    await grant(BUYER, '/content/course-s/*', 'S-1');
    const { jar } = await open(await handoffPath({ orderId: 'S-1', returnTo: '/content/course-s/' }));
    const orderSession = (await me(jar)).id;
    pastEdgeCache();
    expect(await decision('/content/course-b/x', jar)).toEqual([403, 'step_up_required']);
    const mail = await h.requestLink(BUYER, { returnTo: '/content/course-b/x' });
    const verified = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email: BUYER, code: mail.code }, { jar });
    expect(verified.status).toBe(200);
    const session = await me(jar);
    expect(session.scope).toBe('full');
    expect(await decision('/content/course-b/x', jar)).toEqual([204, null]);
    expect(await decision('/content/free/x', jar)).toEqual([204, null]);
    // The order-scoped session it replaced is over (it no longer counts against the order's cap).
    const revoked = await h.db.one<{ revoked_at: Date | null }>(sql`select revoked_at from sessions where id = ${orderSession}::uuid`);
    expect(revoked?.revoked_at).not.toBeNull();
  });

  it('so does the sign-in link pressed in that browser', async () => {
    await grant(BUYER, '/content/course-t/*', 'T-1');
    const { jar } = await open(await handoffPath({ orderId: 'T-1', returnTo: '/content/course-t/' }));
    const orderSession = (await me(jar)).id;
    const link = Harness.pathOf((await h.requestLink(BUYER, { returnTo: '/content/course-b/x' })).link!);
    await h.fetch(link, { jar });
    const pressed = await h.form(link, {}, { jar });
    expect([pressed.status, pressed.headers.get('location')]).toEqual([303, 'http://localhost/content/course-b/x']);
    expect((await me(jar)).scope).toBe('full');
    expect(await decision('/content/course-b/x', jar)).toEqual([204, null]);
    const revoked = await h.db.one<{ revoked_at: Date | null }>(sql`select revoked_at from sessions where id = ${orderSession}::uuid`);
    expect(revoked?.revoked_at).not.toBeNull();
  });
});

describe('at most 5 order-scoped sessions per order', () => {
  it('a 6th browser is sent to sign in (step-up), and its link stays unused', async () => {
    const orderId = 'C-5';
    await grant('cap@example.com', '/orders/C-5', orderId);
    for (let i = 0; i < 5; i++) {
      const { response } = await open(await handoffPath({ email: 'cap@example.com', orderId, returnTo: '/orders/C-5' }));
      expect([i, response.status, response.headers.get('location')]).toEqual([i, 303, 'http://localhost/orders/C-5']);
    }
    const sixth = await handoffPath({ email: 'cap@example.com', orderId, returnTo: '/orders/C-5' });
    const { jar, response } = await open(sixth);
    expect([response.status, response.headers.get('location')]).toEqual([
      303,
      `/_edge/visitor/sign-in?returnTo=${encodeURIComponent('http://localhost/orders/C-5')}`,
    ]);
    expect(jar.values.has('__Host-visitor_session')).toBe(false);
    const live = await h.db.one<{ n: number }>(sql`
      select count(*)::int as n from sessions where order_id = ${orderId} and revoked_at is null`);
    expect(live?.n).toBe(5);
  });
});

describe('at most 5 order-scoped sessions per order, under concurrency', () => {
  it('ten browsers pressing Continue at once on ten links of one order: exactly five get a session', async () => {
    const orderId = 'C-RACE';
    await grant('race@example.com', '/orders/C-RACE', orderId);
    const browsers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const path = await handoffPath({ email: 'race@example.com', orderId, returnTo: '/orders/C-RACE' });
        const jar = new CookieJar();
        const ip = `198.51.100.${200 + i}`;
        await h.fetch(path, { jar, ip });
        return { path, jar, ip };
      }),
    );
    const answers = await Promise.all(browsers.map(({ path, jar, ip }) => h.form(path, {}, { jar, ip })));
    const opened = answers.filter((r) => r.headers.get('location') === 'http://localhost/orders/C-RACE').length;
    const live = await h.db.one<{ n: number }>(sql`
      select count(*)::int as n from sessions where order_id = ${orderId} and revoked_at is null`);
    expect([opened, live?.n]).toEqual([5, 5]);
  });
});

describe('POST /v2/access/orders/{orderId}/revoke (refunds and chargebacks)', () => {
  it('ends the order’s grants and order-scoped sessions; the edge denies within EDGE_CACHE_SECONDS', async () => {
    await grant('refund@example.com', '/orders/R-1', 'R-1');
    await grant('refund@example.com', '/content/course-r/*', 'R-1');
    await grant('refund@example.com', '/content/kept/*', 'R-2');
    const full = (await h.signIn('refund@example.com')).jar;
    const { jar } = await open(await handoffPath({ email: 'refund@example.com', orderId: 'R-1', returnTo: '/orders/R-1' }));
    const unused = await handoffPath({ email: 'refund@example.com', orderId: 'R-1', returnTo: '/orders/R-1' });
    expect(await decision('/orders/R-1', jar)).toEqual([204, null]);
    expect(await decision('/orders/R-1', full)).toEqual([204, null]);

    const forbidden = await h.json('/v2/access/orders/R-1/revoke', {}, { ...SERVICE, headers: { authorization: `Bearer ${readOnly}` } });
    expect(forbidden.status).toBe(403);
    const response = await h.json('/v2/access/orders/R-1/revoke', {}, { ...SERVICE, headers: { authorization: `Bearer ${pat}` } });
    expect([response.status, await response.json()]).toEqual([200, { revokedGrants: 2, endedSessions: 1 }]);

    pastEdgeCache();
    expect(await decision('/orders/R-1', jar)).toEqual([401, 'not_signed_in']);
    expect(await decision('/orders/R-1', full)).toEqual([403, 'no_grant']);
    expect(await decision('/content/course-r/x', full)).toEqual([403, 'no_grant']);
    expect(await decision('/content/kept/x', full)).toEqual([204, null]);
    // The order's unused links send the buyer to sign in, and sign-in shows nothing of the order.
    const { response: late } = await open(unused);
    expect(late.headers.get('location')).toStartWith('/_edge/visitor/sign-in?');
    // grant.changed per ended grant; a second call changes nothing.
    const changed = await h.db.many<{ resource: string }>(sql`
      select data->>'resource' as resource from webhook_deliveries where type = 'grant.changed' and data->>'change' = 'revoked' order by 1`);
    expect(changed.map((c) => c.resource)).toEqual(['/content/course-r/*', '/orders/R-1']);
    const again = await h.json('/v2/access/orders/R-1/revoke', {}, { ...SERVICE, headers: { authorization: `Bearer ${pat}` } });
    expect(await again.json()).toEqual({ revokedGrants: 0, endedSessions: 0 });
  });

  it('touches only the caller’s storefront', async () => {
    await grant('refund2@example.com', '/orders/R-9', 'R-9');
    const response = await h.json('/v2/access/orders/R-9/revoke', {}, { ...SERVICE, headers: { authorization: `Bearer ${otherPat}` } });
    expect(await response.json()).toEqual({ revokedGrants: 0, endedSessions: 0 });
  });
});
