// Export and erasure of a visitor (issue #20 §3, §4), black-box through the real app. One buyer
// uses every feature (link, code, sessions, grant, handoff, passkey, pending sign-in, support and
// content reports, a replayed link), exports, and is erased by the storefront; then EVERY table of
// the schema (found in the catalog, every column cast to text) and the log lines written afterwards
// are searched for the address in any case: nothing. Audit and security rows stay, pseudonymised.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { visitorCommand } from '../src/cli/visitor-commands.ts';
import { upsertOperator } from '../src/console/operators.ts';
import { recordAudit } from '../src/audit/audit.ts';
import { createPat } from '../src/credentials/pats.ts';
import { Raw, sql } from '../src/db/sql.ts';
import { PENDING_COOKIE } from '../src/sessions/sessions.ts';
import { ConsoleClient } from './console-client.ts';
import { SoftAuthenticator } from './support/authenticator.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';
import { storefrontJwtKey } from './support/storefront-jwt.ts';

let h: Harness;
let storefront: string;
let readOnly: string;

const TYPED = 'Erase.Me@Example.com';
const ADDRESS = 'erase.me@example.com';
/** The buyer's second address (verified, with a grant of its own) and one they added but never confirmed. */
const SECOND = 'erase.me.at.work@example.com';
const UNCONFIRMED = 'erase.me.maybe@example.com';
const SERVICE = { host: SERVICE_HOST };
const ORIGIN = { origin: 'http://localhost' };

beforeAll(async () => {
  h = await Harness.start();
  storefront = (
    await createPat(h.db, {
      tenantId: h.gharart.id,
      name: 'shop',
      scopes: ['access:write', 'handoff:write', 'visitor:delete', 'webhooks:write'],
    })
  ).token;
  readOnly = (await createPat(h.db, { tenantId: h.gharart.id, name: 'no delete', scopes: ['access:write', 'access:read'] })).token;
});
afterAll(() => h.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function erase(email: string, token = storefront): Promise<Response> {
  return h.fetch(`/v2/access/visitors?email=${encodeURIComponent(email)}`, { ...SERVICE, method: 'DELETE', headers: bearer(token) });
}

async function code(response: Response): Promise<[number, string]> {
  return [response.status, ((await response.json()) as { code: string }).code];
}

function edge(uri: string, jar: CookieJar) {
  return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': uri, cookie: jar.header() } });
}

/** Every table of the schema (from the catalog, not a list), with how many rows mention `needle` in any column. */
async function tablesMentioning(needle: string): Promise<Record<string, number>> {
  const tables = await h.db.many<{ name: string }>(sql`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`);
  expect(tables.length).toBeGreaterThan(20);
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const row = await h.db.one<{ n: number }>(
      sql`select count(*)::int as n from ${new Raw(`"${name}"`)} as t where t::text ilike ${`%${needle}%`}`,
    );
    if (row!.n > 0) found[name] = row!.n;
  }
  return found;
}

