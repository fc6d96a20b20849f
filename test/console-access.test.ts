// The support console's pages and actions, black-box: roles and tenant isolation (a support operator
// of one storefront cannot see or act on another — by URL guessing either), CSRF on every action
// form, one audit entry per action with the operator's id under the action's request id, and the
// re-send action honouring the sign-in limits.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { upsertOperator } from '../src/console/operators.ts';
import { sql } from '../src/db/sql.ts';
import { setOverride } from '../src/limits/policies.ts';
import { updateTenant } from '../src/tenants/tenants.ts';
import { codeOf, CONSOLE_ORIGIN, ConsoleClient, csrfOf, linkOf, refOf } from './console-client.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
let admin: ConsoleClient;
let supportA: ConsoleClient; // gharart only
let supportB: ConsoleClient; // other only
let ids: { admin: string; supportA: string };
let otherSession: string; // a live session of a shopper at "other"
let otherReport: string; // an open support report at "other"
let gharartReport: string;

const SHOPPER = 'expired-link@example.com';
const OTHER_SHOPPER = 'other-shopper@example.com';

let ipCounter = 0;
const freshIp = () => `192.0.2.${++ipCounter}`;

async function auditOf(requestId: string) {
  return h.db.many<{
    kind: string;
    actor: string;
    tenant_id: string | null;
    visitor_id: string | null;
    detail: Record<string, unknown>;
  }>(sql`
    select kind, actor, tenant_id, visitor_id, detail from audit_events where request_id = ${requestId} order by created_at`);
}

async function fileReport(handle: string, host: string, body: Record<string, unknown>) {
  const answer = await h.json(
    '/v2/support/report',
    { handle, summary: 'My link expired', details: 'The page said the link expired.', ...body },
    { host, ip: freshIp() },
  );
  expect(answer.status).toBe(201);
  return (await answer.json()) as { reportId: string; requestId: string };
}

beforeAll(async () => {
  h = await Harness.start();
  const now = h.clock.now();
  ids = {
    admin: (await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now })).operator.id,
    supportA: (await upsertOperator(h.db, { email: 'a@ops.test', role: 'support', tenantIds: [h.gharart.id], now })).operator.id,
  };
  await upsertOperator(h.db, { email: 'b@ops.test', role: 'support', tenantIds: [h.other.id], now });
  admin = await new ConsoleClient(h, 'admin@ops.test', freshIp()).signIn();
  supportA = await new ConsoleClient(h, 'a@ops.test', freshIp()).signIn();
  supportB = await new ConsoleClient(h, 'b@ops.test', freshIp()).signIn();

  // A shopper at "other" with a live session and a report; a shopper at gharart whose link expired.
  const otherLink = await h.json(
    '/v2/visitor/auth/magic-link',
    { email: OTHER_SHOPPER },
    { host: 'other.test', headers: { origin: 'https://other.test' } },
  );
  expect(otherLink.status).toBe(202);
  await h.deliver();
  const token = h.mail.last(OTHER_SHOPPER).token!;
  const verified = await h.json('/v2/visitor/auth/verify', { token, delivery: 'bearer' }, { host: 'other.test' });
  otherSession = ((await verified.json()) as { session: { id: string } }).session.id;
  otherReport = (await fileReport('other', 'other.test', { summary: 'Cannot open my order' })).reportId;

  await h.requestLink(SHOPPER);
  h.clock.advance(16 * 60); // the mail came late: the link expired
  const expired = await h.fetch(`/_edge/visitor/access/t/${h.mail.last(SHOPPER).token}`);
  expect(expired.status).toBe(410);
  gharartReport = (await fileReport('gharart', 'localhost', { requestId: expired.headers.get('x-request-id') })).reportId;
  await h.deps.requestLog.flush();
});
afterAll(() => h.close());

