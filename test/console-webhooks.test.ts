// A storefront's webhooks in the console, black-box over HTTP: the page (endpoints with their last
// delivery and failing count, dead deliveries), adding an endpoint through the form (admins; the
// API's URL rules; the secret shown once and verified by a real receiver with the `standardwebhooks`
// library), and the confirmed, audited actions: remove, rotate the secret, re-send a dead delivery.
// Support operators read only.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { Webhook } from 'standardwebhooks';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { codeOf, ConsoleClient, linkOf, refOf } from './console-client.ts';
import { Harness } from './support/harness.ts';

type Received = { path: string; headers: Record<string, string>; body: string };

/** The storefront's receiver: records every request; a path's status is set per test (default 204). */
const received: Received[] = [];
const statusOf = new Map<string, number>();
const receiver = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: async (request) => {
    const path = new URL(request.url).pathname;
    received.push({ path, headers: Object.fromEntries(request.headers), body: await request.text() });
    return new Response(null, { status: statusOf.get(path) ?? 204 });
  },
});
const hookUrl = (path: string) => `http://127.0.0.1:${receiver.port}${path}`;

let h: Harness;
let admin: ConsoleClient;
let support: ConsoleClient;
let grantsPat: string;

beforeAll(async () => {
  h = await Harness.start({ runtime: { webhooks: { timeoutMs: 500, random: () => 0 } } });
  const now = h.clock.now();
  await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now });
  await upsertOperator(h.db, { email: 'support@ops.test', role: 'support', tenantIds: [h.gharart.id], now });
  admin = await new ConsoleClient(h, 'admin@ops.test', '192.0.2.1').signIn();
  support = await new ConsoleClient(h, 'support@ops.test', '192.0.2.2').signIn();
  grantsPat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'grants', scopes: ['access:write'] })).token;
});
afterAll(async () => {
  await h.close();
  receiver.stop(true);
});
beforeEach(async () => {
  await h.db.many(sql`delete from webhook_endpoints`);
  received.length = 0;
  statusOf.clear();
});

const PAGE = '/console/tenants/gharart/webhooks';

/** The add form as a browser sends it: checked boxes only. */
async function addEndpoint(client: ConsoleClient, fields: Record<string, string>, handle = 'gharart'): Promise<Response> {
  return client.post(`/console/tenants/${handle}/webhooks`, { csrf: client.csrf, description: '', ...fields });
}

function secretOf(page: string): string {
  const secret = /data-secret[^>]*>(whsec_[^<]+)<\/textarea>/.exec(page)?.[1];
  if (!secret) throw new Error(`no secret on the page:\n${page.slice(0, 400)}`);
  return secret;
}