describe('a buyer who used every feature, exported and erased', () => {
  let jar: CookieJar;
  let visitorId: string;
  let exported: Record<string, unknown>;
  let logsBefore: number;

  beforeAll(async () => {
    // A webhook endpoint that asked for addresses (its deliveries wait: no worker runs here).
    const hook = await h.json(
      '/v2/webhooks/endpoints',
      { url: 'http://127.0.0.1:9/hooks', events: ['*'], includeEmail: true },
      { ...SERVICE, headers: bearer(storefront) },
    );
    expect(hook.status).toBe(201);
    // A grant for the address, before any sign-in.
    const granted = await h.json(
      '/v2/access/grants',
      { email: TYPED, resource: '/content/course/*', kind: 'content', title: 'Course', orderId: 'E-1' },
      { ...SERVICE, method: 'PUT', headers: bearer(storefront) },
    );
    expect(granted.status).toBe(201);
    // Sign in by link (session cookie), then once more by code (a second session).
    const signedIn = await h.signIn(TYPED);
    jar = signedIn.jar;
    const mail = await h.requestLink(TYPED);
    expect((await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email: TYPED, code: mail.code, delivery: 'bearer' })).status).toBe(
      200,
    );
    // A used link opened again in another browser: a security event with an IP and user agent.
    const first = h.mail.to(ADDRESS)[0]!;
    expect((await h.fetch(Harness.pathOf(first.link!), { jar: new CookieJar(), headers: { 'user-agent': 'Replayer/1' } })).status).toBe(
      409,
    );
    // A pending sign-in (a browser waiting for the other device), whose mail is never opened.
    const waiting = new CookieJar();
    expect((await h.json('/v2/visitor/auth/magic-link', { email: TYPED }, { jar: waiting })).status).toBe(202);
    expect(waiting.values.get(PENDING_COOKIE)).toBeDefined();
    // A checkout handoff, opened (an order-scoped session in another browser).
    const handoff = await h.json('/v2/access/handoffs', { email: TYPED, orderId: 'E-1' }, { ...SERVICE, headers: bearer(storefront) });
    expect(handoff.status).toBe(201);
    const handoffPath = new URL(((await handoff.json()) as { url: string }).url).pathname;
    const buyerElsewhere = new CookieJar();
    await h.fetch(handoffPath, { jar: buyerElsewhere });
    expect((await h.form(handoffPath, {}, { jar: buyerElsewhere })).status).toBe(303);
    // A passkey.
    const options = await h.json('/v2/visitor/passkeys/registration/options', {}, { jar, headers: ORIGIN });
    expect(options.status).toBe(200);
    const credential = await (await SoftAuthenticator.create()).register(
      (await options.json()) as Record<string, unknown>,
      'http://localhost',
    );
    expect((await h.json('/v2/visitor/passkeys/registration/verify', { credential }, { jar, headers: ORIGIN })).status).toBe(201);
    // A second address, confirmed by its code, whose purchase the buyer sees; and one never confirmed.
    expect(
      (
        await h.json(
          '/v2/access/grants',
          { email: SECOND, resource: '/content/workshop/*', kind: 'content', title: 'Workshop', orderId: 'E-2' },
          { ...SERVICE, method: 'PUT', headers: bearer(storefront) },
        )
      ).status,
    ).toBe(201);
    for (const email of [SECOND, UNCONFIRMED])
      expect((await h.json('/v2/visitor/emails', { email }, { jar, headers: ORIGIN })).status).toBe(202);
    await h.deliver();
    const secondCode = h.mail.to(SECOND).at(-1)!.code!;
    expect((await h.json('/v2/visitor/emails/verify', { email: SECOND, code: secondCode }, { jar, headers: ORIGIN })).status).toBe(200);
    // A support report with the session (naming the address in the text), a content report with it as contact.
    const report = await h.json(
      '/v2/support/report',
      { handle: 'gharart', summary: `Help for ${TYPED}`, details: `Write to ${ADDRESS.toUpperCase()} please.` },
      { jar, headers: ORIGIN },
    );
    expect(report.status).toBe(201);
    const content = await h.json('/v2/public/content-report', {
      handle: 'gharart',
      url: 'https://gharart.example/content/x',
      reason: 'copyright',
      details: 'Mine.',
      reporterEmail: TYPED,
    });
    expect(content.status).toBe(202);
    // An operator's grant in the console names the address in its audit detail (as actions.ts writes it).
    await recordAudit(h.db, {
      kind: 'grant_set',
      actor: 'operator:00000000-0000-4000-8000-000000000000',
      requestId: 'req_console0000000000000000',
      tenantId: h.gharart.id,
      detail: { email: ADDRESS, resource: '/content/extra/*' },
      at: h.clock.now(),
    });
    // The storefront asked about the address by query string (logged before paths were redacted).
    await h.fetch(`/v2/visitor/access?email=${encodeURIComponent(TYPED)}`, { ...SERVICE, headers: bearer(readOnly) });
    // The edge lets the session in (and caches it).
    expect((await edge('/content/course/1', jar)).status).toBe(204);
    const me = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { visitor: { id: string } };
    visitorId = me.visitor.id;
    const download = await h.fetch('/v2/visitor/export', { jar });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="gharart-export.json"');
    expect(download.headers.get('cache-control')).toBe('no-store');
    exported = (await download.json()) as Record<string, unknown>;
    await h.deps.requestLog.flush();
    // The scan finds what is there: the address in the tables of every feature used above.
    expect(Object.keys(await tablesMentioning(ADDRESS)).sort()).toEqual(
      expect.arrayContaining([
        'audit_events',
        'content_reports',
        'grants',
        'mail_outbox',
        'rate_limit_counters',
        'support_reports',
        'visitors',
        'webhook_deliveries',
      ]),
    );
    logsBefore = h.logs.length;
  });

  it('exports everything held: addresses, grants, sessions, passkeys, handoffs, links, pending sign-ins, mail, audit, security events, reports', () => {
    expect(exported.storefront).toBe('gharart');
    expect(exported.visitor).toEqual({ id: visitorId, email: ADDRESS, createdAt: expect.any(String) });
    const count = (key: string) => (exported[key] as unknown[]).length;
    expect((exported.grants as { resource: string }[]).map((g) => g.resource).sort()).toEqual(['/content/course/*', '/content/workshop/*']);
    expect(exported.addresses).toEqual({
      further: [
        { email: SECOND, addedAt: expect.any(String), verifiedAt: expect.any(String) },
        { email: UNCONFIRMED, addedAt: expect.any(String), verifiedAt: null },
      ],
      primaryChanges: [],
    });
    expect(count('sessions')).toBe(3); // link, code, handoff
    expect(count('passkeys')).toBe(1);
    expect(count('handoffs')).toBe(1);
    expect(count('signInLinks')).toBe(3);
    expect(count('pendingSignIns')).toBe(3); // every link asked for from a browser waits there
    expect(count('mail')).toBeGreaterThanOrEqual(2);
    expect(count('supportReports')).toBe(1);
    expect(count('contentReports')).toBe(1);
    expect(count('securityEvents')).toBe(1);
    expect((exported.auditEvents as { kind: string }[]).map((a) => a.kind)).toContain('link_consumed');
    // Never a token, hash, code or public key.
    const text = JSON.stringify(exported);
    for (const secret of ['token_hash', 'tokenHash', 'code_hash', 'codeHash', 'public_key', 'publicKey', 'payload', 'vs_', 'vml_'])
      expect(text).not.toContain(secret);
  });

  it('refuses erasure without a credential (401) or without the visitor:delete scope (403)', async () => {
    expect(await code(await h.fetch(`/v2/access/visitors?email=${ADDRESS}`, { ...SERVICE, method: 'DELETE' }))).toEqual([
      401,
      'unauthorized',
    ]);
    expect(await code(await erase(ADDRESS, readOnly))).toEqual([403, 'insufficient_scope']);
    expect(await code(await erase('not-an-address'))).toEqual([400, 'invalid_email']);
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(200);
  });

  describe('after the storefront erased the address', () => {
    beforeAll(async () => {
      expect((await erase(TYPED)).status).toBe(204);
      expect((await erase(TYPED)).status).toBe(204); // idempotent
      expect((await erase('never-seen@example.com')).status).toBe(204);
      await h.deps.requestLog.flush();
    });

    it('leaves the address in no table (every column of every table, any case, URL-encoded too)', async () => {
      for (const needle of [ADDRESS, ADDRESS.toUpperCase(), TYPED, ADDRESS.replace('@', '%40'), SECOND, UNCONFIRMED])
        expect([needle, await tablesMentioning(needle)]).toEqual([needle, {}]);
    });

    it('writes no log line naming the address afterwards', () => {
      const after = h.logs.slice(logsBefore).join('\n').toLowerCase();
      expect(after.length).toBeGreaterThan(0);
      expect(after).not.toContain(ADDRESS);
      expect(after).not.toContain(ADDRESS.replace('@', '%40'));
    });

    it('ends the sessions at once, at the edge too (this instance’s cache forgets them)', async () => {
      expect(await code(await h.fetch('/v2/visitor/me', { jar }))).toEqual([401, 'not_signed_in']);
      expect((await edge('/content/course/1', jar)).status).toBe(401);
    });

    it('keeps audit and security rows, pseudonymised: no visitor id, IP or user agent; one pseudonym for the erasure', async () => {
      const audit = await h.db.many<{ subject: string }>(
        sql`select detail->>'subject' as subject from audit_events where detail ? 'subject'`,
      );
      expect(audit.length).toBeGreaterThan(5);
      const pseudonyms = new Set(audit.map((a) => a.subject));
      expect(pseudonyms.size).toBe(1);
      expect([...pseudonyms][0]).toMatch(/^erased:[0-9a-f-]{36}$/);
      expect(await h.db.one(sql`select count(*)::int as n from audit_events where visitor_id = ${visitorId}::uuid`)).toEqual({ n: 0 });
      const events = await h.db.many(sql`select visitor_id, ip, user_agent, detail->>'subject' as subject from security_events`);
      expect(events).toEqual([{ visitor_id: null, ip: null, user_agent: null, subject: [...pseudonyms][0] }]);
      const erased = await h.db.many<{ actor: string }>(sql`select actor from audit_events where kind = 'visitor_erased'`);
      expect(erased).toEqual([{ actor: expect.stringMatching(/^pat:/) }]);
      const logged = await h.db.one<{ n: number }>(
        sql`select count(*)::int as n from request_log where visitor_id = ${visitorId}::uuid or (ip is not null and session_id is not null and status = 200 and path = '/v2/visitor/me')`,
      );
      expect(logged).toEqual({ n: 0 });
    });

    it('queues visitor.deleted (ids only) and leaves no address in queued deliveries', async () => {
      const deleted = await h.db.many(sql`select data, email from webhook_deliveries where type = 'visitor.deleted'`);
      expect(deleted).toEqual([{ data: { visitorId, requestId: expect.stringMatching(/^req_/) }, email: null }]);
      const before = await h.db.one<{ n: number }>(sql`select count(*)::int as n from webhook_deliveries where type = 'visitor.signed_in'`);
      expect(before!.n).toBeGreaterThan(0); // the endpoint had events of the buyer, now without the address
    });

    it('lets the address start again as a new visitor', async () => {
      const again = await h.signIn(TYPED);
      const me = (await (await h.fetch('/v2/visitor/me', { jar: again.jar })).json()) as { visitor: { id: string } };
      expect(me.visitor.id).not.toBe(visitorId);
      // The old grant went with the erasure.
      expect((await edge('/content/course/1', again.jar)).status).toBe(403);
    });
  });
});

