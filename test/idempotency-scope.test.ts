// Idempotency keys belong to the real caller: a visitor's session, a PAT, a storefront JWT's key
// and subject (verified first), else the client IP; and the route's Origin check runs before any
// replay or claim.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SignJWT, type JWTPayload } from 'jose';
import { insertJwtKey, newKid } from '../src/credentials/jwt-keys.ts';
import { createPat } from '../src/credentials/pats.ts';
import { seal } from '../src/tokens/sealed.ts';
import { type CookieJar, Harness } from './support/harness.ts';

const LOGOUT = '/v2/visitor/auth/logout';
const MAGIC_LINK = '/v2/visitor/auth/magic-link';
const STOREFRONT = 'http://localhost'; // gharart's origin in the harness
const HS_SECRET = 'storefront-shared-secret-0123456789-abcdefghij';

let h: Harness;
let kid: string;
beforeAll(async () => {
  h = await Harness.start();
  kid = newKid();
  const secretSealed = await seal(h.deps.keys, 'credential', HS_SECRET, kid);
  await insertJwtKey(h.db, { kid, tenantId: h.gharart.id, alg: 'HS256', publicJwk: null, secretSealed });
});
afterAll(() => h.close());

function logout(jar: CookieJar, key: string, origin = STOREFRONT) {
  return h.json(LOGOUT, {}, { jar, headers: { origin, 'idempotency-key': key } });
}

async function signedIn(jar: CookieJar): Promise<boolean> {
  const me = await h.fetch('/v2/visitor/me', { jar });
  return me.status === 200;
}

