import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

async function openLink(email: string, body: Record<string, unknown> = {}) {
  const mail = await h.requestLink(email, body);
  return { mail, path: Harness.pathOf(mail.link!), jar: new CookieJar() };
}

function expectLinkHeaders(response: Response) {
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-robots-tag')).toBe('noindex');
}

describe('GET /_edge/visitor/access/t/{token}', () => {
  it('shows a Continue button, sets the test cookie, and never consumes (mail scanners prefetch)', async () => {
    const { path, jar } = await openLink('prefetch@example.com');
    for (let i = 0; i < 3; i++) {
      const page = await h.fetch(path, { jar });
      expect(page.status).toBe(200);
      expectLinkHeaders(page);
      const html = await page.text();
      expect(html).toContain('<form method="post"');
      expect(html).toContain('Continue');
    }
    const head = await h.fetch(path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const check = (await h.fetch(path)).headers.getSetCookie().find((c) => c.startsWith('__Host-visitor_check='))!;
    expect(check).toContain('HttpOnly');
    expect(check).toContain('Secure');
    expect(check).toContain('SameSite=Lax');
    expect(check).toMatch(/Max-Age=(89\d|900)/);
    const signedIn = await h.form(path, {}, { jar });
    expect(signedIn.status).toBe(303);
  });

  it('answers 400 invalid_magic_link for a tampered token without touching the database', async () => {
    const { mail } = await openLink('tamper@example.com');
    const token = mail.token!;
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    await h.fetch(Harness.pathOf(mail.link!)); // warms the host → tenant cache
    // The request log writes on a 250 ms timer: flush it first, or its write can land in the count.
    await h.deps.requestLog.flush();
    const before = h.counter.queries;
    for (const bad of [flipped, token.slice(0, -1), `${token}x`, token.replace('vml_', 'vs_'), token.toUpperCase(), 'vml_short']) {
      const response = await h.fetch(`/_edge/visitor/access/t/${encodeURIComponent(bad)}`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(400);
      expectLinkHeaders(response);
      expect(await response.text()).toContain('invalid_magic_link');
    }
    expect(h.counter.queries - before).toBe(0);
  });

  it("treats another tenant's link as invalid on this host", async () => {
    const response = await h.json('/v2/visitor/auth/magic-link', { email: 'cross@example.com', handle: 'other' }, { host: 'service.test' });
    expect(response.status).toBe(202);
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('cross@example.com').link!);
    const onWrongHost = await h.fetch(path, { headers: { accept: 'text/html' } });
    expect(onWrongHost.status).toBe(400);
    const onOwnHost = await h.fetch(path, { host: 'other.test' });
    expect(onOwnHost.status).toBe(200);
  });
});

describe('POST /_edge/visitor/access/t/{token}', () => {
  it('consumes the link, sets the __Host- session cookie and redirects to returnTo', async () => {
    const { path, jar } = await openLink('confirm@example.com', { returnTo: '/content/x' });
    await h.fetch(path, { jar });
    const response = await h.form(path, {}, { jar });
    expect(response.status).toBe(303);
    expectLinkHeaders(response);
    expect(response.headers.get('location')).toBe('http://localhost/content/x');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-visitor_session='))!;
    expect(cookie).toMatch(/^__Host-visitor_session=vs_[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}; /);
    for (const attribute of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Lax']) expect(cookie).toContain(attribute);
    expect(cookie.toLowerCase()).not.toContain('domain=');
    const me = await h.fetch('/v2/visitor/me', { jar });
    expect(me.status).toBe(200);
    const body = (await me.json()) as { visitor: { email: string; handle: string }; session: { via: string } };
    expect(body.visitor).toMatchObject({ email: 'confirm@example.com', handle: 'gharart' });
    expect(body.session.via).toBe('cookie');
  });

  it('clears the check, pending and diagnostics cookies when the sign-in completes', async () => {
    const jar = new CookieJar();
    await h.fetch('/_edge/visitor/diagnostics', { jar }); // sets __Host-visitor_diag
    expect((await h.form('/v2/visitor/auth/magic-link', { email: 'clear-cookies@example.com' }, { jar })).status).toBe(303); // __Host-visitor_pending
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('clear-cookies@example.com').link!);
    await h.fetch(path, { jar }); // __Host-visitor_check
    expect([...jar.values.keys()].sort()).toEqual(['__Host-visitor_check', '__Host-visitor_diag', '__Host-visitor_pending']);
    const response = await h.form(path, {}, { jar });
    expect(response.status).toBe(303);
    for (const name of ['__Host-visitor_check', '__Host-visitor_pending', '__Host-visitor_diag']) {
      const cleared = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
      expect([name, cleared]).toEqual([name, expect.stringContaining('Max-Age=0')]);
      for (const attribute of ['Path=/', 'Secure']) expect([name, cleared]).toEqual([name, expect.stringContaining(attribute)]);
    }
    expect([...jar.values.keys()]).toEqual(['__Host-visitor_session']);
  });

  it('lets exactly one of 20 concurrent confirmations win', async () => {
    const { path, jar } = await openLink('race@example.com');
    await h.fetch(path, { jar });
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.form(path, {}, { headers: { cookie: jar.header() } })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const sessions = await h.db.one<{ count: number }>(sql`
      select count(*)::int as count from sessions s join visitors v on v.id = s.visitor_id where v.email = ${'race@example.com'}`);
    expect(sessions!.count).toBe(1);
  });

  it('answers a replay with 409 used_magic_link saying when, records a security event, and simply redirects the original browser', async () => {
    const { path, jar } = await openLink('replay@example.com', { returnTo: '/orders/A-1' });
    await h.fetch(path, { jar });
    const first = await h.form(path, {}, { jar });
    expect(first.status).toBe(303);
    // Someone else (a screenshot of the shared inbox) — fresh browser, with its own test cookie.
    const stranger = new CookieJar();
    const replayGet = await h.fetch(path, { jar: stranger, ip: '203.0.113.9', headers: { 'user-agent': 'Stranger/1.0' } });
    expect(replayGet.status).toBe(409);
    const replayPost = await h.form(path, {}, { jar: stranger, ip: '203.0.113.9', headers: { 'user-agent': 'Stranger/1.0' } });
    expect(replayPost.status).toBe(409);
    const html = await replayPost.text();
    expect(html).toContain('used_magic_link');
    expect(html).toMatch(/used <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">(today|yesterday) at \d\d:\d\d UTC<\/time> \(just now\)/);
    const events = await h.db.many<{ kind: string; ip: string; user_agent: string; request_id: string; occurrences: number }>(sql`
      select e.kind, e.ip, e.user_agent, e.request_id, e.occurrences from security_events e join visitors v on v.id = e.visitor_id
      where v.email = ${'replay@example.com'} order by e.created_at`);
    // Both replays fold into one event: counted, with the latest request's facts.
    expect(events).toEqual([
      {
        kind: 'used_link_replayed',
        ip: '203.0.113.9',
        user_agent: 'Stranger/1.0',
        request_id: replayPost.headers.get('x-request-id')!,
        occurrences: 2,
      },
    ]);
    // The browser that holds the session this link created is just sent on.
    const original = await h.form(path, {}, { jar });
    expect(original.status).toBe(303);
    expect(original.headers.get('location')).toBe('http://localhost/orders/A-1');
  });

  it('starts the 15 minutes when SMTP accepts the mail, and answers 410 expired_magic_link after them', async () => {
    // The outbox is stuck for 20 minutes before sending: the link is still good afterwards.
    await h.json('/v2/visitor/auth/magic-link', { email: 'slow@example.com' });
    h.clock.advance(20 * 60);
    await h.deliver();
    const path = Harness.pathOf(h.mail.last('slow@example.com').link!);
    expect((await h.fetch(path)).status).toBe(200);
    // Then delivery to the inbox is delayed by 16 minutes.
    h.clock.advance(16 * 60);
    const jar = new CookieJar();
    const page = await h.fetch(path, { jar });
    expect(page.status).toBe(410);
    expectLinkHeaders(page);
    const html = await page.text();
    expect(html).toContain('expired_magic_link');
    expect(html).toContain('Send me a fresh link');
    const verify = await h.json('/v2/visitor/auth/verify', { token: path.split('/t/')[1] });
    expect(verify.status).toBe(410);
    const body = (await verify.json()) as { code: string; expiredAt: string; reissue: { method: string; href: string } };
    expect(body.code).toBe('expired_magic_link');
    expect(new Date(body.expiredAt).getTime()).toBe(h.clock.now().getTime() - 60_000);
    expect(body.reissue.method).toBe('POST');
  });

  it('answers 400 cookie_blocked when the test cookie did not come back, and leaves the link usable', async () => {
    const { path } = await openLink('blocked@example.com');
    const noCookies = await h.form(path, {});
    expect(noCookies.status).toBe(400);
    expectLinkHeaders(noCookies);
    expect(noCookies.headers.get('content-type')).toContain('text/html');
    const html = await noCookies.text();
    expect(html).toContain('cookie_blocked');
    expect(html).toContain('code');
    expect(noCookies.headers.getSetCookie().some((c) => c.startsWith('__Host-visitor_check=1'))).toBe(true);
    const row = await h.db.one<{ used_at: Date | null }>(sql`
      select l.used_at from magic_links l join visitors v on v.id = l.visitor_id where v.email = ${'blocked@example.com'}`);
    expect(row!.used_at).toBeNull();
    // Cookies allowed now: the same link still works.
    const jar = new CookieJar();
    await h.fetch(path, { jar });
    expect((await h.form(path, {}, { jar })).status).toBe(303);
  });

  it('checks CSRF before anything else: a cross-site POST is 403 and consumes nothing', async () => {
    const { path, jar } = await openLink('csrf-link@example.com');
    await h.fetch(path, { jar });
    const evil = await h.form(path, {}, { jar, headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain('csrf_rejected');
    // Origin: null with Sec-Fetch-Site: same-origin is what a no-referrer page sends.
    const ok = await h.form(path, {}, { jar, headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } });
    expect(ok.status).toBe(303);
  });
});

describe('limits of the link page', () => {
  let ipCounter = 0;
  const freshIp = () => `192.0.2.${++ipCounter}`;
  /** Start of a 15-minute window (also a minute window): a run of requests never straddles two. */
  const alignToWindow = () => h.clock.advance(900 - ((h.clock.now().getTime() / 1000) % 900));

  it('answers 429 rate_limited past 30 opens or confirmations of one link in 15 minutes, keyed by the link hash (never the token)', async () => {
    alignToWindow();
    const { mail, path } = await openLink('link-limit@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await h.fetch(path, { ip: freshIp() })).status);
    expect(statuses).toEqual([...Array(30).fill(200), 429]);
    const confirm = await h.form(path, {}, { ip: freshIp() });
    expect(confirm.status).toBe(429);
    expect(confirm.headers.get('ratelimit-policy')).toContain('"per-link";q=30;w=900');
    // Another link is not affected, and no counter names the token.
    const other = await openLink('link-limit-other@example.com');
    expect((await h.fetch(other.path, { ip: freshIp() })).status).toBe(200);
    const keys = await h.db.many<{ key: string }>(sql`select key from rate_limit_counters where key like 'link:%'`);
    expect(keys.some((k) => k.key.includes(mail.token!) || k.key.includes(mail.token!.slice(4, 40)))).toBe(false);
  });

  it('answers 429 rate_limited past 60 link page requests a minute from one IP', async () => {
    alignToWindow();
    const links = [
      await openLink('ip-limit1@example.com'),
      await openLink('ip-limit2@example.com'),
      await openLink('ip-limit3@example.com'),
    ];
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await h.fetch(links[i % 3]!.path, { ip })).status);
    expect(statuses).toEqual([...Array(60).fill(200), 429]);
    expect((await h.fetch(links[0]!.path, { ip: freshIp() })).status).toBe(200);
  });

  it('folds any number of replays of one used link into one security event with a count and the last time seen', async () => {
    alignToWindow();
    const { path, jar } = await openLink('replays@example.com');
    await h.fetch(path, { jar });
    expect((await h.form(path, {}, { jar })).status).toBe(303);
    for (let i = 0; i < 12; i++) {
      h.clock.advance(1);
      expect((await h.fetch(path, { ip: freshIp() })).status).toBe(409);
    }
    const events = await h.db.many<{ occurrences: number; created_at: Date; last_seen_at: Date }>(sql`
      select e.occurrences, e.created_at, e.last_seen_at from security_events e join visitors v on v.id = e.visitor_id
      where v.email = ${'replays@example.com'} and e.kind = 'used_link_replayed'`);
    expect(events).toHaveLength(1);
    expect(events[0]!.occurrences).toBe(12);
    expect(events[0]!.last_seen_at.getTime() - events[0]!.created_at.getTime()).toBe(11_000);
  });
});

describe('POST /_edge/visitor/access/t/{token}/reissue', () => {
  it('sends a fresh link to the same address and returnTo for an expired, never-used link', async () => {
    const { path } = await openLink('reissue@example.com', { returnTo: '/content/late/' });
    h.clock.advance(16 * 60);
    const jar = new CookieJar();
    const response = await h.form(`${path}/reissue`, {}, { jar });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/_edge/visitor/check-email');
    expect(jar.values.has('__Host-visitor_pending')).toBe(true);
    await h.deliver();
    const fresh = h.mail.last('reissue@example.com');
    expect(Harness.pathOf(fresh.link!)).not.toBe(path);
    await h.fetch(Harness.pathOf(fresh.link!), { jar });
    const signedIn = await h.form(Harness.pathOf(fresh.link!), {}, { jar });
    expect(signedIn.headers.get('location')).toBe('http://localhost/content/late/');
    // JSON callers get 202.
    const json = await h.json(`${path}/reissue`, {});
    expect(json.status).toBe(202);
    await h.deliver();
    expect(h.mail.to('reissue@example.com')).toHaveLength(3);
  });

  it("spends the address's per-email mail budget: one expired link reissued again and again mails at most 5 times in 15 minutes", async () => {
    const { path } = await openLink('reissue-flood@example.com');
    h.clock.advance(16 * 60); // expired, and a new 15-minute window for the per-email limit
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await h.json(`${path}/reissue`, {}, { ip: `198.51.100.${60 + i}` })).status);
    // Same answer every time: nobody learns where the budget ends.
    expect(statuses).toEqual(Array(8).fill(202));
    await h.deliver();
    expect(h.mail.to('reissue-flood@example.com')).toHaveLength(1 + 5);
    const events = await h.db.many<{ kind: string }>(sql`
      select kind from security_events where kind = 'sign_in_mail_limit_reached' and created_at >= ${h.clock.now()}`);
    expect(events).toHaveLength(3);
  });

  it('refuses a still-valid (409 link_still_valid), used (409) or day-old (410) link', async () => {
    const valid = await openLink('reissue-valid@example.com');
    const stillValid = await h.json(`${valid.path}/reissue`, {});
    expect(stillValid.status).toBe(409);
    expect(((await stillValid.json()) as { code: string }).code).toBe('link_still_valid');
    await h.fetch(valid.path, { jar: valid.jar });
    await h.form(valid.path, {}, { jar: valid.jar });
    const used = await h.json(`${valid.path}/reissue`, {});
    expect(((await used.json()) as { code: string }).code).toBe('used_magic_link');
    const old = await openLink('reissue-old@example.com');
    h.clock.advance(25 * 3600);
    const tooOld = await h.json(`${old.path}/reissue`, {});
    expect(tooOld.status).toBe(410);
    expect(await tooOld.json()).not.toHaveProperty('reissue');
  });
});
