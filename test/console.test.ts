// The support console's sign-in, black-box through the real app on a real database with mail
// captured over real SMTP: operators sign in by magic link (the shoppers' machinery), everyone else
// gets the same answer and no mail, console sessions end after 30 idle minutes and 12 hours in all,
// and every pre-session form is CSRF-protected.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { findConsoleTenant } from '../src/console/console-tenant.ts';
import { removeOperator, upsertOperator } from '../src/console/operators.ts';
import { sql } from '../src/db/sql.ts';
import { listTenants } from '../src/tenants/tenants.ts';
import { codeOf, CONSOLE_ORIGIN, ConsoleClient, consoleLinkOf, csrfOf } from './console-client.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
const ADMIN = 'admin@ops.test';

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

beforeAll(async () => {
  h = await Harness.start();
  await upsertOperator(h.db, { email: ADMIN, role: 'admin', tenantIds: [], now: h.clock.now() });
});
afterAll(() => h.close());

let adminCounter = 0;
/** A signed-in admin of their own (each address has its own per-email mail limit). */
async function signedInAdmin(): Promise<ConsoleClient> {
  const email = `admin-${++adminCounter}@ops.test`;
  await upsertOperator(h.db, { email, role: 'admin', tenantIds: [], now: h.clock.now() });
  return new ConsoleClient(h, email, freshIp()).signIn();
}

async function operator(email: string): Promise<ConsoleClient> {
  await upsertOperator(h.db, { email, role: 'support', tenantIds: [h.gharart.id], now: h.clock.now() });
  return new ConsoleClient(h, email, freshIp());
}

/** An answer with its request ids and one-off tokens blanked out, to compare two answers. */
function shape(response: Response, body: string) {
  return {
    status: response.status,
    location: response.headers.get('location'),
    body: body.replace(/req_[0-9a-f]{24}/g, 'REQ').replace(/value="[A-Za-z0-9_-]{43}"/g, 'value="TOKEN"'),
  };
}