describe('pages', () => {
  it('home lists exactly the operator’s storefronts (admins: all of them, never the console’s own)', async () => {
    const home = async (client: ConsoleClient) =>
      [...(await (await client.get('/console/')).text()).matchAll(/href="\/console\/tenants\/([a-z0-9-_]+)"/g)].map((m) => m[1]);
    expect(await home(admin)).toEqual(['gharart', 'other']);
    expect(await home(supportA)).toEqual(['gharart']);
    expect(await home(supportB)).toEqual(['other']);
  });

  it('a tenant page shows the outbox health and the report of a shopper whose link expired, with their address', async () => {
    await h.json('/v2/visitor/auth/magic-link', { email: 'queued@example.com' }); // not delivered: queued
    const page = await (await supportA.get('/console/tenants/gharart')).text();
    expect(page).toContain('My link expired');
    expect(page).toContain(`href="/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}"`);
    expect(page).toMatch(/<b>1<\/b><span>queued now<\/span>/);
    expect(page).toContain('queued@example.com');
    await h.deliver();
  });

  it('a shopper page shows links with states and request ids, sessions, grants, security events and reports', async () => {
    await upsertGrant(
      h.db,
      h.gharart.id,
      { email: SHOPPER, resource: '/content/course-1/*', kind: 'content', title: 'Course 1', orderId: null, expiresAt: null },
      h.clock.now(),
    );
    const answer = await supportA.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`);
    expect(answer.status).toBe(200);
    const page = await answer.text();
    const [link] = await h.db.many<{ request_id: string }>(sql`
      select l.request_id from magic_links l join visitors v on v.id = l.visitor_id where v.email = ${SHOPPER}`);
    expect(page).toContain('<span class="badge b-gray">expired</span>');
    expect(page).toContain(`/console/requests?id=${link!.request_id}`);
    expect(page).toContain('/content/course-1/*');
    expect(page).toContain('My link expired'); // the report cites the 410 request
    expect(page).toContain('Re-send sign-in link…');
  });

  it('the request-id lookup shows a request of the operator’s storefront', async () => {
    const [link] = await h.db.many<{ request_id: string }>(sql`
      select l.request_id from magic_links l join visitors v on v.id = l.visitor_id where v.email = ${SHOPPER}`);
    const answer = await supportA.get(`/console/requests?id=${link!.request_id}`);
    expect(answer.status).toBe(200);
    const page = await answer.text();
    expect(page).toContain('sign_in_requested');
    expect(page).toContain('mail_sent');
    expect((await supportA.get('/console/requests?id=req_000000000000000000000000')).status).toBe(404);
  });
});

describe('roles and tenant isolation', () => {
  it('a support operator of gharart gets 403 wrong_audience for every page of another storefront', async () => {
    for (const path of [
      '/console/tenants/other',
      `/console/tenants/other/shopper?email=${encodeURIComponent(OTHER_SHOPPER)}`,
      `/console/tenants/other/confirm?action=resend&email=${encodeURIComponent(OTHER_SHOPPER)}`,
      `/console/tenants/other/confirm?action=report-handled&report=${otherReport}`,
      '/console/tenants/no-such-shop', // a support operator learns nothing about handles
      `/console/find?tenant=other&email=${encodeURIComponent(OTHER_SHOPPER)}`,
    ]) {
      let answer = await supportA.get(path);
      if (answer.status === 303) answer = await supportA.get(answer.headers.get('location')!);
      expect([path, answer.status, codeOf(await answer.text())]).toEqual([path, 403, 'wrong_audience']);
    }
    // An admin sees "other"; a handle nobody has is simply not found.
    expect((await admin.get('/console/tenants/other')).status).toBe(200);
    expect((await admin.get('/console/tenants/no-such-shop')).status).toBe(404);
    expect((await admin.get('/console/tenants/_console')).status).toBe(404);
  });

  it('a support operator cannot act on another storefront, nor on its ids through their own storefront’s URLs', async () => {
    const attempts: [string, string, Record<string, string>][] = [
      ['other', 'resend', { email: OTHER_SHOPPER }],
      ['other', 'revoke-all', { email: OTHER_SHOPPER }],
      ['other', 'revoke-session', { email: OTHER_SHOPPER, session: otherSession }],
      ['other', 'report-handled', { report: otherReport }],
      // URL guessing: another storefront's ids under gharart's URLs.
      ['gharart', 'revoke-session', { email: OTHER_SHOPPER, session: otherSession }],
      ['gharart', 'report-handled', { report: otherReport }],
    ];
    const mailsBefore = h.mail.messages.length;
    for (const [handle, action, fields] of attempts) {
      const answer = await supportA.action(handle, action, fields);
      expect([handle, action, answer.status, codeOf(await answer.text())]).toEqual([handle, action, 403, 'wrong_audience']);
      const confirm = await supportA.get(`/console/tenants/${handle}/confirm?${new URLSearchParams({ action, ...fields })}`);
      expect([handle, action, 'confirm', confirm.status]).toEqual([handle, action, 'confirm', 403]);
    }
    await h.deliver();
    expect(h.mail.messages.length).toBe(mailsBefore);
    const [session] = await h.db.many<{ revoked_at: Date | null }>(sql`select revoked_at from sessions where id = ${otherSession}::uuid`);
    expect(session!.revoked_at).toBeNull();
    const [report] = await h.db.many<{ status: string }>(sql`select status from support_reports where id = ${otherReport}::uuid`);
    expect(report!.status).toBe('open');
    // Unknown ids are not found; the operator of "other" may act on its own.
    expect((await supportA.action('gharart', 'report-handled', { report: crypto.randomUUID() })).status).toBe(404);
    const fromPage = linkOf(await (await supportB.get('/console/tenants/other')).text(), 'Mark handled…');
    expect(fromPage).toContain(`report=${otherReport}`);
    expect((await supportB.get(fromPage)).status).toBe(200);
  });

  it('the request-id lookup of another storefront’s request is 403 for a support operator', async () => {
    const [row] = await h.db.many<{ request_id: string }>(sql`select request_id from support_reports where id = ${otherReport}::uuid`);
    const answer = await supportA.get(`/console/requests?id=${row!.request_id}`);
    expect(answer.status).toBe(403);
    expect(codeOf(await answer.text())).toBe('wrong_audience');
    expect((await supportB.get(`/console/requests?id=${row!.request_id}`)).status).toBe(200);
    expect((await admin.get(`/console/requests?id=${row!.request_id}`)).status).toBe(200);
  });

  it('grants are changed by admins, and by support only where the storefront allows it', async () => {
    const fields = { email: SHOPPER, resource: '/orders/A-1001', kind: 'order' };
    const refused = await supportA.action('gharart', 'grant-add', fields);
    expect(refused.status).toBe(403);
    expect(codeOf(await refused.text())).toBe('wrong_audience');
    expect((await supportA.get(`/console/tenants/gharart/confirm?${new URLSearchParams({ action: 'grant-add', ...fields })}`)).status).toBe(
      403,
    );
    expect(await (await supportA.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`)).text()).not.toContain(
      'Add grant…',
    );

    // What `bun run cli tenant update gharart --support-can-edit-grants yes` does.
    await updateTenant(h.db, 'gharart', { supportCanEditGrants: true });
    try {
      const added = await supportA.action('gharart', 'grant-add', fields);
      expect(added.status).toBe(303);
      expect(await auditOf(refOf(added))).toEqual([
        expect.objectContaining({
          kind: 'grant_set',
          actor: `operator:${ids.supportA}`,
          tenant_id: h.gharart.id,
          detail: expect.objectContaining({ resource: '/orders/A-1001', created: true }),
        }),
      ]);
    } finally {
      await updateTenant(h.db, 'gharart', { supportCanEditGrants: false });
    }
    const removed = await admin.action('gharart', 'grant-remove', { email: SHOPPER, resource: '/orders/A-1001' });
    expect(removed.status).toBe(303);
    expect(await auditOf(refOf(removed))).toEqual([
      expect.objectContaining({
        kind: 'grant_removed',
        actor: `operator:${ids.admin}`,
        detail: expect.objectContaining({ removed: true }),
      }),
    ]);
  });
});

