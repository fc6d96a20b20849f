// Signed webhooks, black-box: endpoints through the API, events from real sign-ins (mail through
// the SMTP capture), delivered by the worker to a real HTTP receiver on 127.0.0.1 that verifies
// every signature with the `standardwebhooks` library. Host names the tests make up resolve
// through the runtime's resolver hook, so the SSRF re-check at delivery can be shown to bite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { Webhook } from 'standardwebhooks';
import { createPat } from '../src/credentials/pats.ts';
import type { Db } from '../src/db/db.ts';
import { sql } from '../src/db/sql.ts';
import { claimDeliveries } from '../src/webhooks/queries.ts';
import { nodeHttpTransport } from '../src/webhooks/transport.ts';
import { checkWebhookUrl, isForbiddenAddress } from '../src/webhooks/url-policy.ts';
import { retryDelaySeconds, WebhookWorker, type WebhookWorkerOptions } from '../src/webhooks/worker.ts';
import { signInPressing, signInsInFlight } from '../src/magic-link/admission.ts';
import { countingDb, holdTenantRow, usingPostgres } from './support/database.ts';
import { CookieJar, Harness } from './support/harness.ts';
import { storefrontJwtKey } from './support/storefront-jwt.ts';

type Received = {
  path: string;
  /** The sender's port: one per connection. */
  peerPort: number;
  headers: Record<string, string>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
};

