// Passkeys, black-box through the real app with a software authenticator (test/support/authenticator.ts):
// registration after an email sign-in, sign-in by passkey (the same session a link gives), and every
// way an answer must be refused — wrong, replayed or expired challenge, another storefront's host,
// another host of the same storefront, a removed passkey, a cloned authenticator.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { SoftAuthenticator } from './support/authenticator.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';
import { insertTestTenant } from './support/tenants.ts';

let h: Harness;
let twoHosts: Tenant;

beforeAll(async () => {
  h = await Harness.start();
  twoHosts = await insertTestTenant(h.db, 'twohosts', {
    origins: ['https://shop.twohosts.test', 'https://www.twohosts.test'],
    hosts: ['shop.twohosts.test', 'www.twohosts.test'],
  });
});
afterAll(() => h.close());

type Json = Record<string, unknown>;
/** Where a request comes from: the storefront host and the origin its pages run on. */
type Place = { host: string; origin: string };
const LOCAL: Place = { host: 'localhost', origin: 'http://localhost' };
const OTHER: Place = { host: 'other.test', origin: 'https://other.test' };
const SHOP: Place = { host: 'shop.twohosts.test', origin: 'https://shop.twohosts.test' };
const WWW: Place = { host: 'www.twohosts.test', origin: 'https://www.twohosts.test' };

let ipCounter = 0;
const freshIp = () => `192.0.2.${(++ipCounter % 250) + 1}`;

function post(path: string, body: Json, place: Place, jar?: CookieJar, ip = freshIp()): Promise<Response> {
  const headers: Record<string, string> = { origin: place.origin };
  // https storefronts are reached through a trusted proxy (127.0.0.1) that says so.
  if (place.origin.startsWith('https:')) Object.assign(headers, { 'x-forwarded-proto': 'https', 'x-forwarded-for': ip });
  return h.json(path, body, {
    host: place.host,
    headers,
    ...(jar ? { jar } : {}),
    ip: place.origin.startsWith('https:') ? '127.0.0.1' : ip,
  });
}

async function problem(response: Response): Promise<[number, string]> {
  return [response.status, ((await response.json()) as { code: string }).code];
}

/** A signed-in browser on `place` (by link: the harness signs in on localhost; elsewhere by token via the verify API). */
async function signedIn(email: string, place: Place = LOCAL): Promise<CookieJar> {
  if (place === LOCAL) return (await h.signIn(email)).jar;
  const handle = place === OTHER ? 'other' : 'twohosts';
  const asked = await h.json('/v2/visitor/auth/magic-link', { email, handle }, { host: SERVICE_HOST, ip: freshIp() });
  expect(asked.status).toBe(202);
  await h.deliver();
  const mail = h.mail.to(email).at(-1)!;
  const token = Harness.pathOf(mail.link!).split('/').at(-1)!;
  const verified = await h.json('/v2/visitor/auth/verify', { token, delivery: 'bearer' }, { host: place.host, ip: freshIp() });
  const { sessionToken } = (await verified.json()) as { sessionToken: string };
  const jar = new CookieJar();
  jar.values.set('__Host-visitor_session', sessionToken);
  return jar;
}

async function register(jar: CookieJar, place: Place = LOCAL): Promise<{ authenticator: SoftAuthenticator; passkey: Json }> {
  const authenticator = await SoftAuthenticator.create();
  const options = await post('/v2/visitor/passkeys/registration/options', {}, place, jar);
  expect(options.status).toBe(200);
  const credential = await authenticator.register((await options.json()) as Json, place.origin);
  const verified = await post('/v2/visitor/passkeys/registration/verify', { credential }, place, jar);
  expect(verified.status).toBe(201);
  return { authenticator, passkey: (await verified.json()) as Json };
}

