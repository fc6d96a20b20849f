// Tenant isolation, black-box: a support operator of one storefront never reads another's data in
// the console (also when both storefronts have rows under the same request id), and a storefront's
// server credential (PAT or JWT) or a shopper's session works only on its own storefront's host.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { ConsoleClient } from './console-client.ts';
import { Harness, SERVICE_HOST } from './support/harness.ts';
import { storefrontJwtKey } from './support/storefront-jwt.ts';

let h: Harness;
let admin: ConsoleClient;
let supportA: ConsoleClient; // gharart only
let supportB: ConsoleClient; // other only
let servicePat: string;

let ipCounter = 0;
const freshIp = () => `192.0.2.${++ipCounter}`;

beforeAll(async () => {
  h = await Harness.start();
  const now = h.clock.now();
  await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now });
  await upsertOperator(h.db, { email: 'a@ops.test', role: 'support', tenantIds: [h.gharart.id], now });
  await upsertOperator(h.db, { email: 'b@ops.test', role: 'support', tenantIds: [h.other.id], now });
  admin = await new ConsoleClient(h, 'admin@ops.test', freshIp()).signIn();
  supportA = await new ConsoleClient(h, 'a@ops.test', freshIp()).signIn();
  supportB = await new ConsoleClient(h, 'b@ops.test', freshIp()).signIn();
  servicePat = (await createPat(h.db, { tenantId: null, name: 'ops', scopes: ['operator:read', 'operator:escalate'] })).token;
});
afterAll(() => h.close());