/** A storefront's webhook receiver: records every request; a path's behaviour is set per test. */
class Receiver {
  readonly received: Received[] = [];
  readonly behaviour = new Map<string, (request: Request) => Response | Promise<Response>>();
  readonly server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request, server) => {
      const path = new URL(request.url).pathname;
      const peerPort = server.requestIP(request)?.port ?? 0;
      const body = await request.text();
      this.received.push({ path, peerPort, headers: Object.fromEntries(request.headers), body, json: JSON.parse(body) });
      return (await this.behaviour.get(path)?.(request)) ?? new Response(null, { status: 204 });
    },
  });
  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.server.port}${path}`;
  }
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
}

/** What the made-up host names resolve to (the resolver hook); `localhost` is counted. */
const dns = new Map<string, string[]>();
const localhostLookups = { count: 0 };

let h: Harness;
let receiver: Receiver;
let writer: string;
let reader: string;
let otherWriter: string;
const SERVICE = { host: 'service.test' };

beforeAll(async () => {
  receiver = new Receiver();
  h = await Harness.start({
    runtime: {
      resolveHost: async (name) => {
        if (name === 'localhost') {
          localhostLookups.count++;
          return ['127.0.0.1'];
        }
        const addresses = dns.get(name);
        if (!addresses) throw new Error(`ENOTFOUND ${name}`);
        return addresses;
      },
      webhooks: { timeoutMs: 300, random: () => 0 },
    },
  });
  writer = (await createPat(h.db, { tenantId: h.gharart.id, name: 'hooks', scopes: ['webhooks:read', 'webhooks:write', 'access:write'] }))
    .token;
  reader = (await createPat(h.db, { tenantId: h.gharart.id, name: 'hooks-reader', scopes: ['webhooks:read'] })).token;
  otherWriter = (await createPat(h.db, { tenantId: h.other.id, name: 'other-hooks', scopes: ['webhooks:read', 'webhooks:write'] })).token;
});
afterAll(async () => {
  await h.close();
  receiver.server.stop(true);
});

beforeEach(async () => {
  // Each test starts with no endpoints and no deliveries of its own tenant.
  await h.db.many(sql`delete from webhook_endpoints`);
  receiver.received.length = 0;
  receiver.behaviour.clear();
});

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

/** A worker of the test's own on the harness's database, keys, clock and URL policy. */
function ownWorker(options: Partial<WebhookWorkerOptions>): WebhookWorker {
  return new WebhookWorker({
    db: h.db,
    keys: h.runtime.deps.keys,
    clock: h.clock,
    logger: h.runtime.deps.logger,
    urlPolicy: h.runtime.deps.webhookUrlPolicy,
    ...options,
  });
}

/** va_webhook_yield_seconds_total as the runtime's metrics expose it. */
async function yieldSeconds(): Promise<number> {
  const line = (await h.deps.metrics.exposition()).split('\n').find((l) => l.startsWith('va_webhook_yield_seconds_total '));
  expect(line).toBeDefined();
  return Number(line!.split(' ')[1]);
}

/** Grants `resource` to `email` through the API (each one a grant.changed event). */
async function putGrant(email: string, resource: string): Promise<void> {
  const response = await h.json(
    '/v2/access/grants',
    { email, resource, kind: 'content' },
    { ...SERVICE, method: 'PUT', headers: bearer(writer) },
  );
  expect(response.status).toBe(201);
}

async function register(body: Record<string, unknown>, token = writer) {
  const response = await h.json('/v2/webhooks/endpoints', body, { ...SERVICE, headers: bearer(token) });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { id: string; secret: string; code?: string },
  };
}

function deliver(): Promise<number> {
  return h.runtime.deps.webhooks.tick();
}

type DeliveryState = {
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  id: string;
};

async function deliveriesOf(endpointId: string): Promise<DeliveryState[]> {
  return h.db.many<DeliveryState>(sql`
    select id, status, attempts, last_status, last_error, next_attempt_at from webhook_deliveries where endpoint_id = ${endpointId}::uuid
    order by created_at`);
}

/** Polls every 10 ms until `done()` holds or `ms` have passed; the test's expectations say which. */
async function until(done: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !done() && waited < ms; waited += 10) await Bun.sleep(10);
}

/** Every received request verifies with the endpoint's secret, as a storefront would check it. */
function verified(received: Received, secret: string) {
  return new Webhook(secret).verify(received.body, {
    'webhook-id': received.headers['webhook-id']!,
    'webhook-timestamp': received.headers['webhook-timestamp']!,
    'webhook-signature': received.headers['webhook-signature']!,
  }) as Received['json'];
}

describe('webhook endpoints API', () => {
  it('registers an endpoint with a whsec_ secret shown once, lists it without secrets, and removes it', async () => {
    const created = await register({ url: receiver.url('/crud'), events: ['visitor.signed_in'], description: 'orders' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['createdAt', 'events', 'id', 'secret', 'url']);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body.events).toEqual(['visitor.signed_in']);

    const list = await h.fetch('/v2/webhooks/endpoints', { ...SERVICE, headers: bearer(reader) });
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).not.toContain('whsec_');
    expect(JSON.parse(text)).toEqual({
      items: [{ id: created.body.id, url: receiver.url('/crud'), events: ['visitor.signed_in'], createdAt: created.body.createdAt }],
    });
    // Sealed at rest: the secret is nowhere in the row.
    const row = await h.db.one<Record<string, unknown>>(sql`select * from webhook_endpoints where id = ${created.body.id}::uuid`);
    expect(JSON.stringify(row)).not.toContain(created.body.secret.slice(6));
    // Another storefront neither sees nor removes it.
    const otherList = await h.fetch('/v2/webhooks/endpoints', { ...SERVICE, headers: bearer(otherWriter) });
    expect(((await otherList.json()) as { items: unknown[] }).items).toEqual([]);
    const otherDelete = await h.fetch(`/v2/webhooks/endpoints/${created.body.id}`, {
      ...SERVICE,
      method: 'DELETE',
      headers: bearer(otherWriter),
    });
    expect(otherDelete.status).toBe(404);

    const removed = await h.fetch(`/v2/webhooks/endpoints/${created.body.id}`, { ...SERVICE, method: 'DELETE', headers: bearer(writer) });
    expect(removed.status).toBe(204);
    const after = await h.fetch('/v2/webhooks/endpoints', { ...SERVICE, headers: bearer(reader) });
    expect(((await after.json()) as { items: unknown[] }).items).toEqual([]);
    const again = await h.fetch(`/v2/webhooks/endpoints/${created.body.id}`, { ...SERVICE, method: 'DELETE', headers: bearer(writer) });
    expect(again.status).toBe(404);
    const malformed = await h.fetch('/v2/webhooks/endpoints/not-a-uuid', { ...SERVICE, method: 'DELETE', headers: bearer(writer) });
    expect(malformed.status).toBe(404);
  });

  it('needs webhooks:write to register and webhooks:read to list (PAT or storefront JWT)', async () => {
    expect((await register({ url: receiver.url('/scopes'), events: ['*'] }, reader)).body.code).toBe('insufficient_scope');
    const anonymous = await h.json('/v2/webhooks/endpoints', { url: receiver.url('/scopes'), events: ['*'] }, SERVICE);
    expect(anonymous.status).toBe(401);
    const noRead = (await createPat(h.db, { tenantId: h.gharart.id, name: 'grants-only', scopes: ['access:read'] })).token;
    const listed = await h.fetch('/v2/webhooks/endpoints', { ...SERVICE, headers: bearer(noRead) });
    expect(listed.status).toBe(403);

    const jwt = await (await storefrontJwtKey(h, h.gharart.id)).jwt('webhooks:write webhooks:read');
    expect((await register({ url: receiver.url('/jwt'), events: ['*'] }, jwt)).status).toBe(201);
    const viaJwt = await h.fetch('/v2/webhooks/endpoints', { ...SERVICE, headers: bearer(jwt) });
    expect(((await viaJwt.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('takes a list of known event types or ["*"]', async () => {
    for (const events of [[], ['nope'], ['*', 'visitor.signed_in'], 'visitor.signed_in']) {
      const { status, body } = await register({ url: receiver.url('/events'), events });
      expect([events, status, body.code]).toEqual([events, 400, 'invalid_request']);
    }
    expect((await register({ url: receiver.url('/events'), events: ['*'] })).status).toBe(201);
  });
});

describe('webhook events from a real sign-in', () => {
  it('reports magic_link.sent and visitor.signed_in (method link), signed, with ids and no token, code, cookie or email', async () => {
    const { body: endpoint } = await register({ url: receiver.url('/all'), events: ['*'] });
    const email = 'hooked-link@example.com';
    const mail = await h.requestLink(email);
    const jar = new CookieJar();
    const path = Harness.pathOf(mail.link!);
    await h.fetch(path, { jar });
    const confirmed = await h.form(path, {}, { jar });
    expect(confirmed.status).toBe(303);
    await deliver();
    const types = receiver.at('/all').map((r) => r.json.type);
    expect(types.sort()).toEqual(['magic_link.sent', 'visitor.signed_in']);
    for (const received of receiver.at('/all')) {
      const event = verified(received, endpoint.secret);
      expect(event.type).toBe(received.json.type);
      expect(received.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
      // Nothing that signs someone in, and no email (the endpoint did not ask for it).
      expect(received.body).not.toContain(mail.token!);
      expect(received.body).not.toContain(mail.code!);
      for (const cookie of jar.values.values()) expect(received.body).not.toContain(cookie);
      expect(received.body).not.toContain(email);
      expect(JSON.stringify(event.data)).not.toMatch(/vml_|vs_/);
    }
    const signedIn = receiver.at('/all').find((r) => r.json.type === 'visitor.signed_in')!.json;
    const session = await h.db.one<{ id: string; visitor_id: string }>(sql`
      select s.id, s.visitor_id from sessions s join visitors v on v.id = s.visitor_id where v.email = ${email}`);
    expect(signedIn.data).toEqual({
      visitorId: session!.visitor_id,
      sessionId: session!.id,
      method: 'link',
      requestId: expect.any(String),
    });
    const sent = receiver.at('/all').find((r) => r.json.type === 'magic_link.sent')!.json;
    expect(sent.data).toMatchObject({ visitorId: session!.visitor_id, linkId: expect.any(String), requestId: expect.any(String) });
    // Delivered once: another pass sends nothing more.
    expect(await deliver()).toBe(0);
  });

  it('reports a sign-in by code (method code), with the email only where the endpoint set includeEmail', async () => {
    const { body: plain } = await register({ url: receiver.url('/plain'), events: ['visitor.signed_in'] });
    const { body: withEmail } = await register({ url: receiver.url('/with-email'), events: ['visitor.signed_in'], includeEmail: true });
    const email = 'hooked-code@example.com';
    const mail = await h.requestLink(email);
    const verify = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email, code: mail.code, delivery: 'bearer' });
    expect(verify.status).toBe(200);
    const { sessionToken } = (await verify.json()) as { sessionToken: string };
    await deliver();
    const [toPlain] = receiver.at('/plain');
    const [toEmail] = receiver.at('/with-email');
    expect(verified(toPlain!, plain.secret).data).toMatchObject({ method: 'code' });
    expect(toPlain!.json.data.email).toBeUndefined();
    expect(verified(toEmail!, withEmail.secret).data).toMatchObject({ method: 'code', email });
    for (const received of [toPlain!, toEmail!]) {
      expect(received.body).not.toContain(sessionToken);
      expect(received.body).not.toContain(mail.code!);
    }
  });

  it('reports a replayed link, a revoked session and a changed grant', async () => {
    await register({ url: receiver.url('/security'), events: ['magic_link.replayed', 'session.revoked', 'grant.changed'] });
    const email = 'hooked-replay@example.com';
    const mail = await h.requestLink(email);
    const path = Harness.pathOf(mail.link!);
    const jar = new CookieJar();
    await h.fetch(path, { jar });
    await h.form(path, {}, { jar });
    // Another browser presents the used link.
    const stranger = new CookieJar();
    await h.fetch(path, { jar: stranger });
    // The shopper logs out.
    const logout = await h.form('/v2/visitor/auth/logout', {}, { jar });
    expect(logout.status).toBe(303);
    // The storefront grants something.
    const grant = await h.fetch('/v2/access/grants', {
      ...SERVICE,
      method: 'PUT',
      headers: { ...bearer(writer), 'content-type': 'application/json' },
      body: JSON.stringify({ email, resource: '/content/hooks/*', kind: 'content' }),
    });
    expect(grant.status).toBe(201);
    await deliver();
    const byType = Object.fromEntries(receiver.at('/security').map((r) => [r.json.type, r.json.data]));
    expect(Object.keys(byType).sort()).toEqual(['grant.changed', 'magic_link.replayed', 'session.revoked']);
    expect(byType['magic_link.replayed']).toMatchObject({ linkId: expect.any(String), visitorId: expect.any(String) });
    expect(byType['session.revoked']).toMatchObject({ sessionId: expect.any(String), requestId: expect.any(String) });
    expect(byType['grant.changed']).toEqual({
      change: 'created',
      resource: '/content/hooks/*',
      kind: 'content',
      expiresAt: null,
      requestId: grant.headers.get('x-request-id'),
    });
    expect(
      receiver
        .at('/security')
        .map((r) => r.body)
        .join('\n'),
    ).not.toContain(email);
  });

  it('reports a link opened but not confirmed within a minute (the mail-scanner signal), once', async () => {
    await register({ url: receiver.url('/scanner'), events: ['magic_link.opened_without_confirm'] });
    const scanned = await h.requestLink('hooked-scanned@example.com');
    await h.fetch(Harness.pathOf(scanned.link!)); // a scanner's GET
    await h.fetch(Harness.pathOf(scanned.link!)); // and again
    const confirmed = await h.signIn('hooked-confirmed@example.com'); // opened and confirmed at once
    expect(confirmed.response.status).toBe(303);
    await deliver();
    expect(receiver.at('/scanner')).toHaveLength(0); // not a minute yet
    h.clock.advance(61);
    await deliver();
    await deliver();
    const events = receiver.at('/scanner');
    expect(events).toHaveLength(1);
    const link = await h.db.one<{ id: string }>(sql`
      select l.id from magic_links l join visitors v on v.id = l.visitor_id where v.email = 'hooked-scanned@example.com'`);
    expect(events[0]!.json.data).toMatchObject({ linkId: link!.id, openedAt: expect.any(String) });
  });
});

describe('webhook delivery', () => {
  async function grantEvent(endpointUrl: string) {
    const { body } = await register({ url: endpointUrl, events: ['grant.changed'] });
    const response = await h.fetch('/v2/access/grants', {
      ...SERVICE,
      method: 'PUT',
      headers: { ...bearer(writer), 'content-type': 'application/json' },
      body: JSON.stringify({ email: `g-${crypto.randomUUID()}@example.com`, resource: '/content/x/*', kind: 'content' }),
    });
    expect(response.status).toBe(201);
    return body;
  }

  it('retries after a 500 within 10 s, with the same webhook-id, and stops once a 2xx comes', async () => {
    let failures = 1;
    receiver.behaviour.set('/flaky', () => (failures-- > 0 ? new Response('no', { status: 500 }) : new Response('ok', { status: 200 })));
    const endpoint = await grantEvent(receiver.url('/flaky'));
    await deliver();
    let [row] = await deliveriesOf(endpoint.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: 500 });
    const wait = (row!.next_attempt_at.getTime() - h.clock.now().getTime()) / 1000;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(10);
    expect(retryDelaySeconds(1, () => 0.999)).toBeLessThanOrEqual(10); // whatever the jitter
    await deliver();
    expect(receiver.at('/flaky')).toHaveLength(1); // not due yet
    h.clock.advance(10);
    await deliver();
    [row] = await deliveriesOf(endpoint.id);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, last_status: 200 });
    const ids = receiver.at('/flaky').map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([row!.id, row!.id]);
  });

  it('keeps at most perEndpoint deliveries in flight to an endpoint, and claims them in groups rather than one statement each', async () => {
    const concurrency = { now: 0, max: 0 };
    receiver.behaviour.set('/burst', async () => {
      concurrency.max = Math.max(concurrency.max, ++concurrency.now);
      await Bun.sleep(5);
      concurrency.now--;
      return new Response(null, { status: 204 });
    });
    const { body: endpoint } = await register({ url: receiver.url('/burst'), events: ['grant.changed'] });
    for (let i = 0; i < 48; i++) await putGrant(`burst-${i}@example.com`, '/content/x/*');
    const counter = { queries: 0 };
    const worker = ownWorker({ db: countingDb(h.db, counter), perEndpoint: 8, pollMs: 60_000, sweepMs: 3_600_000 });
    worker.start();
    await until(() => receiver.at('/burst').length >= 48, 10_000);
    await worker.stop();
    expect(receiver.at('/burst')).toHaveLength(48);
    expect(concurrency.max).toBeLessThanOrEqual(8);
    expect((await deliveriesOf(endpoint.id)).every((row) => row.status === 'delivered')).toBe(true);
    // A claim for every freed slot and a statement for every success took 69 statements here;
    // claiming once half the endpoint's slots are free and recording successes together, ~17;
    // recording them with the next claim, ~9–17.
    expect(counter.queries).toBeLessThan(32);
  });

  it('claims rows ahead of its free slots, which wait for one; stopping sends those too', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    receiver.behaviour.set('/ahead', () => held.then(() => new Response(null, { status: 204 })));
    const { body: endpoint } = await register({ url: receiver.url('/ahead'), events: ['grant.changed'] });
    for (let i = 0; i < 20; i++) await putGrant(`ahead-${i}@example.com`, '/content/a/*');
    const worker = ownWorker({ perEndpoint: 4, pollMs: 60_000, sweepMs: 3_600_000 });
    worker.start();
    await until(() => receiver.at('/ahead').length >= 4, 10_000);
    const claimed = async () => (await deliveriesOf(endpoint.id)).filter((row) => row.status === 'sending').length;
    expect(receiver.at('/ahead')).toHaveLength(4); // the endpoint's slots
    expect(await claimed()).toBe(8); // and as many claimed, waiting for them
    const stopped = worker.stop();
    release();
    await stopped;
    expect(receiver.at('/ahead')).toHaveLength(8);
    const rows = await deliveriesOf(endpoint.id);
    expect(rows.filter((row) => row.status === 'delivered')).toHaveLength(8);
    expect(rows.filter((row) => row.status === 'pending')).toHaveLength(12); // never claimed: the next worker's
  });

  it("claims with a HOT update (no index entry written); a dead worker's claim is sent again after its lease, not before", async () => {
    await deliver(); // what earlier tests left due
    const endpoint = await grantEvent(receiver.url('/orphan'));
    // A worker claims the row and dies before the POST.
    // The backend's counts not yet reported (this transaction's and maybe earlier ones'): the claim's is the difference.
    const counts = (tx: Db) =>
      tx.one<{ updated: number; hot: number }>(sql`
        select pg_stat_get_xact_tuples_updated('webhook_deliveries'::regclass)::int as updated,
               pg_stat_get_xact_tuples_hot_updated('webhook_deliveries'::regclass)::int as hot`);
    const claim = await h.db.transaction(async (tx) => {
      const before = (await counts(tx))!;
      const rows = await claimDeliveries(tx, h.clock.now(), { limit: 10, perEndpoint: 10, leaseSeconds: 60, busy: new Map() });
      const after = (await counts(tx))!;
      return { rows, updated: after.updated - before.updated, hot: after.hot - before.hot };
    });
    expect(claim.rows.map((row) => row.endpoint_id)).toEqual([endpoint.id]);
    expect(claim).toMatchObject({ updated: 1, hot: 1 });
    expect(await deliver()).toBe(0);
    h.clock.advance(59);
    expect(await deliver()).toBe(0);
    expect(receiver.at('/orphan')).toHaveLength(0);
    h.clock.advance(2);
    expect(await deliver()).toBe(1);
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: 'delivered', attempts: 2, last_status: 204 });
    expect(receiver.at('/orphan')).toHaveLength(1);
  });

  it('records successes with the next claim, in one statement', async () => {
    await deliver(); // what earlier tests left due
    const endpoint = await grantEvent(receiver.url('/together'));
    const options = { limit: 10, perEndpoint: 10, leaseSeconds: 60, busy: new Map() };
    const [sent] = await claimDeliveries(h.db, h.clock.now(), options);
    await putGrant(`together-${crypto.randomUUID()}@example.com`, '/content/x/*');
    const next = await claimDeliveries(h.db, h.clock.now(), { ...options, delivered: [{ id: sent!.id, status: 204 }] });
    expect(next.map((row) => row.endpoint_id)).toEqual([endpoint.id]);
    const rows = await deliveriesOf(endpoint.id);
    expect(rows.find((row) => row.id === sent!.id)).toMatchObject({ status: 'delivered', last_status: 204 });
    expect(rows.find((row) => row.id === next[0]!.id)).toMatchObject({ status: 'sending', attempts: 1 });
    h.clock.advance(61); // past the lease of the second: the next pass delivers it
    expect(await deliver()).toBe(1);
  });

  it('gives up an attempt after the timeout and does not follow redirects', async () => {
    receiver.behaviour.set('/slow', () => Bun.sleep(2000).then(() => new Response(null, { status: 204 })));
    receiver.behaviour.set('/moved', () => new Response(null, { status: 302, headers: { location: '/elsewhere' } }));
    const slow = await grantEvent(receiver.url('/slow'));
    const moved = await grantEvent(receiver.url('/moved'));
    const started = performance.now();
    await deliver();
    expect(performance.now() - started).toBeLessThan(1500); // the 300 ms test timeout, not the receiver's 2 s
    expect((await deliveriesOf(slow.id))[0]).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect((await deliveriesOf(slow.id))[0]!.last_error).toContain('timeout');
    expect((await deliveriesOf(moved.id))[0]).toMatchObject({ status: 'pending', attempts: 1, last_status: 302 });
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('backs off exponentially with jitter, capped at a day', () => {
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, () => 0))).toEqual([5, 10, 20, 40]);
    expect(retryDelaySeconds(30, () => 0)).toBe(86_400);
    expect(retryDelaySeconds(2, () => 0.5)).toBe(13);
  });

  it('signs with both secrets during a rotation overlap, and with the new one only after 24 h', async () => {
    const endpoint = await grantEvent(receiver.url('/rotating'));
    const rotate = await h.fetch(`/v2/webhooks/endpoints/${endpoint.id}/rotate-secret`, {
      ...SERVICE,
      method: 'POST',
      headers: bearer(writer),
    });
    expect(rotate.status).toBe(200);
    const rotated = (await rotate.json()) as { id: string; secret: string; previousSecretExpiresAt: string };
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    await deliver();
    const [during] = receiver.at('/rotating');
    expect(during!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verified(during!, endpoint.secret).type).toBe('grant.changed');
    expect(verified(during!, rotated.secret).type).toBe('grant.changed');

    h.clock.advance(24 * 3600 + 1);
    await h.fetch('/v2/access/grants', {
      ...SERVICE,
      method: 'PUT',
      headers: { ...bearer(writer), 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'after-rotation@example.com', resource: '/content/y/*', kind: 'content' }),
    });
    await deliver();
    const after = receiver.at('/rotating')[1]!;
    const signatures = after.headers['webhook-signature']!.split(' ');
    expect(signatures).toHaveLength(1);
    const timestamp = new Date(Number(after.headers['webhook-timestamp']) * 1000);
    expect(signatures[0]).toBe(new Webhook(rotated.secret).sign(after.headers['webhook-id']!, timestamp, after.body));
  });

  it('marks a delivery dead after a day of failures; it is listed as dead and re-sent with the same webhook-id', async () => {
    let up = false;
    receiver.behaviour.set('/down', () => new Response(null, { status: up ? 204 : 503 }));
    const endpoint = await grantEvent(receiver.url('/down'));
    await deliver();
    h.clock.advance(25 * 3600);
    await deliver();
    const [dead] = await deliveriesOf(endpoint.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 2, last_status: 503 });
    h.clock.advance(3600);
    expect(await deliver()).toBe(0); // dead stays dead

    const { listDeliveries, resendDelivery } = await import('../src/webhooks/endpoints.ts');
    const listed = await listDeliveries(h.db, { tenantId: h.gharart.id, deadOnly: true, limit: 10 });
    expect(listed.map((d) => d.id)).toContain(dead!.id);
    up = true;
    expect(await resendDelivery(h.db, dead!.id, h.clock.now())).toBe(true);
    await deliver();
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: 'delivered', attempts: 1, last_status: 204 });
    expect(new Set(receiver.at('/down').map((r) => r.headers['webhook-id']))).toEqual(new Set([dead!.id]));
  });

  it('sends the deliveries to an endpoint over a connection kept alive, not a new one each', async () => {
    const { body: endpoint } = await register({ url: receiver.url('/kept-alive'), events: ['grant.changed'] });
    for (let i = 0; i < 3; i++) {
      await putGrant(`kept-${i}@example.com`, '/content/k/*');
      expect(await deliver()).toBe(1);
    }
    expect((await deliveriesOf(endpoint.id)).map((row) => row.status)).toEqual(['delivered', 'delivered', 'delivered']);
    const received = receiver.at('/kept-alive');
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.peerPort)).size).toBe(1);
  });

  it('over node:http (runtimes other than Bun) too: the checked address, the URL host in the Host header, no redirect followed', async () => {
    receiver.behaviour.set('/node-moved', () => new Response(null, { status: 302, headers: { location: '/elsewhere' } }));
    const byName = await grantEvent(receiver.url('/node-by-name', 'localhost'));
    const moved = await grantEvent(receiver.url('/node-moved'));
    const before = localhostLookups.count;
    const worker = ownWorker({ transport: nodeHttpTransport() });
    expect(await worker.tick()).toBe(3); // the second grant goes to both endpoints
    const received = receiver.at('/node-by-name');
    expect(received).toHaveLength(2);
    for (const each of received) {
      expect(each.headers.host).toBe(`localhost:${receiver.server.port}`);
      expect(each.headers['webhook-signature']).toMatch(/^v1,/);
    }
    expect(localhostLookups.count).toBe(before + 2); // the checks at delivery; the client asked no resolver of its own
    expect((await deliveriesOf(byName.id)).map((row) => row.status)).toEqual(['delivered', 'delivered']);
    expect((await deliveriesOf(moved.id))[0]).toMatchObject({ status: 'pending', attempts: 1, last_status: 302 });
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('yields to pressing request handling: no claim within the floor while pressed, the backlog as soon as it ends; the wait is a metric', async () => {
    await deliver(); // what earlier tests left due
    const { body: endpoint } = await register({ url: receiver.url('/yield'), events: ['grant.changed'] });
    for (let i = 0; i < 6; i++) await putGrant(`yield-${i}@example.com`, '/content/y/*');
    const yieldedBefore = await yieldSeconds();
    let pressed = true;
    const worker = ownWorker({
      pressing: () => pressed,
      yieldFloorMs: 60_000,
      pollMs: 20,
      sweepMs: 3_600_000,
      counts: h.deps.metrics.webhooks,
    });
    const started = performance.now();
    worker.start();
    await Bun.sleep(400); // unyielding, the first claim comes at once and the six arrive within milliseconds
    expect(receiver.at('/yield')).toHaveLength(0);
    pressed = false;
    await until(() => receiver.at('/yield').length >= 6, 5_000);
    const elapsed = (performance.now() - started) / 1000;
    await worker.stop();
    expect(receiver.at('/yield')).toHaveLength(6);
    expect((await deliveriesOf(endpoint.id)).every((row) => row.status === 'delivered')).toBe(true);
    const yielded = (await yieldSeconds()) - yieldedBefore;
    expect(yielded).toBeGreaterThanOrEqual(0.39); // the 400 ms held back (timers may fire a millisecond early)
    expect(yielded).toBeLessThanOrEqual(elapsed);
  });

  it('keeps claiming, pressed or not, once a claim finds a delivery due for longer than maxYieldMs', async () => {
    await deliver();
    await register({ url: receiver.url('/overdue'), events: ['grant.changed'] });
    for (let i = 0; i < 12; i++) await putGrant(`overdue-${i}@example.com`, '/content/o/*');
    h.clock.advance(5); // due 5 s ago
    const worker = ownWorker({
      pressing: () => true,
      yieldFloorMs: 1000,
      maxYieldMs: 1000,
      perEndpoint: 1, // two rows a claim: one claim per floor would take five more seconds
      pollMs: 20,
      sweepMs: 3_600_000,
    });
    worker.start();
    await until(() => receiver.at('/overdue').length > 0, 5_000);
    const first = performance.now();
    await until(() => receiver.at('/overdue').length >= 12, 2_500);
    const rest = performance.now() - first;
    await worker.stop();
    expect(receiver.at('/overdue')).toHaveLength(12);
    expect(rest).toBeLessThan(2_500);
  });

  it('connects to the address it checked, keeping the URL host in the Host header', async () => {
    const before = localhostLookups.count;
    await grantEvent(receiver.url('/by-name', 'localhost'));
    await deliver();
    const [received] = receiver.at('/by-name');
    expect(received!.headers.host).toBe(`localhost:${receiver.server.port}`);
    expect(localhostLookups.count).toBe(before + 2); // registration and delivery, each through the checked lookup
  });
});

describe('webhook SSRF defence', () => {
  it('refuses private, loopback, link-local, CGNAT and metadata addresses at registration (400 invalid_webhook_url)', async () => {
    dns.set('internal.hooks.test', ['10.1.2.3']);
    dns.set('mixed.hooks.test', ['93.184.216.34', '192.168.0.10']);
    dns.set('mapped.hooks.test', ['::ffff:169.254.169.254']);
    const refused = [
      'http://10.0.0.1/hook',
      'http://172.16.5.4/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/hook',
      'http://127.0.0.2/hook', // loopback, but not the development names
      'http://0.0.0.0/hook',
      'http://[::1]/hook',
      'http://[fd00:ec2::254]/hook',
      'http://[fe80::1]/hook',
      'http://[fc00::5]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[64:ff9b::a9fe:a9fe]/hook',
      'http://internal.hooks.test/hook',
      'http://mixed.hooks.test/hook',
      'http://mapped.hooks.test/hook',
      'http://nowhere.hooks.test/hook',
      'ftp://93.184.216.34/hook',
      'http://user:pass@93.184.216.34/hook',
      'not a url',
    ];
    for (const url of refused) {
      const { status, body } = await register({ url, events: ['*'] });
      expect([url, status, body.code]).toEqual([url, 400, 'invalid_webhook_url']);
    }
    const rows = await h.db.many(sql`select id from webhook_endpoints`);
    expect(rows).toHaveLength(0);
  });

  it('in production takes https only, to public addresses only (localhost included)', async () => {
    const resolve = async (name: string) => (name === 'shop.example' ? ['93.184.216.34'] : ['127.0.0.1']);
    const production = { production: true, resolve };
    for (const url of ['http://shop.example/hook', 'https://localhost/hook', 'https://127.0.0.1/hook', 'https://[::1]/hook']) {
      expect([
        url,
        await checkWebhookUrl(url, production).then(
          () => 'accepted',
          () => 'refused',
        ),
      ]).toEqual([url, 'refused']);
    }
    expect((await checkWebhookUrl('https://shop.example/hook', production)).address).toBe('93.184.216.34');
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '::ffff:a9fe:a9fe', '100.127.255.255', '2002:0a00:0001::1', 'garbage'])
      expect([address, isForbiddenAddress(address)]).toEqual([address, true]);
    for (const address of ['93.184.216.34', '2606:4700::1111', '100.128.0.1'])
      expect([address, isForbiddenAddress(address)]).toEqual([address, false]);
  });

  it('checks the address again at delivery: a host that now resolves to a private address gets nothing', async () => {
    dns.set('rebind.hooks.test', ['93.184.216.34']);
    const { status, body } = await register({ url: `http://rebind.hooks.test:${receiver.server.port}/rebind`, events: ['grant.changed'] });
    expect(status).toBe(201);
    dns.set('rebind.hooks.test', ['10.0.0.7']);
    await h.fetch('/v2/access/grants', {
      ...SERVICE,
      method: 'PUT',
      headers: { ...bearer(writer), 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'rebind@example.com', resource: '/content/r/*', kind: 'content' }),
    });
    await deliver();
    const [row] = await deliveriesOf(body.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect(row!.last_error).toContain('refused');
    expect(receiver.received).toHaveLength(0);
  });
});