/** A storefront server's token, freshly minted each call (its own jti and iat). */
function mintJwt(claims: JWTPayload = {}, secret = HS_SECRET): Promise<string> {
  const now = Math.floor(h.clock.now().getTime() / 1000);
  return new SignJWT({
    aud: 'visitor-access',
    iat: now,
    exp: now + 300,
    scope: 'visitor:write',
    jti: crypto.randomUUID(),
    sub: 'checkout',
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

async function jwtLink(jwt: string, email: string, key: string) {
  return h.json(MAGIC_LINK, { email }, { ip: '198.51.100.9', headers: { authorization: `Bearer ${jwt}`, 'idempotency-key': key } });
}

describe('Idempotency-Key scope: signed-in shoppers', () => {
  it("scopes a shopper's key by session: B's logout with A's key really logs B out", async () => {
    const a = (await h.signIn('scope-a@example.com')).jar;
    const b = (await h.signIn('scope-b@example.com')).jar;
    const first = await logout(a, 'logout-key-1');
    expect(first.status).toBe(204);
    expect(await signedIn(a)).toBe(false);

    // Same IP, same key, same body: still another caller.
    const second = await logout(b, 'logout-key-1');
    expect(second.status).toBe(204);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await signedIn(b)).toBe(false);
  });

  it("replays a shopper's own retry (same session, same key)", async () => {
    const { jar } = await h.signIn('scope-retry@example.com');
    const cookie = jar.header();
    const first = await h.json(LOGOUT, {}, { headers: { cookie, origin: STOREFRONT, 'idempotency-key': 'logout-key-2' } });
    expect(first.status).toBe(204);
    // The answer was lost; the browser still sends its old cookie.
    const retry = await h.json(LOGOUT, {}, { headers: { cookie, origin: STOREFRONT, 'idempotency-key': 'logout-key-2' } });
    expect(retry.status).toBe(204);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses a cross-site logout with a key already used (403 csrf_rejected), never replaying it', async () => {
    const used = (await h.signIn('scope-used@example.com')).jar;
    const usedCookie = used.header();
    expect((await logout(used, 'logout-key-3')).status).toBe(204);

    // Another shopper, lured to another site that posts the same key with their cookie.
    const victim = (await h.signIn('scope-victim@example.com')).jar;
    const forged = await logout(victim, 'logout-key-3', 'https://evil.test');
    expect(forged.status).toBe(403);
    expect(forged.headers.get('idempotent-replayed')).toBeNull();
    expect(((await forged.json()) as { code: string }).code).toBe('csrf_rejected');
    expect(await signedIn(victim)).toBe(true);

    // The shopper who used the key, from another site: refused too, not replayed.
    const own = await h.json(
      LOGOUT,
      {},
      { headers: { cookie: usedCookie, origin: 'https://evil.test', 'idempotency-key': 'logout-key-3' } },
    );
    expect(own.status).toBe(403);
    expect(own.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('Idempotency-Key scope: bearer sessions, PATs and forms', () => {
  it("keeps two bearer sessions' logouts with one key apart", async () => {
    const bearer = async (email: string) => {
      const mail = await h.requestLink(email);
      const verified = await h.json('/v2/visitor/auth/verify', { token: mail.token, delivery: 'bearer' });
      return ((await verified.json()) as { sessionToken: string }).sessionToken;
    };
    const [one, two] = [await bearer('bearer-one@example.com'), await bearer('bearer-two@example.com')];
    const out = (token: string) => h.json(LOGOUT, {}, { headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'bearer-key-1' } });
    expect((await out(one)).status).toBe(204);
    const second = await out(two);
    expect(second.status).toBe(204);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    const me = await h.fetch('/v2/visitor/me', { headers: { authorization: `Bearer ${two}` } });
    expect(me.status).toBe(401);
  });

  it('scopes a PAT by the token: its retry is replayed, another PAT with the same key is not', async () => {
    const pat = async (name: string) => (await createPat(h.db, { tenantId: h.gharart.id, name, scopes: ['visitor:write'] })).token;
    const [first, second] = [await pat('checkout-1'), await pat('checkout-2')];
    const send = (token: string) =>
      h.json(
        MAGIC_LINK,
        { email: 'pat-scope@example.com' },
        { host: 'service.test', headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'pat-key-1' } },
      );
    expect((await send(first)).status).toBe(202);
    expect((await send(first)).headers.get('idempotent-replayed')).toBe('true');
    const other = await send(second);
    expect(other.status).toBe(202);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
  });

  it('checks the Origin of a form post before replaying its key (403 csrf_rejected from another site)', async () => {
    const form = (origin: string) =>
      h.form(MAGIC_LINK, { email: 'form-scope@example.com' }, { headers: { origin, 'idempotency-key': 'form-key-1' } });
    expect((await form(STOREFRONT)).status).toBe(303);
    const forged = await form('https://evil.test');
    expect(forged.status).toBe(403);
    expect(forged.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('Idempotency-Key scope: storefront JWTs', () => {
  it('replays a retry sent with a freshly minted JWT (same key id and subject): one mail', async () => {
    const first = await jwtLink(await mintJwt(), 'jwt-retry@example.com', 'jwt-key-1');
    expect(first.status).toBe(202);
    const retry = await jwtLink(await mintJwt(), 'jwt-retry@example.com', 'jwt-key-1');
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    await h.deliver();
    expect(h.mail.to('jwt-retry@example.com')).toHaveLength(1);
  });

  it('keeps two subjects of the same key apart', async () => {
    const one = await jwtLink(await mintJwt({ sub: 'checkout-eu' }), 'jwt-subjects@example.com', 'jwt-key-2');
    const two = await jwtLink(await mintJwt({ sub: 'checkout-us' }), 'jwt-subjects@example.com', 'jwt-key-2');
    expect([one.status, two.status]).toEqual([202, 202]);
    expect(two.headers.get('idempotent-replayed')).toBeNull();
    await h.deliver();
    expect(h.mail.to('jwt-subjects@example.com')).toHaveLength(2);
  });

  it("never serves a stored answer to a forged JWT naming the caller's key id and subject (401)", async () => {
    expect((await jwtLink(await mintJwt(), 'jwt-forged@example.com', 'jwt-key-3')).status).toBe(202);
    const forged = await jwtLink(await mintJwt({}, 'not-the-storefront-secret-0123456789-abcdef'), 'jwt-forged@example.com', 'jwt-key-3');
    expect(forged.status).toBe(401);
    expect(forged.headers.get('idempotent-replayed')).toBeNull();
    expect(((await forged.json()) as { code: string }).code).toBe('unauthorized');
  });
});