describe('console sign-in', () => {
  it('mails an operator a link to {PUBLIC_URL}/console/t/{token} with no code, from the shared outbox', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    const asked = await client.requestLink();
    expect(asked.status).toBe(303);
    expect(asked.headers.get('location')).toBe('/console/check-email');
    expect(asked.headers.get('ratelimit-policy')).toBe('"per-ip";q=30;w=60, "per-tenant";q=600;w=60');
    // The mail is an outbox row like a shopper's, written with the link.
    const [row] = await h.db.many<{ status: string; kind: string }>(sql`
      select o.status, o.kind from mail_outbox o join magic_links l on l.id = o.magic_link_id where l.request_id = ${asked.headers.get('x-request-id')}`);
    expect(row).toEqual({ status: 'pending', kind: 'magic_link' });
    const mail = await client.mail();
    expect(consoleLinkOf(mail)).toMatch(/^http:\/\/localhost\/console\/t\/vcl_[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(mail.subject).toBe('Your sign-in link for Visitor Access support console');
    expect(mail.text).not.toMatch(/\b\d{6}\b/); // no code: the console signs in by link only
    expect(mail.text).toContain('The link works once, for 15 minutes.');
    expect(mail.html).not.toContain('Or enter this code');
  });

  it('signs in with the link: GET shows Continue and consumes nothing, POST sets __Host-console_session (Strict, 12 h)', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    await client.requestLink();
    const path = new URL(consoleLinkOf(await client.mail())).pathname;
    // Mail scanners prefetch links: GETs never sign in.
    for (let i = 0; i < 2; i++) {
      const page = await client.get(path);
      expect(page.status).toBe(200);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-robots-tag')).toBe('noindex');
      expect(await page.text()).toContain('>Continue</button>');
    }
    const check = client.jar.values.get('__Host-console_check')!;
    const done = await client.post(path, { csrf: check });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/console/');
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('__Host-console_session='))!;
    expect(cookie).toMatch(/^__Host-console_session=vcs_[^;]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const home = await client.get('/console/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(`${ADMIN} · admin`);

    // The link was consumed by the one single-use statement: a second POST elsewhere is a replay.
    const stranger = new ConsoleClient(h, ADMIN, freshIp());
    const strangerPage = await stranger.get(path);
    expect(strangerPage.status).toBe(409);
    const strangerHtml = await strangerPage.text();
    expect(codeOf(strangerHtml)).toBe('used_magic_link');
    // When, in words a person reads: never a millisecond ISO time.
    expect(strangerHtml).toMatch(/this one was used <time datetime="[^"]+Z">today at \d\d:\d\d UTC<\/time> \(just now\)/);
    expect(strangerHtml).not.toMatch(/\.\d{3}Z/);
    const [event] = await h.db.many<{ kind: string }>(
      sql`select kind from security_events where request_id = ${strangerPage.headers.get('x-request-id')}`,
    );
    expect(event?.kind).toBe('used_link_replayed');
    // …while the browser that used it is simply sent on.
    const again = await client.get(path);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/console/');
  });

  it('answers a non-operator exactly like an operator, and sends no mail', async () => {
    const ip = freshIp();
    const operatorClient = new ConsoleClient(h, ADMIN, ip);
    const strangerClient = new ConsoleClient(h, 'nobody@example.com', ip);
    const a = await operatorClient.requestLink();
    const b = await strangerClient.requestLink();
    expect(shape(b, await b.text())).toEqual(shape(a, await a.text()));
    const [pageA, pageB] = await Promise.all([operatorClient.get('/console/check-email'), strangerClient.get('/console/check-email')]);
    expect(shape(pageB, await pageB.text())).toEqual(shape(pageA, await pageA.text()));
    const before = h.mail.messages.length;
    expect(await h.deliver()).toBe(1); // the operator's
    expect(h.mail.messages.length).toBe(before + 1);
    expect(h.mail.to('nobody@example.com')).toEqual([]);
    const [row] = await h.db.many<{ count: number }>(sql`select count(*)::int as count from visitors where email = 'nobody@example.com'`);
    expect(row!.count).toBe(0);
  });

  it('refuses a malformed address with the form again (400), and counts requests like the shoppers’ sign-in (429 past 30/min per IP)', async () => {
    const ip = freshIp();
    const client = new ConsoleClient(h, ADMIN, ip);
    const bad = await client.requestLink('not-an-email');
    expect(bad.status).toBe(400);
    const page = await bad.text();
    expect(page).toContain('Enter a valid email address');
    expect(page).toContain('value="not-an-email"');
    const csrf = csrfOf(page);
    let last: Response | null = null;
    for (let i = 0; i < 31; i++) last = await client.post('/console/sign-in', { email: `someone-${i}@example.com`, csrf });
    expect(last!.status).toBe(429);
    expect(codeOf(await last!.text())).toBe('rate_limited');
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(last!.headers.get('ratelimit')).toMatch(/^"per-ip";r=0;t=\d+, "per-tenant";r=\d+;t=\d+$/);
  });

  it('sends an operator no more than the per-email limit (5 mails per 15 min), with the same answer', async () => {
    const email = 'busy@ops.test';
    const client = await operator(email);
    for (let i = 0; i < 7; i++) {
      const answer = await client.requestLink();
      expect(answer.status).toBe(303);
    }
    await h.deliver();
    expect(h.mail.to(email)).toHaveLength(5);
  });

  it('keeps the link unused when the browser drops the test cookie, and answers cookie_blocked', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    await client.requestLink();
    const path = new URL(consoleLinkOf(await client.mail())).pathname;
    const csrf = csrfOf(await (await client.get(path)).text());
    client.jar.values.delete('__Host-console_check');
    const blocked = await client.post(path, { csrf });
    expect(blocked.status).toBe(400);
    expect(codeOf(await blocked.text())).toBe('cookie_blocked');
    // "Try again" with cookies allowed now works: the link was not used.
    const retry = await client.post(path, { csrf: client.jar.values.get('__Host-console_check')! });
    expect(retry.status).toBe(303);
    expect(retry.headers.get('location')).toBe('/console/');
  });

  it('treats an expired or forged link as such', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    await client.requestLink();
    const path = new URL(consoleLinkOf(await client.mail())).pathname;
    h.clock.advance(16 * 60);
    const expired = await client.get(path);
    expect(expired.status).toBe(410);
    const expiredHtml = await expired.text();
    expect(codeOf(expiredHtml)).toBe('expired_magic_link');
    expect(expiredHtml).toMatch(/this one expired <time datetime="[^"]+Z">[^<]+ UTC<\/time> \(\d+ minutes? ago\)/);
    expect(expiredHtml).not.toMatch(/\.\d{3}Z/);
    const forged = await client.get(`/console/t/vml_${'A'.repeat(43)}.${'B'.repeat(22)}`);
    expect(forged.status).toBe(400);
    expect(codeOf(await forged.text())).toBe('invalid_magic_link');
  });

  it('accepts only console links: a shopper’s link at /console/t/ is not valid, and shoppers’ routes cannot reach the console tenant', async () => {
    const shopperMail = await h.requestLink('shopper@example.com', { handle: 'gharart' });
    const client = new ConsoleClient(h, ADMIN, freshIp());
    const page = await client.get(`/console/t/${shopperMail.token}`);
    expect(page.status).toBe(400);
    expect(codeOf(await page.text())).toBe('invalid_magic_link');
    // The console's tenant has a handle outside the handle grammar: no visitor route can name it.
    const tenant = await findConsoleTenant(h.db);
    expect(tenant?.handle).toBe('_console');
    expect(tenant?.hosts).toEqual([]);
    const request = await h.json('/v2/visitor/auth/magic-link', { handle: '_console', email: ADMIN }, { host: SERVICE_HOST });
    expect(request.status).toBe(404);
    expect((await request.json()).code).toBe('unknown_handle');
    const verify = await h.json('/v2/visitor/auth/verify', { handle: '_console', email: ADMIN, code: '123456' }, { host: SERVICE_HOST });
    expect(verify.status).toBe(404);
  });

  it('never logs the console link token, and the request log keeps the path redacted', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    await client.requestLink();
    const link = consoleLinkOf(await client.mail());
    const token = link.split('/t/')[1]!;
    const answer = await client.get(new URL(link).pathname);
    await h.deps.requestLog.flush();
    expect(h.logs.join('\n')).not.toContain(token);
    const [row] = await h.db.many<{ path: string }>(
      sql`select path from request_log where request_id = ${answer.headers.get('x-request-id')}`,
    );
    expect(row?.path).toBe('/console/t/[redacted]');
    const below = await client.get(`${new URL(link).pathname}/more`);
    expect(below.status).toBe(404);
    expect(h.logs.join('\n')).not.toContain(token);
  });
});