describe('DELETE /v2/access/visitors with a storefront JWT', () => {
  async function jwt(scope: string): Promise<string> {
    return (await storefrontJwtKey(h, h.gharart.id)).jwt(scope);
  }

  it('erases with the visitor:delete scope (audited as the key), refuses without it (403 insufficient_scope)', async () => {
    const { jar } = await h.signIn('jwt-erase@example.com');
    expect(await code(await erase('jwt-erase@example.com', await jwt('access:write')))).toEqual([403, 'insufficient_scope']);
    const erased = await erase('jwt-erase@example.com', await jwt('visitor:delete'));
    expect(erased.status).toBe(204);
    expect(await code(await h.fetch('/v2/visitor/me', { jar }))).toEqual([401, 'not_signed_in']);
    const audit = await h.db.many(
      sql`select actor from audit_events where kind = 'visitor_erased' and request_id = ${erased.headers.get('x-request-id')}`,
    );
    expect(audit).toEqual([{ actor: expect.stringMatching(/^jwt:/) }]);
  });
});

describe('GET /v2/visitor/export', () => {
  it('needs a session (401) and a full one: a handoff’s order-scoped session is refused (403 step_up_required)', async () => {
    expect(await code(await h.fetch('/v2/visitor/export'))).toEqual([401, 'not_signed_in']);
    const handoff = await h.json(
      '/v2/access/handoffs',
      { email: 'order-only@example.com', orderId: 'O-1' },
      { ...SERVICE, headers: bearer(storefront) },
    );
    const path = new URL(((await handoff.json()) as { url: string }).url).pathname;
    const jar = new CookieJar();
    await h.fetch(path, { jar });
    await h.form(path, {}, { jar });
    expect(await code(await h.fetch('/v2/visitor/export', { jar }))).toEqual([403, 'step_up_required']);
  });
});

