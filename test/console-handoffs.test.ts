// The console and checkout handoffs (issue #18): the shopper's page shows their checkout links and
// which sessions see one order only; an operator who may change grants can revoke an order (a
// refund), confirmed and audited, and the order's session ends.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { ConsoleClient, linkOf, refOf } from './console-client.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
let admin: ConsoleClient;
let support: ConsoleClient;
let adminId: string;
let buyer: CookieJar;

const BUYER = 'console-buyer@example.com';
const shopperPath = `/console/tenants/gharart/shopper?email=${encodeURIComponent(BUYER)}`;

beforeAll(async () => {
  h = await Harness.start();
  const now = h.clock.now();
  adminId = (await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now })).operator.id;
  await upsertOperator(h.db, { email: 'support@ops.test', role: 'support', tenantIds: [h.gharart.id], now });
  admin = await new ConsoleClient(h, 'admin@ops.test', '192.0.2.10').signIn();
  support = await new ConsoleClient(h, 'support@ops.test', '192.0.2.11').signIn();
  await upsertGrant(
    h.db,
    h.gharart.id,
    { email: BUYER, resource: '/orders/K-1', kind: 'order', title: null, orderId: 'K-1', expiresAt: null },
    now,
  );
  const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'checkout', scopes: ['handoff:write'] })).token;
  const created = await h.json(
    '/v2/access/handoffs',
    { email: BUYER, orderId: 'K-1', returnTo: '/orders/K-1' },
    { host: 'service.test', headers: { authorization: `Bearer ${pat}` } },
  );
  const path = new URL(((await created.json()) as { url: string }).url).pathname;
  buyer = new CookieJar();
  await h.fetch(path, { jar: buyer });
  expect((await h.form(path, {}, { jar: buyer })).status).toBe(303);
});
afterAll(() => h.close());

describe('the shopper page', () => {
  it('shows the checkout link and the session that sees one order only', async () => {
    const page = await (await admin.get(shopperPath)).text();
    expect(page).toContain('Checkout links');
    expect(page).toContain('Order <code>K-1</code>');
    expect(page).toContain('Opened from a checkout link');
    expect(page).toContain('one order');
    expect(page).toContain('Revoke order K-1 (refund)…');
  });

  it('offers no order revocation to an operator who may not change grants', async () => {
    const page = await (await support.get(shopperPath)).text();
    expect(page).toContain('Checkout links');
    expect(page).not.toContain('Revoke order');
    const refused = await support.action('gharart', 'revoke-order', { email: BUYER, orderId: 'K-1' });
    expect(refused.status).toBe(403);
  });
});

describe('revoking an order', () => {
  it('asks first, then ends the order’s grants and its checkout session, audited as the operator', async () => {
    const page = await (await admin.get(shopperPath)).text();
    const confirm = await admin.get(linkOf(page, 'Revoke order K-1 (refund)…'));
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Revoke this order?');
    const done = await admin.action('gharart', 'revoke-order', { email: BUYER, orderId: 'K-1' });
    expect(done.status).toBe(303);
    const audit = await h.db.many<{ kind: string; actor: string; detail: Record<string, unknown> }>(sql`
      select kind, actor, detail from audit_events where request_id = ${refOf(done)}`);
    expect(audit).toEqual([
      {
        kind: 'order_revoked',
        actor: `operator:${adminId}`,
        detail: { orderId: 'K-1', revokedGrants: 1, endedSessions: 1, revokedHandoffs: 0 },
      },
    ]);
    const after = await (await admin.get(done.headers.get('location')!)).text();
    expect(after).toContain('Order K-1 revoked: 1 grant ended, 1 order session ended');
    expect((await h.fetch('/v2/visitor/me', { jar: buyer })).status).toBe(401);
  });
});