describe('webhook delivery under sign-in pressure', () => {
  // Last in the file: it starts and stops the runtime's own worker (stopping closes its connections).
  it.skipIf(!usingPostgres)(
    "the runtime's worker yields while sign-ins queue for the database, and delivers once they are served",
    async () => {
      await deliver();
      // The event is the other storefront's: its rows are not the ones held below.
      const { token } = await createPat(h.db, {
        tenantId: h.other.id,
        name: 'other-pressed',
        scopes: ['webhooks:write', 'access:write'],
      });
      const { body: endpoint } = await register({ url: receiver.url('/pressed'), events: ['grant.changed'] }, token);
      expect(endpoint.id).toBeString();
      const granted = await h.json(
        '/v2/access/grants',
        { email: 'pressed@example.com', resource: '/content/p/*', kind: 'content' },
        { ...SERVICE, method: 'PUT', headers: bearer(token) },
      );
      expect(granted.status).toBe(201);
      // Another transaction holds gharart's row: its sign-in writes wait, each request at work.
      const release = await holdTenantRow(h.db, h.gharart.id);
      const queued = (h.deps.db.poolSize ?? 10) + 2;
      const held = Array.from({ length: queued }, (_, i) =>
        h.json('/v2/visitor/auth/magic-link', { email: `pressed-${i}@example.com` }, { ip: `203.0.113.${i + 1}` }),
      );
      await until(() => signInsInFlight(h.deps) >= queued, 5_000);
      expect(signInPressing(h.deps)).toBe(true);
      h.deps.webhooks.start();
      await Bun.sleep(400); // unyielding, the worker claims at once and the event arrives within milliseconds
      expect(receiver.at('/pressed')).toHaveLength(0);
      await release();
      expect((await Promise.all(held)).map((r) => r.status)).toEqual(held.map(() => 202));
      expect(signInPressing(h.deps)).toBe(false);
      await until(() => receiver.at('/pressed').length > 0, 5_000);
      await h.deps.webhooks.stop();
      expect(receiver.at('/pressed')).toHaveLength(1);
    },
  );
});