describe('CSRF on every action form', () => {
  it('refuses each action without the session’s token, with a wrong one, or from another origin (403, nothing done)', async () => {
    const actions: [string, Record<string, string>][] = [
      ['resend', { email: SHOPPER }],
      ['revoke-all', { email: SHOPPER }],
      ['revoke-session', { email: OTHER_SHOPPER, session: otherSession }],
      ['grant-add', { email: SHOPPER, resource: '/content/x/*' }],
      ['grant-remove', { email: SHOPPER, resource: '/content/course-1/*' }],
      ['report-handled', { report: gharartReport }],
    ];
    const before = await h.db.many<{ count: number }>(sql`select count(*)::int as count from audit_events where actor like 'operator:%'`);
    for (const [action, fields] of actions) {
      for (const [label, extra, headers] of [
        ['missing token', { csrf: '' }, { origin: CONSOLE_ORIGIN }],
        ['wrong token', { csrf: 'A'.repeat(43) }, { origin: CONSOLE_ORIGIN }],
        ["another operator's token", { csrf: supportA.csrf }, { origin: CONSOLE_ORIGIN }],
        ['other origin', {}, { origin: 'https://evil.example' }],
      ] as const) {
        const answer = await admin.action('gharart', action, { ...fields, ...extra }, headers);
        expect([action, label, answer.status, codeOf(await answer.text())]).toEqual([action, label, 403, 'csrf_rejected']);
      }
    }
    const after = await h.db.many<{ count: number }>(sql`select count(*)::int as count from audit_events where actor like 'operator:%'`);
    expect(after[0]!.count).toBe(before[0]!.count);
  });

  it('puts the session’s token in every form of every page', async () => {
    const shopper = `/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`;
    const pages = [
      '/console/',
      '/console/tenants/gharart',
      shopper,
      linkOf(await (await admin.get(shopper)).text(), 'Re-send sign-in link…'),
      linkOf(await (await admin.get('/console/tenants/gharart')).text(), 'Mark handled…'),
    ];
    for (const path of pages) {
      const page = await (await admin.get(path)).text();
      const posts = [...page.matchAll(/<form method="post"[\s\S]*?<\/form>/g)].map((m) => m[0]);
      expect(posts.length).toBeGreaterThan(0);
      for (const form of posts) expect([path, csrfOf(form)]).toEqual([path, admin.csrf]);
    }
  });
});