describe('a shopper’s own erasure: the session plus a fresh code mailed for it', () => {
  let ipCounter = 0;
  /** Each test asks from its own client IP (codes are limited per IP). */
  const freshIp = () => `198.51.100.${++ipCounter}`;

  async function askCode(jar: CookieJar, ip: string): Promise<string> {
    const before = h.mail.messages.length;
    const asked = await h.json('/v2/visitor/delete/code', {}, { jar, ip, headers: ORIGIN });
    expect(asked.status).toBe(202);
    expect(Date.parse(((await asked.json()) as { expiresAt: string }).expiresAt) - h.clock.now().getTime()).toBe(15 * 60 * 1000);
    await h.deliver();
    expect(h.mail.messages.length).toBe(before + 1);
    const mail = h.mail.messages.at(-1)!;
    expect(mail.subject).toBe('Your code to delete your account at Gharart');
    return /^(\d{6})$/m.exec(mail.text)![1]!;
  }

  function confirm(jar: CookieJar, value: string, ip: string): Promise<Response> {
    return h.json('/v2/visitor/delete', { code: value }, { jar, ip, headers: ORIGIN });
  }

  it('refuses no code, a wrong, an old, an expired, another session’s and a sign-in code (400 invalid_code); then erases with the right one', async () => {
    const ip = freshIp();
    const email = 'self-erase@example.com';
    const { jar } = await h.signIn(email);
    const { visitor } = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { visitor: { id: string } };
    expect(await code(await confirm(jar, '123456', ip))).toEqual([400, 'invalid_code']); // none asked for
    const old = await askCode(jar, ip);
    const fresh = await askCode(jar, ip);
    expect(await code(await confirm(jar, old === fresh ? String((Number(old) + 1) % 1e6).padStart(6, '0') : old, ip))).toEqual([
      400,
      'invalid_code',
    ]);
    // A sign-in code for the same address (another purpose).
    const signInCode = (await h.requestLink(email)).code!;
    expect(await code(await confirm(jar, signInCode, ip))).toEqual([400, 'invalid_code']);
    // …and the other way round: an erasure code signs nobody in.
    expect(await code(await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email, code: fresh }, { ip }))).toEqual([
      400,
      'invalid_code',
    ]);
    // The same visitor in another browser: not the session that asked.
    const other = (await h.signIn(email)).jar;
    expect(await code(await confirm(other, fresh, ip))).toEqual([400, 'invalid_code']);
    // Expired.
    h.clock.advance(15 * 60 + 1);
    expect(await code(await confirm(jar, fresh, ip))).toEqual([400, 'invalid_code']);
    const live = await askCode(jar, ip);
    const erased = await confirm(jar, ` ${live} `, ip);
    expect(erased.status).toBe(204);
    expect(erased.headers.getSetCookie().join()).toContain('__Host-visitor_session=;');
    expect(await code(await h.fetch('/v2/visitor/me', { jar }))).toEqual([401, 'not_signed_in']);
    expect(await code(await h.fetch('/v2/visitor/me', { jar: other }))).toEqual([401, 'not_signed_in']);
    await h.deps.requestLog.flush();
    expect(await tablesMentioning(email)).toEqual({});
    const kept = await h.db.many(
      sql`select kind, actor from audit_events where kind = 'visitor_erased' and request_id = ${erased.headers.get('x-request-id')}`,
    );
    expect(kept).toEqual([{ kind: 'visitor_erased', actor: 'visitor' }]);
    // Its request-log row names no visitor.
    const row = await h.db.one(
      sql`select visitor_id, session_id from request_log where request_id = ${erased.headers.get('x-request-id')}`,
    );
    expect(row).toEqual({ visitor_id: null, session_id: null });
    expect(visitor.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('burns a code after 5 wrong tries (the 5th answers 429 code_attempts_exceeded; the right code then too)', async () => {
    const ip = freshIp();
    const { jar } = await h.signIn('tries@example.com');
    const right = await askCode(jar, ip);
    const wrong = String((Number(right) + 1) % 1e6).padStart(6, '0');
    for (let i = 1; i <= 4; i++) expect(await code(await confirm(jar, wrong, ip))).toEqual([400, 'invalid_code']);
    expect(await code(await confirm(jar, wrong, ip))).toEqual([429, 'code_attempts_exceeded']);
    expect(await code(await confirm(jar, right, ip))).toEqual([429, 'code_attempts_exceeded']);
    expect((await h.fetch('/v2/visitor/me', { jar })).status).toBe(200);
    // A new code works again.
    expect((await confirm(jar, await askCode(jar, ip), ip)).status).toBe(204);
  });

  it('needs a full session (403 step_up_required for a handoff’s), a signed-in shopper (401) and the storefront’s origin (403 csrf_rejected)', async () => {
    const ip = freshIp();
    expect(await code(await h.json('/v2/visitor/delete/code', {}, { ip, headers: ORIGIN }))).toEqual([401, 'not_signed_in']);
    const handoff = await h.json(
      '/v2/access/handoffs',
      { email: 'order-erase@example.com', orderId: 'O-2' },
      { ...SERVICE, headers: bearer(storefront) },
    );
    const path = new URL(((await handoff.json()) as { url: string }).url).pathname;
    const orderJar = new CookieJar();
    await h.fetch(path, { jar: orderJar });
    await h.form(path, {}, { jar: orderJar });
    expect(await code(await h.json('/v2/visitor/delete/code', {}, { jar: orderJar, ip, headers: ORIGIN }))).toEqual([
      403,
      'step_up_required',
    ]);
    const { jar } = await h.signIn('csrf-erase@example.com');
    const crossSite = await h.json('/v2/visitor/delete/code', {}, { jar, ip, headers: { origin: 'https://evil.example' } });
    expect(await code(crossSite)).toEqual([403, 'csrf_rejected']);
    expect(
      await code(await h.json('/v2/visitor/delete', { code: '123456' }, { jar, ip, headers: { origin: 'https://evil.example' } })),
    ).toEqual([403, 'csrf_rejected']);
  });

  it('works as a page without JavaScript: sign in first, ask for the code, a wrong one shown beside the field, then done (German too)', async () => {
    const ip = freshIp();
    const signedOut = await h.fetch('/_edge/visitor/delete', { ip, headers: { 'accept-language': 'de' } });
    expect(signedOut.status).toBe(200);
    const signedOutPage = await signedOut.text();
    expect(signedOutPage).toContain('Ihr Konto bei Gharart löschen');
    expect(signedOutPage).toContain('href="/_edge/visitor/sign-in?returnTo=%2F_edge%2Fvisitor%2Fdelete"');
    const { jar } = await h.signIn('page-erase@example.com');
    const ready = await (await h.fetch('/_edge/visitor/delete', { jar, ip })).text();
    expect(ready).toContain('page-erase@example.com');
    expect(ready).toContain('action="/v2/visitor/delete/code"');
    expect(ready).toContain('href="/v2/visitor/export"');
    const sent = await h.form('/v2/visitor/delete/code', {}, { jar, ip });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toBe('/_edge/visitor/delete?sent=1');
    await h.deliver();
    const value = /^(\d{6})$/m.exec(h.mail.to('page-erase@example.com').at(-1)!.text)![1]!;
    const codeForm = await (await h.fetch('/_edge/visitor/delete?sent=1', { jar, ip })).text();
    expect(codeForm).toContain('name="code"');
    const wrong = await h.form('/v2/visitor/delete', { code: String((Number(value) + 1) % 1e6).padStart(6, '0') }, { jar, ip });
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/_edge/visitor/delete?sent=1&error=invalid_code');
    expect(await (await h.fetch(wrong.headers.get('location')!, { jar, ip })).text()).toContain('aria-invalid="true"');
    const done = await h.form('/v2/visitor/delete', { code: value }, { jar, ip });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/_edge/visitor/deleted');
    const after = await (await h.fetch('/_edge/visitor/deleted', { jar, ip })).text();
    expect(after).toContain('Your account is deleted');
    // A cross-site form is refused before anything happens.
    const again = (await h.signIn('page-erase@example.com')).jar;
    expect((await h.form('/v2/visitor/delete/code', {}, { jar: again, ip, headers: { origin: 'https://evil.example' } })).status).toBe(403);
  });
});

describe('support and operators: the same export', () => {
  it('the console’s shopper page offers "Download export": the JSON as an attachment, audited as the operator; CSRF-checked', async () => {
    const email = 'console-export@example.com';
    await h.signIn(email);
    await upsertOperator(h.db, { email: 'exporter@ops.test', role: 'support', tenantIds: [h.gharart.id], now: h.clock.now() });
    const operator = await new ConsoleClient(h, 'exporter@ops.test', '203.0.113.77').signIn();
    const page = await (await operator.get(`/console/tenants/gharart/shopper?email=${encodeURIComponent(email)}`)).text();
    expect(page).toContain('action="/console/tenants/gharart/shopper/export"');
    expect(page).toContain('Download export (JSON)');
    const download = await operator.post('/console/tenants/gharart/shopper/export', { csrf: operator.csrf, email });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="gharart-export.json"');
    const held = (await download.json()) as { visitor: { id: string; email: string }; sessions: unknown[] };
    expect(held.visitor.email).toBe(email);
    expect(held.sessions).toHaveLength(1);
    const audit = await h.db.many(
      sql`select actor, visitor_id from audit_events where kind = 'visitor_exported' and request_id = ${download.headers.get('x-request-id')}`,
    );
    expect(audit).toEqual([{ actor: expect.stringMatching(/^operator:/), visitor_id: held.visitor.id }]);
    expect((await operator.post('/console/tenants/gharart/shopper/export', { csrf: 'wrong', email })).status).toBe(403);
    expect(
      (await operator.post('/console/tenants/gharart/shopper/export', { csrf: operator.csrf, email }, { origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    // Another storefront's shopper is not this support operator's.
    expect((await operator.post('/console/tenants/other/shopper/export', { csrf: operator.csrf, email })).status).toBe(403);
    // Nothing held: 404.
    expect(
      (await operator.post('/console/tenants/gharart/shopper/export', { csrf: operator.csrf, email: 'nobody-here@example.com' })).status,
    ).toBe(404);
  });

  it('`visitors export` and `visitors erase` give an operator the same export and erasure', async () => {
    const email = 'cli-export@example.com';
    const { jar } = await h.signIn(email);
    const config = h.deps.config;
    const exported = await visitorCommand(['export', '--handle', 'gharart', '--email', 'CLI-Export@example.com']).run(h.db, config);
    expect((exported.json as { visitor: { email: string } }).visitor.email).toBe(email);
    expect(JSON.parse(exported.text)).toEqual(JSON.parse(JSON.stringify(exported.json)));
    const erased = await visitorCommand(['erase', '--handle', 'gharart', '--email', email]).run(h.db, config);
    expect(erased.json).toEqual({ erased: true, pseudonym: expect.stringMatching(/^erased:/), requestId: expect.stringMatching(/^cli_/) });
    expect(await code(await h.fetch('/v2/visitor/me', { jar }))).toEqual([401, 'not_signed_in']);
    await expect(visitorCommand(['export', '--handle', 'gharart', '--email', email]).run(h.db, config)).rejects.toMatchObject({
      code: 'visitor_not_found',
    });
    expect(() => visitorCommand(['export', '--handle', 'gharart', '--email', 'nope'])).toThrow('is not a valid email address');
  });
});