describe('console reads: only the operator’s storefronts', () => {
  // One request id with rows at both storefronts: a trusted proxy (the CDN) passed the same
  // X-Request-Id to both, and the other storefront's shopper cites it in a report.
  const SHARED = 'req_shared_0123456789abcdef';
  const A_SHOPPER = 'a-shopper@example.com';
  const B_SHOPPER = 'b-shopper@example.com';
  let bReport: string;
  let bVisitor: string;

  beforeAll(async () => {
    const shared = { 'x-request-id': SHARED };
    expect((await h.json('/v2/visitor/auth/magic-link', { email: A_SHOPPER }, { headers: shared })).status).toBe(202);
    const bOrigin = { origin: 'https://other.test' };
    expect(
      (await h.json('/v2/visitor/auth/magic-link', { email: B_SHOPPER }, { host: 'other.test', headers: { ...shared, ...bOrigin } }))
        .status,
    ).toBe(202);
    await h.deliver();
    // B's shopper signs in, then the used link is replayed under the same id: a security event at B.
    const token = h.mail.last(B_SHOPPER).token!;
    const verified = await h.json('/v2/visitor/auth/verify', { token, delivery: 'bearer' }, { host: 'other.test', headers: bOrigin });
    expect(verified.status).toBe(200);
    bVisitor = ((await verified.json()) as { visitor: { id: string } }).visitor.id;
    const replay = await h.form(`/_edge/visitor/access/t/${token}`, {}, { host: 'other.test', headers: { ...shared, ...bOrigin } });
    expect(replay.status).toBe(409);
    // B's shopper cites the id in a report; the internal team escalates that report.
    const filed = await h.json(
      '/v2/support/report',
      { handle: 'other', summary: 'B-private report summary', details: 'B-private details', requestId: SHARED },
      { host: 'other.test', ip: freshIp() },
    );
    expect(filed.status).toBe(201);
    bReport = ((await filed.json()) as { reportId: string }).reportId;
    const escalated = await h.json(
      '/v2/operator/escalations',
      { reportId: bReport, summary: 'B-private escalation', severity: 'high' },
      { host: SERVICE_HOST, headers: { authorization: `Bearer ${servicePat}` } },
    );
    expect(escalated.status).toBe(201);
    await h.deps.requestLog.flush();
  });

  async function countOf(table: 'audit_events' | 'mail_outbox' | 'security_events', tenantId: string): Promise<number> {
    const query =
      table === 'audit_events'
        ? sql`select count(*)::int as count from audit_events where request_id = ${SHARED} and tenant_id = ${tenantId}::uuid`
        : table === 'mail_outbox'
          ? sql`select count(*)::int as count from mail_outbox where request_id = ${SHARED} and tenant_id = ${tenantId}::uuid`
          : sql`select count(*)::int as count from security_events where request_id = ${SHARED} and tenant_id = ${tenantId}::uuid`;
    return (await h.db.one<{ count: number }>(query))!.count;
  }

  it('the request page shows a support operator only their storefront’s rows of a request id another storefront also has', async () => {
    // Both storefronts really have rows under this id (the admin sees them all).
    expect(await countOf('audit_events', h.other.id)).toBeGreaterThan(0);
    expect(await countOf('security_events', h.other.id)).toBe(1);
    const all = await (await admin.get(`/console/requests?id=${SHARED}`)).text();
    expect(all).toContain('B-private report summary');
    expect(all).toContain('B-private escalation');

    const answer = await supportA.get(`/console/requests?id=${SHARED}`);
    expect(answer.status).toBe(200);
    const page = await answer.text();
    expect(page).toContain(A_SHOPPER);
    for (const secret of ['B-private', B_SHOPPER, bVisitor, bReport, 'used_link_replayed', h.other.id, 'link_replayed'])
      expect([secret, page.includes(secret)]).toEqual([secret, false]);
    expect(page).toContain(`Audit trail <span class="count">${await countOf('audit_events', h.gharart.id)}</span>`);
    expect(page).toContain(`Mail <span class="count">${await countOf('mail_outbox', h.gharart.id)}</span>`);
    expect(page).toContain('Security events <span class="count">0</span>');
    expect(page).toContain('Reports and escalations <span class="count">0</span>');
  });

  it('the other storefront’s operator sees their rows of that id, and none of the first storefront’s', async () => {
    const answer = await supportB.get(`/console/requests?id=${SHARED}`);
    expect(answer.status).toBe(200);
    const page = await answer.text();
    expect(page).toContain('B-private report summary');
    expect(page).toContain('B-private escalation');
    expect(page).toContain('used_link_replayed');
    expect(page).not.toContain(A_SHOPPER);
    expect(page).not.toContain(h.gharart.id);
    expect(page).toContain(`Audit trail <span class="count">${await countOf('audit_events', h.other.id)}</span>`);
    expect(page).toContain(`Mail <span class="count">${await countOf('mail_outbox', h.other.id)}</span>`);
  });

  it('another storefront’s report and escalation citing the operator’s own request are not on its page', async () => {
    const asked = await h.json('/v2/visitor/auth/magic-link', { email: A_SHOPPER }, { ip: freshIp() });
    const id = asked.headers.get('x-request-id')!;
    await h.deliver();
    const filed = await h.json(
      '/v2/support/report',
      { handle: 'other', summary: 'B-cites-A summary', details: 'B-cites-A details', requestId: id },
      { host: 'other.test', ip: freshIp() },
    );
    const reportId = ((await filed.json()) as { reportId: string }).reportId;
    const escalated = await h.json(
      '/v2/operator/escalations',
      { reportId, requestId: id, summary: 'B-cites-A escalation', severity: 'low' },
      { host: SERVICE_HOST, headers: { authorization: `Bearer ${servicePat}` } },
    );
    expect(escalated.status).toBe(201);
    await h.deps.requestLog.flush();
    expect(await (await admin.get(`/console/requests?id=${id}`)).text()).toContain('B-cites-A escalation');
    const page = await (await supportA.get(`/console/requests?id=${id}`)).text();
    expect(page).toContain('sign_in_requested');
    expect(page).not.toContain('B-cites-A');
    expect(page).not.toContain(reportId);
    expect(page).toContain('Reports and escalations <span class="count">0</span>');
  });

  it('a request of which nothing is the operator’s is still 403 (it exists), an unknown id 404', async () => {
    const bOnly = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: B_SHOPPER },
      { host: 'other.test', headers: { origin: 'https://other.test' } },
    );
    const id = bOnly.headers.get('x-request-id')!;
    await h.deliver();
    expect((await supportA.get(`/console/requests?id=${id}`)).status).toBe(403);
    expect((await supportB.get(`/console/requests?id=${id}`)).status).toBe(200);
    expect((await supportA.get('/console/requests?id=req_nobody_000000000000')).status).toBe(404);
  });
});

