// "Sign out everywhere" by address (issue #20 §6), black-box: a storefront whose buyer reports a lost
// device calls POST /v2/access/visitors/sign-out {email}; every session of that visitor at that
// storefront ends — cookie, bearer, order-scoped, passkey-made — the edge refuses them at once on
// this instance, each ends with a `session.revoked` webhook, the call is audited, and nothing of
// another storefront or another shopper changes.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { insertEndpoint } from '../src/webhooks/queries.ts';
import { SoftAuthenticator } from './support/authenticator.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';
import { storefrontJwtKey } from './support/storefront-jwt.ts';

let h: Harness;
let pat: string;
let readOnly: string;
let otherPat: string;

const BUYER = 'lost-phone@example.com';
const SERVICE = { host: SERVICE_HOST };
const ORIGIN = { origin: 'http://localhost' };

let ipCounter = 0;
const freshIp = () => `192.0.2.${(++ipCounter % 250) + 1}`;

beforeAll(async () => {
  // A cache long enough that only forgetting the visitor explains an immediate refusal.
  h = await Harness.start({ env: { EDGE_CACHE_SECONDS: '300' } });
  pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'shop', scopes: ['access:write', 'handoff:write'] })).token;
  readOnly = (await createPat(h.db, { tenantId: h.gharart.id, name: 'reader', scopes: ['access:read'] })).token;
  otherPat = (await createPat(h.db, { tenantId: h.other.id, name: 'other', scopes: ['access:write'] })).token;
  for (const [tenantId, email] of [
    [h.gharart.id, BUYER],
    [h.gharart.id, 'bystander@example.com'],
    [h.other.id, BUYER],
  ] as const) {
    await upsertGrant(
      h.db,
      tenantId,
      { email, resource: '/content/course/*', kind: 'order', title: null, orderId: 'A-1', expiresAt: null },
      h.clock.now(),
    );
  }
  await insertEndpoint(h.db, {
    id: crypto.randomUUID(),
    tenant_id: h.gharart.id,
    url: 'https://hooks.example.test/events',
    events: ['session.revoked'],
    description: null,
    include_email: false,
    secret_sealed: 'unused',
    created_at: h.clock.now(),
  });
});
afterAll(() => h.close());

function signOut(email: string, token = pat, headers: Record<string, string> = {}) {
  return h.json('/v2/access/visitors/sign-out', { email }, { ...SERVICE, headers: { authorization: `Bearer ${token}`, ...headers } });
}

function edge(jar: CookieJar) {
  return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': '/content/course/1', cookie: jar.header() } });
}

/** A session presented as `Authorization: Bearer vs_…` (the verify API's bearer delivery). */
async function bearerSession(email: string, handle = 'gharart'): Promise<string> {
  const asked = await h.json('/v2/visitor/auth/magic-link', { email, handle }, { host: SERVICE_HOST, ip: freshIp() });
  expect(asked.status).toBe(202);
  await h.deliver();
  const token = Harness.pathOf(h.mail.to(email).at(-1)!.link!).split('/').at(-1)!;
  const host = handle === 'gharart' ? 'localhost' : 'other.test';
  const verified = await h.json('/v2/visitor/auth/verify', { token, delivery: 'bearer' }, { host, ip: freshIp() });
  expect(verified.status).toBe(200);
  return ((await verified.json()) as { sessionToken: string }).sessionToken;
}

function jarOf(sessionToken: string): CookieJar {
  const jar = new CookieJar();
  jar.values.set('__Host-visitor_session', sessionToken);
  return jar;
}

/** An order-scoped session, opened from a checkout handoff link. */
async function orderSession(email: string): Promise<CookieJar> {
  const created = await h.json(
    '/v2/access/handoffs',
    { email, orderId: 'A-1', returnTo: '/content/course/1' },
    { ...SERVICE, headers: { authorization: `Bearer ${pat}` } },
  );
  expect(created.status).toBe(201);
  const path = new URL(((await created.json()) as { url: string }).url).pathname;
  const jar = new CookieJar();
  await h.fetch(path, { jar });
  expect((await h.form(path, {}, { jar })).status).toBe(303);
  return jar;
}

/** A session made by signing in with a passkey (registered after an email sign-in). */
async function passkeySession(signedIn: CookieJar): Promise<CookieJar> {
  const post = (path: string, body: Record<string, unknown>, jar?: CookieJar) =>
    h.json(path, body, { headers: ORIGIN, ip: freshIp(), ...(jar ? { jar } : {}) });
  const authenticator = await SoftAuthenticator.create();
  const options = await (await post('/v2/visitor/passkeys/registration/options', {}, signedIn)).json();
  const credential = await authenticator.register(options as Record<string, unknown>, 'http://localhost');
  expect((await post('/v2/visitor/passkeys/registration/verify', { credential }, signedIn)).status).toBe(201);
  const signInOptions = await (await post('/v2/visitor/auth/passkey/options', {})).json();
  const assertion = await authenticator.authenticate(signInOptions as Record<string, unknown>, 'http://localhost');
  const jar = new CookieJar();
  const signedInByPasskey = await post('/v2/visitor/auth/passkey/verify', { credential: assertion, returnTo: '/content/course/1' }, jar);
  expect(signedInByPasskey.status).toBeLessThan(400);
  expect(jar.values.has('__Host-visitor_session')).toBe(true);
  return jar;
}