/** A grant change through the API: one `grant.changed` event for every subscribed endpoint. */
async function grantEvent(): Promise<void> {
  const response = await h.fetch('/v2/access/grants', {
    host: 'service.test',
    method: 'PUT',
    headers: { authorization: `Bearer ${grantsPat}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: `g-${crypto.randomUUID()}@example.com`, resource: '/content/hooks/*', kind: 'content' }),
  });
  expect(response.status).toBe(201);
}

function deliver(): Promise<number> {
  return h.runtime.deps.webhooks.tick();
}

async function auditKinds(requestId: string): Promise<{ kind: string; actor: string; detail: Record<string, unknown> }[]> {
  return h.db.many(sql`select kind, actor, detail from audit_events where request_id = ${requestId} order by created_at`);
}

/** Follows a sealed action link of the webhooks page to its confirmation, and presses its button. */
async function confirmAndDo(client: ConsoleClient, page: string, linkText: string): Promise<{ confirm: string; done: Response }> {
  const confirm = await client.get(linkOf(page, linkText));
  expect(confirm.status).toBe(200);
  const confirmPage = await confirm.text();
  const [, action, form] = /<form method="post" action="([^"]+\/actions\/[^"]+)">(.*?)<\/form>/s.exec(confirmPage)!;
  const fields = Object.fromEntries(
    [...form!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]),
  );
  return { confirm: confirmPage, done: await client.post(action!, fields) };
}

describe('the webhooks page', () => {
  it('adds an endpoint from the form (admins): the secret is shown once, listed nowhere, and signs what the receiver gets', async () => {
    const added = await addEndpoint(admin, {
      url: hookUrl('/added'),
      'event.grant.changed': 'on',
      'event.visitor.signed_in': 'on',
      description: 'orders back end',
    });
    expect(added.status).toBe(200);
    const page = await added.text();
    const secret = secretOf(page);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(page).toContain('shown only this once');
    const requestId = added.headers.get('x-request-id')!;
    const audit = await auditKinds(requestId);
    expect(audit.map((a) => [a.kind, a.actor.startsWith('operator:')])).toEqual([['webhook_endpoint_added', true]]);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(6));

    // The list: url, events, description; never the secret. The banner names the action's request id.
    const list = await (await admin.get(`${PAGE}?ref=${requestId}`)).text();
    expect(list).toContain(hookUrl('/added'));
    expect(list).toContain('orders back end');
    expect(list).toContain('<code>visitor.signed_in</code>, <code>grant.changed</code>');
    expect(list).toContain(`Endpoint ${hookUrl('/added')} added.`);
    expect(list).toContain('none yet');
    expect(list).not.toContain('whsec_');

    await grantEvent();
    expect(await deliver()).toBe(1);
    const [hook] = received;
    const event = new Webhook(secret).verify(hook!.body, hook!.headers) as { type: string };
    expect(event.type).toBe('grant.changed');
    const after = await (await admin.get(PAGE)).text();
    expect(after).toMatch(/b-green">delivered<\/span>/);
  });

  it('takes every event with "*", and refuses what the API refuses: a private address, no event (400, the form kept, nothing added)', async () => {
    const all = await addEndpoint(admin, { url: hookUrl('/all'), 'event.*': 'on', 'event.grant.changed': 'on' });
    expect(all.status).toBe(200);
    expect(await (await admin.get(PAGE)).text()).toContain('every event (<code>*</code>)');

    for (const url of ['http://10.0.0.7/hooks', 'http://169.254.169.254/latest', 'ftp://example.com/', 'not a url']) {
      const refused = await addEndpoint(admin, { url, 'event.grant.changed': 'on', description: 'kept' });
      expect(refused.status).toBe(400);
      const page = await refused.text();
      expect(page).toContain('data-field-error="url"');
      expect(page).toContain('value="kept"');
      expect(page).not.toContain('whsec_');
    }
    const private10 = await (await addEndpoint(admin, { url: 'http://10.0.0.7/hooks', 'event.grant.changed': 'on' })).text();
    expect(private10).toContain('resolves to a private or reserved address');

    const noEvents = await addEndpoint(admin, { url: hookUrl('/none') });
    expect(noEvents.status).toBe(400);
    expect(await noEvents.text()).toContain('data-field-error="events"');
    // The route's schema is permissive on purpose: a long description is the form's error, beside its field.
    const longDescription = await addEndpoint(admin, { url: hookUrl('/long'), 'event.*': 'on', description: 'd'.repeat(201) });
    expect(longDescription.status).toBe(400);
    expect(await longDescription.text()).toContain('data-field-error="description"');
    const rows = await h.db.many<{ url: string }>(sql`select url from webhook_endpoints`);
    expect(rows.map((r) => r.url)).toEqual([hookUrl('/all')]);
  });

  it('removes an endpoint after a confirmation naming its URL, audited, and lands back with the request id', async () => {
    await addEndpoint(admin, { url: hookUrl('/remove-me'), 'event.*': 'on' });
    const page = await (await admin.get(PAGE)).text();
    const { confirm, done } = await confirmAndDo(admin, page, 'Remove…');
    expect(confirm).toContain('Remove this webhook endpoint?');
    expect(confirm).toContain(hookUrl('/remove-me'));
    expect(done.status).toBe(303);
    const ref = refOf(done);
    expect(done.headers.get('location')).toBe(`${PAGE}?ref=${ref}`);
    expect((await auditKinds(ref)).map((a) => [a.kind, a.detail.url])).toEqual([['webhook_endpoint_removed', hookUrl('/remove-me')]]);
    expect(await h.db.many(sql`select id from webhook_endpoints`)).toEqual([]);
    expect(await (await admin.get(`${PAGE}?ref=${ref}`)).text()).toContain(`Endpoint ${hookUrl('/remove-me')} removed.`);
  });

  it('rotates the secret after a confirmation: the new one is shown once, and both sign for the overlap', async () => {
    const old = secretOf(await (await addEndpoint(admin, { url: hookUrl('/rotate'), 'event.grant.changed': 'on' })).text());
    const page = await (await admin.get(PAGE)).text();
    const { confirm, done } = await confirmAndDo(admin, page, 'Rotate secret…');
    expect(confirm).toContain('keeps signing for 24 hours');
    expect(done.status).toBe(200);
    const rotatedPage = await done.text();
    const fresh = secretOf(rotatedPage);
    expect(fresh).not.toBe(old);
    expect(rotatedPage).toContain('The previous secret also signs until');
    const audit = await auditKinds(done.headers.get('x-request-id')!);
    expect(audit.map((a) => a.kind)).toEqual(['webhook_secret_rotated']);
    expect(JSON.stringify(audit)).not.toContain(fresh.slice(6));

    await grantEvent();
    await deliver();
    const [hook] = received;
    for (const secret of [old, fresh])
      expect((new Webhook(secret).verify(hook!.body, hook!.headers) as { type: string }).type).toBe('grant.changed');
  });

  it('lists a dead delivery with its last error, counts it failing, and re-sends it after a confirmation (audited, same webhook-id)', async () => {
    await addEndpoint(admin, { url: hookUrl('/down'), 'event.grant.changed': 'on' });
    statusOf.set('/down', 500);
    await grantEvent();
    await deliver(); // fails; retried within 10 s
    const retrying = await (await admin.get(PAGE)).text();
    expect(retrying).toContain('1 failing');
    expect(retrying).toMatch(/b-amber">retrying<\/span>/);
    h.clock.advance(86_400);
    await deliver(); // fails again, a day after the event: dead
    // A day on, the console sessions have ended (12 h at most): sign in again.
    admin = await new ConsoleClient(h, 'admin@ops.test', '192.0.2.1').signIn();
    support = await new ConsoleClient(h, 'support@ops.test', '192.0.2.2').signIn();
    const [dead] = await h.db.many<{ id: string; status: string }>(sql`select id, status from webhook_deliveries`);
    expect(dead!.status).toBe('dead');

    const page = await (await admin.get(PAGE)).text();
    expect(page).toContain(`data-delivery="${dead!.id}"`);
    expect(page).toContain('<code>HTTP 500</code>');
    expect(page).toMatch(/b-red">dead<\/span>/);

    statusOf.set('/down', 204);
    const { confirm, done } = await confirmAndDo(admin, page, 'Re-send…');
    expect(confirm).toContain('Re-send this webhook?');
    expect(confirm).toContain(hookUrl('/down'));
    expect(done.status).toBe(303);
    const ref = refOf(done);
    expect((await auditKinds(ref)).map((a) => [a.kind, a.detail.deliveryId, a.detail.resent])).toEqual([
      ['webhook_delivery_resent', dead!.id, true],
    ]);
    expect(await (await admin.get(`${PAGE}?ref=${ref}`)).text()).toContain('Delivery queued again');
    received.length = 0;
    await deliver();
    expect(received.map((r) => [r.path, r.headers['webhook-id']])).toEqual([['/down', dead!.id]]);
    const after = await (await admin.get(PAGE)).text();
    expect(after).not.toContain(`data-delivery="${dead!.id}"`);
    expect(after).not.toContain('failing</span>');
  });
});

describe('who may change webhooks', () => {
  it('shows support operators the endpoints and dead deliveries read only, and refuses them every change (403 wrong_audience)', async () => {
    await addEndpoint(admin, { url: hookUrl('/support-view'), 'event.grant.changed': 'on' });
    const [endpoint] = await h.db.many<{ id: string }>(sql`select id from webhook_endpoints`);
    const page = await support.get(PAGE);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(hookUrl('/support-view'));
    expect(text).toContain('Only admins add, remove or change endpoints.');
    expect(text).not.toContain('Add an endpoint');
    expect(text).not.toContain('Remove…');
    expect(text).not.toContain('Rotate secret…');

    const add = await addEndpoint(support, { url: hookUrl('/by-support'), 'event.*': 'on' });
    expect([add.status, codeOf(await add.text())]).toEqual([403, 'wrong_audience']);
    for (const [action, fields] of [
      ['webhook-remove', { endpoint: endpoint!.id }],
      ['webhook-rotate', { endpoint: endpoint!.id }],
      ['webhook-resend', { delivery: crypto.randomUUID() }],
    ] as const) {
      const refused = await support.action('gharart', action, fields);
      expect([action, refused.status, codeOf(await refused.text())]).toEqual([action, 403, 'wrong_audience']);
    }
    // A storefront the support operator does not see.
    expect((await support.get('/console/tenants/other/webhooks')).status).toBe(403);
    expect((await h.db.many(sql`select id from webhook_endpoints`)).length).toBe(1);
  });

  it("refuses another storefront's endpoint or delivery named under this one (403), an unknown one (404), and an unsealed confirmation", async () => {
    await addEndpoint(admin, { url: hookUrl('/other'), 'event.*': 'on' }, 'other');
    const [endpoint] = await h.db.many<{ id: string }>(sql`select id from webhook_endpoints`);
    const wrong = await admin.action('gharart', 'webhook-remove', { endpoint: endpoint!.id });
    expect([wrong.status, codeOf(await wrong.text())]).toEqual([403, 'wrong_audience']);
    const unknown = await admin.action('gharart', 'webhook-rotate', { endpoint: crypto.randomUUID() });
    expect(unknown.status).toBe(404);
    const malformed = await admin.action('gharart', 'webhook-resend', { delivery: 'not-an-id' });
    expect([malformed.status, codeOf(await malformed.text())]).toEqual([400, 'invalid_request']);
    // A crafted confirmation URL (no seal) is not offered for one click: back to the webhooks page.
    const crafted = await admin.get(`/console/tenants/other/confirm?action=webhook-remove&endpoint=${endpoint!.id}`);
    expect([crafted.status, crafted.headers.get('location')]).toEqual([303, '/console/tenants/other/webhooks']);
    expect((await h.db.many(sql`select id from webhook_endpoints`)).length).toBe(1);
  });

  it('checks the form like every console form: another origin or a missing CSRF token is 403 csrf_rejected', async () => {
    const foreign = await admin.post(
      '/console/tenants/gharart/webhooks',
      { csrf: admin.csrf, url: hookUrl('/csrf'), 'event.*': 'on' },
      { origin: 'https://evil.example' },
    );
    expect([foreign.status, codeOf(await foreign.text())]).toEqual([403, 'csrf_rejected']);
    const noToken = await admin.post('/console/tenants/gharart/webhooks', { url: hookUrl('/csrf'), 'event.*': 'on' });
    expect([noToken.status, codeOf(await noToken.text())]).toEqual([403, 'csrf_rejected']);
    expect(await h.db.many(sql`select id from webhook_endpoints`)).toEqual([]);
  });
});