describe('a storefront’s credential works only on its own host', () => {
  // gharart's edge host is `localhost`, other's is `other.test`; SERVICE_HOST belongs to nobody.
  const GHARART_HOST = 'localhost';
  const OTHER_HOST = 'other.test';
  let otherPat: string;
  let otherJwt: () => Promise<string>;

  beforeAll(async () => {
    otherPat = (
      await createPat(h.db, { tenantId: h.other.id, name: 'other-server', scopes: ['access:read', 'access:write', 'visitor:write'] })
    ).token;
    const key = await storefrontJwtKey(h, h.other.id);
    otherJwt = () => key.jwt('access:read access:write visitor:write');
    await upsertGrant(
      h.db,
      h.other.id,
      { email: 'buyer@example.com', resource: '/content/kept/*', kind: 'content', title: null, orderId: null, expiresAt: null },
      h.clock.now(),
    );
  });

  /** Every route that takes a server credential, as the other storefront's server would call it. */
  function calls(host: string, credential: string, n: number): [string, () => Promise<Response>][] {
    const auth = { authorization: `Bearer ${credential}` };
    const json = (method: string, path: string, body: unknown) =>
      h.fetch(path, { host, ip: freshIp(), method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return [
      [
        'PUT /v2/access/grants',
        () => json('PUT', '/v2/access/grants', { email: `put-${n}@example.com`, resource: '/content/x/*', kind: 'content' }),
      ],
      ['GET /v2/access/grants', () => h.fetch('/v2/access/grants?email=buyer@example.com', { host, ip: freshIp(), headers: auth })],
      [
        'DELETE /v2/access/grants',
        () => json('DELETE', '/v2/access/grants', { email: 'buyer@example.com', resource: '/content/absent/*' }),
      ],
      ['GET /v2/visitor/access', () => h.fetch('/v2/visitor/access?email=buyer@example.com', { host, ip: freshIp(), headers: auth })],
      ['POST /v2/access/visitors/sign-out', () => json('POST', '/v2/access/visitors/sign-out', { email: 'buyer@example.com' })],
      ['POST /v2/visitor/auth/magic-link', () => json('POST', '/v2/visitor/auth/magic-link', { email: `link-${n}@example.com` })],
    ];
  }

  it('a PAT or JWT of another storefront on a storefront’s edge host is 403 wrong_tenant on every server route, and does nothing', async () => {
    let n = 0;
    for (const [label, credential] of [
      ['PAT', otherPat],
      ['JWT', await otherJwt()],
    ] as const) {
      n++;
      for (const [route, call] of calls(GHARART_HOST, credential, n)) {
        const answer = await call();
        expect([label, route, answer.status, ((await answer.json()) as { code?: string }).code]).toEqual([
          label,
          route,
          403,
          'wrong_tenant',
        ]);
      }
    }
    // Nothing was written for either tenant: no grant, no sign-in link, no mail.
    const grants = await h.db.many(sql`select 1 from grants where email like 'put-%'`);
    expect(grants).toEqual([]);
    const links = await h.db.many(sql`select 1 from visitors where email like 'link-%'`);
    expect(links).toEqual([]);
    await h.deliver();
    expect(h.mail.messages.filter((m) => m.to.startsWith('link-'))).toEqual([]);
  });

  it('the same credentials keep working on their own storefront’s host and on the service’s own host', async () => {
    let n = 10;
    for (const host of [OTHER_HOST, SERVICE_HOST]) {
      for (const credential of [otherPat, await otherJwt()]) {
        n++;
        for (const [route, call] of calls(host, credential, n)) {
          const answer = await call();
          expect([host, route, answer.status < 300]).toEqual([host, route, true]);
        }
      }
    }
    const listed = await h.fetch('/v2/access/grants?email=buyer@example.com', {
      host: OTHER_HOST,
      headers: { authorization: `Bearer ${otherPat}` },
    });
    expect(((await listed.json()) as { items: { resource: string }[] }).items.map((g) => g.resource)).toEqual(['/content/kept/*']);
    await h.deliver();
  });

  it('logout with another storefront’s session on an edge host is 403 wrong_tenant and revokes nothing', async () => {
    const email = 'logout-elsewhere@example.com';
    const asked = await h.json(
      '/v2/visitor/auth/magic-link',
      { email },
      { host: OTHER_HOST, ip: freshIp(), headers: { origin: 'https://other.test' } },
    );
    expect(asked.status).toBe(202);
    await h.deliver();
    const verified = await h.json(
      '/v2/visitor/auth/verify',
      { token: h.mail.last(email).token!, delivery: 'bearer' },
      { host: OTHER_HOST, ip: freshIp() },
    );
    const { sessionToken } = (await verified.json()) as { sessionToken: string };
    const bearer = { authorization: `Bearer ${sessionToken}` };
    for (const scope of ['current', 'all']) {
      const answer = await h.json('/v2/visitor/auth/logout', { scope }, { host: GHARART_HOST, ip: freshIp(), headers: bearer });
      expect([scope, answer.status, ((await answer.json()) as { code?: string }).code]).toEqual([scope, 403, 'wrong_tenant']);
    }
    expect((await h.fetch('/v2/visitor/me', { host: OTHER_HOST, headers: bearer })).status).toBe(200);
    // At its own storefront the same logout works.
    expect((await h.json('/v2/visitor/auth/logout', {}, { host: OTHER_HOST, ip: freshIp(), headers: bearer })).status).toBe(204);
    expect((await h.fetch('/v2/visitor/me', { host: OTHER_HOST, headers: bearer })).status).toBe(401);
  });
});