describe('actions', () => {
  it('each asks for confirmation first: the confirm page changes nothing', async () => {
    const before = h.mail.messages.length;
    const shopper = await (await admin.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`)).text();
    const page = await admin.get(linkOf(shopper, 'Re-send sign-in link…'));
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Re-send a sign-in link?');
    expect(text).toContain('action="/console/tenants/gharart/actions/resend"');
    await h.deliver();
    expect(h.mail.messages.length).toBe(before);
  });

  it('re-send: a new link to the shopper (at the storefront’s origin, back to where the expired one went), audited as the operator', async () => {
    const answer = await supportA.action('gharart', 'resend', { email: SHOPPER });
    expect(answer.status).toBe(303);
    const ref = refOf(answer);
    expect(answer.headers.get('location')).toBe(`/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}&ref=${ref}`);
    expect(await auditOf(ref)).toEqual([
      expect.objectContaining({ kind: 'sign_in_requested', actor: `operator:${ids.supportA}`, tenant_id: h.gharart.id }),
    ]);
    await h.deliver();
    const mail = h.mail.last(SHOPPER);
    expect(mail.link).toStartWith('http://localhost/_edge/visitor/access/t/vml_');
    // The banner names the action and its request id.
    const landed = await (await supportA.get(answer.headers.get('location')!)).text();
    expect(landed).toContain('Sign-in link re-sent.');
    expect(landed).toContain(`/console/requests?id=${ref}`);
    // The shopper signs in with it; the operator sees the new session.
    const jar = new CookieJar();
    const path = new URL(mail.link!).pathname;
    await h.fetch(path, { jar });
    const signedIn = await h.form(path, {}, { jar, headers: { 'user-agent': 'ShopperPhone/1.0' } });
    expect(signedIn.status).toBe(303);
    const after = await (await supportA.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(SHOPPER)}`)).text();
    expect(after).toContain('<span class="badge b-green">active</span>');
    expect(after).toContain('ShopperPhone/1.0');
    expect(after).toContain(`operator a@ops.test`);
  });

  it('a banner is shown only for the operator’s own action of that request', async () => {
    const answer = await supportA.action('gharart', 'resend', { email: 'banner@example.com' });
    const page = await (await admin.get(answer.headers.get('location')!)).text();
    expect(page).not.toContain('Sign-in link re-sent.');
    await h.deliver();
  });

  it('revoke one session, revoke all, mark a report handled — each audited with the operator id and its request id', async () => {
    const { response } = await h.signIn('revoke-me@example.com');
    expect(response.status).toBe(303);
    await h.signIn('revoke-me@example.com');
    const sessions = await h.db.many<{ id: string }>(sql`
      select s.id from sessions s join visitors v on v.id = s.visitor_id where v.email = 'revoke-me@example.com' order by s.created_at`);
    expect(sessions).toHaveLength(2);

    const one = await supportA.action('gharart', 'revoke-session', { email: 'revoke-me@example.com', session: sessions[0]!.id });
    expect(one.status).toBe(303);
    expect(await auditOf(refOf(one))).toEqual([
      expect.objectContaining({
        kind: 'session_revoked',
        actor: `operator:${ids.supportA}`,
        tenant_id: h.gharart.id,
        detail: expect.objectContaining({ revoked: true }),
      }),
    ]);
    const all = await supportA.action('gharart', 'revoke-all', { email: 'revoke-me@example.com' });
    expect(await auditOf(refOf(all))).toEqual([
      expect.objectContaining({
        kind: 'sessions_revoked_all',
        actor: `operator:${ids.supportA}`,
        detail: expect.objectContaining({ count: 1 }),
      }),
    ]);
    const live = await h.db.many(sql`
      select s.id from sessions s join visitors v on v.id = s.visitor_id where v.email = 'revoke-me@example.com' and s.revoked_at is null`);
    expect(live).toEqual([]);

    const handled = await supportA.action('gharart', 'report-handled', { report: gharartReport, email: SHOPPER });
    expect(handled.headers.get('location')).toStartWith(`/console/tenants/gharart/shopper?email=`);
    expect(await auditOf(refOf(handled))).toEqual([
      expect.objectContaining({
        kind: 'report_handled',
        actor: `operator:${ids.supportA}`,
        detail: { reportId: gharartReport, alreadyHandled: false },
      }),
    ]);
    const [report] = await h.db.many<{ status: string; handled_at: Date | null }>(
      sql`select status, handled_at from support_reports where id = ${gharartReport}::uuid`,
    );
    expect(report!.status).toBe('handled');
    expect(report!.handled_at).not.toBeNull();
  });

  it('sign-in and sign-out are in the audit trail too', async () => {
    const rows = await h.db.many<{ kind: string }>(
      sql`select kind from audit_events where actor = ${`operator:${ids.admin}`} and kind like 'console_%'`,
    );
    expect(rows.map((r) => r.kind)).toContain('console_signed_in');
  });

  it('re-send honours the per-email limit: nothing is sent, the operator is told, and it is audited', async () => {
    const email = 'limited@example.com';
    for (let i = 0; i < 5; i++) expect((await h.json('/v2/visitor/auth/magic-link', { email }, { ip: freshIp() })).status).toBe(202);
    await h.deliver();
    const before = h.mail.to(email).length;
    const answer = await supportA.action('gharart', 'resend', { email });
    expect(answer.status).toBe(303);
    const ref = refOf(answer);
    await h.deliver();
    expect(h.mail.to(email).length).toBe(before);
    expect(await auditOf(ref)).toEqual([expect.objectContaining({ kind: 'sign_in_mail_suppressed', actor: `operator:${ids.supportA}` })]);
    const page = await (await supportA.get(answer.headers.get('location')!)).text();
    expect(page).toContain('Nothing was sent: this address reached its sign-in mail limit (5 mails).');
  });

  it('re-send honours the per-tenant limit with a 429 page', async () => {
    await setOverride(h.db, h.other.id, 'magic-link:per-tenant', 0);
    h.deps.limiter.policies.clear();
    const answer = await supportB.action('other', 'resend', { email: OTHER_SHOPPER });
    expect(answer.status).toBe(429);
    expect(codeOf(await answer.text())).toBe('rate_limited');
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('refuses malformed input with a 400 page (never a 500)', async () => {
    for (const [action, fields, code] of [
      ['resend', { email: 'nope' }, 'invalid_email'],
      ['revoke-session', { email: SHOPPER, session: 'not-a-uuid' }, 'invalid_request'],
      ['grant-add', { email: SHOPPER, resource: '/content/../x' }, 'invalid_resource'],
      ['grant-add', { email: SHOPPER, resource: '/content/x', expiresAt: 'tomorrow' }, 'invalid_request'],
      ['report-handled', { report: '' }, 'invalid_request'],
      ['frobnicate', {}, 'not_found'],
    ] as const) {
      const answer = await admin.action('gharart', action, fields as Record<string, string>);
      expect([action, answer.status, codeOf(await answer.text())]).toEqual([action, code === 'not_found' ? 404 : 400, code]);
    }
  });
});