async function signInOptions(place: Place = LOCAL): Promise<Json> {
  const response = await post('/v2/visitor/auth/passkey/options', {}, place);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

function signInWith(credential: Json, place: Place = LOCAL, jar = new CookieJar()): Promise<Response> {
  return post('/v2/visitor/auth/passkey/verify', { credential, returnTo: '/content/a' }, place, jar);
}

describe('passkey registration', () => {
  it('registers a passkey for the storefront host after an email sign-in (counter and backup flags stored, audited)', async () => {
    const jar = await signedIn('register@example.com');
    const options = (await (await post('/v2/visitor/passkeys/registration/options', {}, LOCAL, jar)).json()) as Json;
    expect((options.rp as Json).id).toBe('localhost');
    expect((options.authenticatorSelection as Json).userVerification).toBe('preferred');
    expect(options.timeout).toBe(300_000);
    const authenticator = await SoftAuthenticator.create();
    const credential = await authenticator.register(options, LOCAL.origin);
    const response = await post('/v2/visitor/passkeys/registration/verify', { credential }, LOCAL, jar);
    expect(response.status).toBe(201);
    const passkey = (await response.json()) as Json;
    expect(passkey).toMatchObject({ rpId: 'localhost', backedUp: false, deviceType: 'singleDevice', lastUsedAt: null });
    const row = await h.db.one<{ sign_count: number; backed_up: boolean; credential_id: string }>(
      sql`select sign_count::int as sign_count, backed_up, credential_id from passkeys where id = ${passkey.id as string}::uuid`,
    );
    expect(row).toEqual({ sign_count: 0, backed_up: false, credential_id: authenticator.id });
    // Challenges are kept as hashes only.
    const stored = await h.db.many<{ challenge_hash: string }>(sql`select challenge_hash from passkey_challenges`);
    expect(stored.some((c) => c.challenge_hash === options.challenge)).toBe(false);
    const audit = await h.db.many<{ kind: string }>(sql`select kind from audit_events where kind = 'passkey_registered'`);
    expect(audit.length).toBeGreaterThan(0);
    const list = await h.fetch('/v2/visitor/passkeys', { jar });
    expect(((await list.json()) as { items: Json[] }).items.map((p) => p.id)).toEqual([passkey.id]);
  });

  it('needs a signed-in shopper, from the storefront’s own origin', async () => {
    expect(await problem(await post('/v2/visitor/passkeys/registration/options', {}, LOCAL))).toEqual([401, 'not_signed_in']);
    const jar = await signedIn('csrf@example.com');
    const foreign = await h.json('/v2/visitor/passkeys/registration/options', {}, { jar, headers: { origin: 'https://evil.test' } });
    expect(await problem(foreign)).toEqual([403, 'csrf_rejected']);
  });

  it('a registration challenge answers only for the visitor who asked for it, once', async () => {
    const alice = await signedIn('alice-reg@example.com');
    const mallory = await signedIn('mallory-reg@example.com');
    const options = (await (await post('/v2/visitor/passkeys/registration/options', {}, LOCAL, alice)).json()) as Json;
    const credential = await (await SoftAuthenticator.create()).register(options, LOCAL.origin);
    const stolen = await post('/v2/visitor/passkeys/registration/verify', { credential }, LOCAL, mallory);
    expect(await problem(stolen)).toEqual([400, 'passkey_challenge_invalid']);
    expect((await post('/v2/visitor/passkeys/registration/verify', { credential }, LOCAL, alice)).status).toBe(201);
    const again = await post('/v2/visitor/passkeys/registration/verify', { credential }, LOCAL, alice);
    expect(await problem(again)).toEqual([400, 'passkey_challenge_invalid']);
  });
});

describe('passkey sign-in', () => {
  it('signs in with the passkey: the same session a link gives, audited, with visitor.signed_in method passkey', async () => {
    const { authenticator } = await register(await signedIn('return@example.com'));
    await h.db.many(sql`
      insert into webhook_endpoints (tenant_id, url, events, secret_sealed, created_at)
      values (${h.gharart.id}::uuid, 'https://hooks.example.com/in', '{visitor.signed_in}', 'unused', ${h.clock.now()})`);
    const credential = await authenticator.authenticate(await signInOptions(), LOCAL.origin);
    const jar = new CookieJar();
    const response = await signInWith(credential, LOCAL, jar);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { visitor: Json; session: Json; returnTo: string };
    expect(body.visitor).toMatchObject({ email: 'return@example.com', handle: 'gharart' });
    expect(body.returnTo).toBe('http://localhost/content/a');
    expect(response.headers.getSetCookie().join('\n')).toContain('__Host-visitor_session=vs_');
    const me = await h.fetch('/v2/visitor/me', { jar });
    expect(((await me.json()) as { session: Json }).session).toMatchObject({ id: body.session.id, scope: 'full', via: 'cookie' });
    const row = await h.db.one<{ sign_count: number; last_used_at: Date | null }>(
      sql`select sign_count::int as sign_count, last_used_at from passkeys where credential_id = ${authenticator.id}`,
    );
    expect(row?.sign_count).toBe(1);
    expect(row?.last_used_at).not.toBeNull();
    const audit = await h.db.one<{ kind: string; session_id: string }>(
      sql`select kind, session_id from audit_events where kind = 'passkey_signed_in' and session_id = ${body.session.id as string}::uuid`,
    );
    expect(audit?.kind).toBe('passkey_signed_in');
    const delivery = await h.db.one<{ data: Json }>(
      sql`select data from webhook_deliveries where type = 'visitor.signed_in' and data->>'sessionId' = ${body.session.id as string}`,
    );
    expect(delivery?.data).toMatchObject({ method: 'passkey', visitorId: body.visitor.id });
    expect(JSON.stringify(delivery?.data)).not.toContain('vs_');
    await h.db.many(sql`delete from webhook_endpoints`);
  });

  it('refuses a wrong challenge (one never issued)', async () => {
    const { authenticator } = await register(await signedIn('wrong-challenge@example.com'));
    const credential = await authenticator.authenticate(
      { challenge: 'bm90LWlzc3VlZC1ieS11cy0wMTIzNDU2Nzg5YWJjZGVm', rpId: 'localhost' },
      LOCAL.origin,
    );
    expect(await problem(await signInWith(credential))).toEqual([400, 'passkey_challenge_invalid']);
  });

  it('refuses a replayed challenge: the same answer twice signs in once', async () => {
    const { authenticator } = await register(await signedIn('replay@example.com'));
    const credential = await authenticator.authenticate(await signInOptions(), LOCAL.origin);
    expect((await signInWith(credential)).status).toBe(200);
    expect(await problem(await signInWith(credential))).toEqual([400, 'passkey_challenge_invalid']);
  });

  it('a refused answer spends its challenge too', async () => {
    const { authenticator } = await register(await signedIn('spent@example.com'));
    const options = await signInOptions();
    const forged = await authenticator.authenticate(options, LOCAL.origin);
    const another = await authenticator.authenticate(await signInOptions(), LOCAL.origin);
    (forged.response as Json).signature = (another.response as Json).signature; // signed over another challenge
    expect(await problem(await signInWith(forged))).toEqual([400, 'passkey_rejected']);
    expect(await problem(await signInWith(await authenticator.authenticate(options, LOCAL.origin)))).toEqual([
      400,
      'passkey_challenge_invalid',
    ]);
  });

  it('refuses a challenge older than 5 minutes', async () => {
    const { authenticator } = await register(await signedIn('slow@example.com'));
    const options = await signInOptions();
    h.clock.advance(301);
    const credential = await authenticator.authenticate(options, LOCAL.origin);
    expect(await problem(await signInWith(credential))).toEqual([400, 'passkey_challenge_invalid']);
  });

  it('a passkey of one storefront’s host never signs in on another tenant’s host', async () => {
    const { authenticator } = await register(await signedIn('tenant-a@example.com'));
    // A page of the other storefront asks the same authenticator: its host's challenge, its origin.
    const there = await authenticator.authenticate(await signInOptions(OTHER), OTHER.origin, OTHER.host);
    expect(await problem(await signInWith(there, OTHER))).toEqual([400, 'passkey_rejected']);
    // Our host's challenge and signature, carried to the other storefront's host.
    const carried = await authenticator.authenticate(await signInOptions(), LOCAL.origin);
    expect(await problem(await signInWith(carried, OTHER))).toEqual([400, 'passkey_challenge_invalid']);
  });

  it('another host of the same storefront is another relying party: the passkey does not sign in there', async () => {
    const { authenticator } = await register(await signedIn('two-hosts@example.com', SHOP), SHOP);
    const there = await authenticator.authenticate(await signInOptions(WWW), WWW.origin, WWW.host);
    expect(await problem(await signInWith(there, WWW))).toEqual([400, 'passkey_rejected']);
    const carried = await authenticator.authenticate(await signInOptions(SHOP), SHOP.origin);
    expect(await problem(await signInWith(carried, WWW))).toEqual([400, 'passkey_challenge_invalid']);
    const home = await authenticator.authenticate(await signInOptions(SHOP), SHOP.origin);
    expect((await signInWith(home, SHOP)).status).toBe(200);
    expect(twoHosts.handle).toBe('twohosts');
  });

  it('a removed passkey never signs in', async () => {
    const jar = await signedIn('removed@example.com');
    const { authenticator, passkey } = await register(jar);
    const removed = await h.fetch(`/v2/visitor/passkeys/${passkey.id as string}`, {
      method: 'DELETE',
      jar,
      headers: { origin: LOCAL.origin },
    });
    expect(removed.status).toBe(204);
    const list = await h.fetch('/v2/visitor/passkeys', { jar });
    expect(((await list.json()) as { items: Json[] }).items).toEqual([]);
    const credential = await authenticator.authenticate(await signInOptions(), LOCAL.origin);
    expect(await problem(await signInWith(credential))).toEqual([400, 'passkey_rejected']);
    const again = await h.fetch(`/v2/visitor/passkeys/${passkey.id as string}`, {
      method: 'DELETE',
      jar,
      headers: { origin: LOCAL.origin },
    });
    expect(await problem(again)).toEqual([404, 'not_found']);
  });

  it('a shopper cannot remove another shopper’s passkey', async () => {
    const { passkey } = await register(await signedIn('owner@example.com'));
    const stranger = await signedIn('stranger@example.com');
    const response = await h.fetch(`/v2/visitor/passkeys/${passkey.id as string}`, {
      method: 'DELETE',
      jar: stranger,
      headers: { origin: LOCAL.origin },
    });
    expect(await problem(response)).toEqual([404, 'not_found']);
  });

  it('a cloned authenticator (its counter behind the stored one) is refused', async () => {
    const { authenticator } = await register(await signedIn('clone@example.com'));
    expect((await signInWith(await authenticator.authenticate(await signInOptions(), LOCAL.origin))).status).toBe(200);
    expect((await signInWith(await authenticator.authenticate(await signInOptions(), LOCAL.origin))).status).toBe(200);
    authenticator.counter = 0; // the copy answers with counter 1, the server has seen 2
    expect(await problem(await signInWith(await authenticator.authenticate(await signInOptions(), LOCAL.origin)))).toEqual([
      400,
      'passkey_rejected',
    ]);
  });

  it('passkeys work only on a storefront host, and sign-in POSTs come from its own origin', async () => {
    const service = await h.json(
      '/v2/visitor/auth/passkey/options',
      {},
      { host: 'service.test', headers: { origin: 'http://service.test' } },
    );
    expect(await problem(service)).toEqual([400, 'invalid_request']);
    const foreign = await h.json('/v2/visitor/auth/passkey/options', {}, { headers: { origin: 'https://evil.test' } });
    expect(await problem(foreign)).toEqual([403, 'csrf_rejected']);
  });

  it('passkey sign-ins are rate-limited per client IP like codes', async () => {
    const ip = '203.0.113.77';
    let last: Response | undefined;
    for (let i = 0; i < 61; i++) last = await post('/v2/visitor/auth/passkey/options', {}, LOCAL, undefined, ip);
    expect(await problem(last!)).toEqual([429, 'rate_limited']);
  });
});