describe('POST /v2/access/visitors/sign-out', () => {
  it('ends every session of the address at this storefront; the edge refuses them at once; webhooks and audit', async () => {
    const cookie = (await h.signIn(BUYER)).jar;
    const bearer = jarOf(await bearerSession(BUYER));
    const order = await orderSession(BUYER);
    const passkey = await passkeySession(cookie);
    const bystander = (await h.signIn('bystander@example.com')).jar;
    await bearerSession(BUYER, 'other'); // the same address at another storefront
    // Each is cached by the edge as allowed.
    for (const jar of [cookie, bearer, order, passkey, bystander]) expect((await edge(jar)).status).toBe(204);

    const response = await signOut(' Lost-Phone@Example.com ');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ revoked: 4 });
    const requestId = response.headers.get('x-request-id')!;

    // No time passes: this instance's cache forgot them.
    for (const jar of [cookie, bearer, order, passkey]) {
      const refused = await edge(jar);
      expect([refused.status, refused.headers.get('x-visitor-reason')]).toEqual([401, 'not_signed_in']);
    }
    expect((await h.fetch('/v2/visitor/me', { jar: cookie })).status).toBe(401);
    expect(
      (await h.fetch('/v2/visitor/me', { headers: { authorization: `Bearer ${bearer.values.get('__Host-visitor_session')}` } })).status,
    ).toBe(401);
    // Another shopper, and the same address at another storefront, keep theirs.
    expect((await edge(bystander)).status).toBe(204);
    const [live] = await h.db.many<{ n: number }>(sql`
      select count(*)::int as n from sessions s join visitors v on v.id = s.visitor_id
      where v.tenant_id = ${h.other.id}::uuid and v.email = ${BUYER} and s.revoked_at is null`);
    expect(live!.n).toBe(1);

    // One session.revoked per session, carrying this request id; audited as the credential.
    const hooks = await h.db.many<{ n: number }>(sql`
      select count(*)::int as n from webhook_deliveries where type = 'session.revoked' and request_id = ${requestId}`);
    expect(hooks[0]!.n).toBe(4);
    const audit = await h.db.one<{ kind: string; actor: string; visitor_id: string | null; detail: { count: number } }>(sql`
      select kind, actor, visitor_id, detail from audit_events where request_id = ${requestId}`);
    expect(audit).toMatchObject({ kind: 'sessions_revoked_all', detail: { count: 4 } });
    expect(audit!.actor).toStartWith('pat:');
    expect(audit!.visitor_id).not.toBeNull();

    // Again: nothing left to end.
    expect(await (await signOut(BUYER)).json()).toEqual({ revoked: 0 });
  });

  it('answers {revoked: 0} for an address it never saw, and creates nothing', async () => {
    const response = await signOut('never-seen@example.com');
    expect([response.status, await response.json()]).toEqual([200, { revoked: 0 }]);
    const visitor = await h.db.one(sql`select id from visitors where email = 'never-seen@example.com'`);
    expect(visitor).toBeUndefined();
  });

  it('needs access:write on the caller’s own storefront; a bad address is 400', async () => {
    const session = (await h.signIn('scoped@example.com')).jar;
    const forbidden = await signOut('scoped@example.com', readOnly);
    expect([forbidden.status, ((await forbidden.json()) as { code: string }).code]).toEqual([403, 'insufficient_scope']);
    const anonymous = await h.json('/v2/access/visitors/sign-out', { email: 'scoped@example.com' }, SERVICE);
    expect(anonymous.status).toBe(401);
    const wrongTenant = await h.json(
      '/v2/access/visitors/sign-out',
      { email: 'scoped@example.com', handle: 'other' },
      { ...SERVICE, headers: { authorization: `Bearer ${pat}` } },
    );
    expect([wrongTenant.status, ((await wrongTenant.json()) as { code: string }).code]).toEqual([403, 'wrong_tenant']);
    const invalid = await signOut('not an address');
    expect([invalid.status, ((await invalid.json()) as { code: string }).code]).toEqual([400, 'invalid_email']);
    // Another storefront's credential touches only its own shoppers.
    expect(await (await signOut('scoped@example.com', otherPat)).json()).toEqual({ revoked: 0 });
    expect((await edge(session)).status).toBe(403); // signed in, no grant for this address: still a live session
  });

  it('takes a storefront JWT with access:write', async () => {
    const key = await storefrontJwtKey(h, h.gharart.id);
    const jwt = await key.jwt('access:write');
    const jar = (await h.signIn('jwt-signed-out@example.com')).jar;
    const response = await signOut('jwt-signed-out@example.com', jwt);
    expect(await response.json()).toEqual({ revoked: 1 });
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(401);
    const audit = await h.db.one<{ actor: string }>(sql`
      select actor from audit_events where request_id = ${response.headers.get('x-request-id')}`);
    expect(audit!.actor).toBe(`jwt:${key.kid}`);
  });

  it('accepts an Idempotency-Key: the same key answers the stored result without ending anything again', async () => {
    await h.signIn('idem@example.com');
    await h.signIn('idem@example.com');
    const first = await signOut('idem@example.com', pat, { 'idempotency-key': 'lost-phone-1' });
    expect(await first.json()).toEqual({ revoked: 2 });
    await h.signIn('idem@example.com');
    const again = await signOut('idem@example.com', pat, { 'idempotency-key': 'lost-phone-1' });
    expect([again.headers.get('idempotent-replayed'), await again.json()]).toEqual(['true', { revoked: 2 }]);
    const [live] = await h.db.many<{ n: number }>(sql`
      select count(*)::int as n from sessions s join visitors v on v.id = s.visitor_id
      where v.email = 'idem@example.com' and s.revoked_at is null`);
    expect(live!.n).toBe(1);
  });
});