describe('console sessions', () => {
  it('send a signed-out browser to the sign-in page', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    for (const path of ['/console/', '/console/tenants/gharart', '/console/requests']) {
      const answer = await client.get(path);
      expect([path, answer.status, answer.headers.get('location')]).toEqual([path, 303, '/console/sign-in']);
    }
    const post = await client.post('/console/tenants/gharart/actions/resend', { email: 'a@example.com', csrf: 'x' });
    expect(post.status).toBe(401);
    expect(codeOf(await post.text())).toBe('not_signed_in');
  });

  it('end after 30 minutes without a request (server-side), and stay alive while used', async () => {
    const client = await signedInAdmin();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(25 * 60);
      expect((await client.get('/console/')).status).toBe(200);
    }
    const stale = [...client.jar.values];
    h.clock.advance(31 * 60);
    const idle = await client.get('/console/');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/console/sign-in?notice=idle');
    expect(idle.headers.getSetCookie().some((c) => /^__Host-console_session=;.*Max-Age=0; Path=\/;.*Secure/.test(c))).toBe(true);
    expect(await (await client.get('/console/sign-in?notice=idle')).text()).toContain('30 minutes without activity');
    // The old cookie, kept by a misbehaving browser, is dead on the server too.
    const replay = new CookieJar();
    for (const [name, value] of stale) replay.values.set(name, value);
    const again = await h.fetch('/console/', { host: SERVICE_HOST, jar: replay });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/console/sign-in');
  });

  it('end 12 hours after sign-in however active the operator is', async () => {
    const client = await signedInAdmin();
    for (let elapsed = 0; elapsed + 25 * 60 < 12 * 3600; elapsed += 25 * 60) {
      h.clock.advance(25 * 60);
      expect((await client.get('/console/')).status).toBe(200);
    }
    h.clock.advance(25 * 60);
    const ended = await client.get('/console/');
    expect(ended.status).toBe(303);
    expect(ended.headers.get('location')).toBe('/console/sign-in?notice=absolute');
  });

  it('end at sign-out (POST with the session’s CSRF token), and when the operator is removed', async () => {
    const client = await signedInAdmin();
    const out = await client.post('/console/sign-out', { csrf: client.csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/sign-in?notice=signed-out');
    expect((await client.get('/console/')).status).toBe(303);

    const leaving = await operator('leaving@ops.test');
    await leaving.signIn();
    expect((await leaving.get('/console/')).status).toBe(200);
    expect((await removeOperator(h.db, 'leaving@ops.test', h.clock.now()))?.sessionsEnded).toBe(1);
    expect((await leaving.get('/console/')).status).toBe(303);
    // …and a removed operator's address gets no more links.
    await leaving.requestLink();
    const before = h.mail.to('leaving@ops.test').length;
    await h.deliver();
    expect(h.mail.to('leaving@ops.test').length).toBe(before);
  });

  it('survive a link from mail or chat: a cross-site arrival (no Strict cookie) reloads the page from the console itself', async () => {
    const client = await signedInAdmin();
    expect(client.jar.values.get('__Host-console_hint')).toBe('1');
    // What the browser sends on a cross-site navigation: the Lax hint, not the Strict session.
    const crossSite = new CookieJar();
    crossSite.values.set('__Host-console_hint', '1');
    const arrival = await h.fetch('/console/tenants/gharart?x=1', {
      host: SERVICE_HOST,
      jar: crossSite,
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(arrival.status).toBe(200);
    expect(await arrival.text()).toContain('<meta http-equiv="refresh" content="0;url=/console/tenants/gharart?x=1">');
    // The reload is same-origin and carries the session; without one it is the sign-in page (no loop).
    const reload = await client.get('/console/tenants/gharart?x=1');
    expect(reload.status).toBe(200);
    const without = await h.fetch('/console/tenants/gharart', {
      host: SERVICE_HOST,
      jar: crossSite,
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(without.headers.get('location')).toBe('/console/sign-in');
    // Signing out forgets the hint.
    await client.post('/console/sign-out', { csrf: client.csrf });
    expect(client.jar.values.has('__Host-console_hint')).toBe(false);
  });

  it('read one value per query name (never a 500 on repeated names)', async () => {
    const client = await signedInAdmin();
    for (const path of [
      '/console/requests?id=a&id=b',
      '/console/find?tenant=gharart&tenant=other&email=a@b.co',
      '/console/tenants/gharart/shopper?email=x&email=a@example.com',
      '/console/tenants/gharart/confirm?action=resend&action=x&email=a@example.com',
    ]) {
      const answer = await client.get(path);
      expect([path, answer.status < 500]).toEqual([path, true]);
    }
  });

  it('are never a shopper’s session: a visitor token in the console cookie opens nothing', async () => {
    const { jar } = await h.signIn('visitor-in-console@example.com', { handle: 'gharart' });
    const visitorToken = jar.values.get('__Host-visitor_session')!;
    expect(visitorToken).toStartWith('vs_');
    const forged = new CookieJar();
    forged.values.set('__Host-console_session', visitorToken);
    const answer = await h.fetch('/console/', { host: SERVICE_HOST, jar: forged });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/console/sign-in');
  });
});

describe('CSRF on the sign-in forms', () => {
  it('refuses the sign-in form without, or with a wrong, token (403) and from another origin', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    const csrf = csrfOf(await (await client.get('/console/sign-in')).text());
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ['missing token', { email: ADMIN }, { origin: CONSOLE_ORIGIN }],
      ['wrong token', { email: ADMIN, csrf: `${csrf.slice(0, -2)}xx` }, { origin: CONSOLE_ORIGIN }],
      ['other origin', { email: ADMIN, csrf }, { origin: 'https://evil.example' }],
      ['null origin, cross-site', { email: ADMIN, csrf }, { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [label, fields, headers] of cases) {
      const answer = await client.post('/console/sign-in', fields, headers);
      expect([label, answer.status, codeOf(await answer.text())]).toEqual([label, 403, 'csrf_rejected']);
    }
    // From our own no-referrer page a browser sends Origin: null with Sec-Fetch-Site: same-origin.
    const ok = await client.post('/console/sign-in', { email: ADMIN, csrf }, { origin: 'null', 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(303);
  });

  it('refuses the link’s Continue form without the right token, leaving the link unused', async () => {
    const client = new ConsoleClient(h, ADMIN, freshIp());
    await client.requestLink();
    const path = new URL(consoleLinkOf(await client.mail())).pathname;
    const csrf = csrfOf(await (await client.get(path)).text());
    for (const [label, fields, headers] of [
      ['missing token', {}, { origin: CONSOLE_ORIGIN }],
      ['wrong token', { csrf: 'A'.repeat(43) }, { origin: CONSOLE_ORIGIN }],
      ['other origin', { csrf }, { origin: 'https://evil.example' }],
    ] as const) {
      const answer = await client.post(path, fields as Record<string, string>, headers as Record<string, string>);
      expect([label, answer.status, codeOf(await answer.text())]).toEqual([label, 403, 'csrf_rejected']);
    }
    expect((await client.post(path, { csrf })).status).toBe(303);
  });

  it('refuses sign-out without the session’s token, and the session lives on', async () => {
    const client = await signedInAdmin();
    for (const fields of [{}, { csrf: 'wrong' }] as Record<string, string>[]) {
      const answer = await client.post('/console/sign-out', fields);
      expect(answer.status).toBe(403);
      expect(codeOf(await answer.text())).toBe('csrf_rejected');
    }
    expect((await client.get('/console/')).status).toBe(200);
  });
});

describe('the request-id lookup', () => {
  it('finds a request whatever the case its id is typed in (ids are minted lower-case)', async () => {
    const client = await signedInAdmin();
    const asked = await h.json('/v2/visitor/auth/magic-link', { email: 'case-lookup@example.com' });
    expect(asked.status).toBe(202);
    const requestId = asked.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^req_[0-9a-f]{24}$/);
    await h.deliver();
    for (const typed of [requestId, requestId.toUpperCase(), `Req_${requestId.slice(4).toUpperCase()}`]) {
      const answer = await client.get(`/console/requests?id=${typed}`);
      const page = await answer.text();
      expect([typed, answer.status, page.includes('sign_in_requested')]).toEqual([typed, 200, true]);
    }
    expect((await client.get('/console/requests?id=REQ_000000000000000000000000')).status).toBe(404);
  });
});

describe('the internal console tenant', () => {
  it('never shows in tenant list, even once operators exist (docs/console.md)', async () => {
    expect(await findConsoleTenant(h.db)).not.toBeNull();
    const handles = (await listTenants(h.db)).map((t) => t.handle);
    expect(handles).toContain('gharart');
    expect(handles).not.toContain('_console');
  });
});
