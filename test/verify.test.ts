import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { CookieJar, Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

type SessionBody = {
  visitor: { id: string; email: string; handle: string };
  session: { id: string; expiresAt: string };
  sessionToken?: string;
};

describe('POST /v2/visitor/auth/verify with a token', () => {
  it('signs in with a cookie by default', async () => {
    const mail = await h.requestLink('token@example.com');
    const response = await h.json('/v2/visitor/auth/verify', { token: mail.token });
    expect(response.status).toBe(200);
    const body = (await response.json()) as SessionBody;
    expect(body.visitor).toMatchObject({ email: 'token@example.com', handle: 'gharart' });
    expect(body.sessionToken).toBeUndefined();
    expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-visitor_session=vs_'))).toBe(true);
    const replay = await h.json('/v2/visitor/auth/verify', { token: mail.token });
    expect(replay.status).toBe(409);
    const problem = (await replay.json()) as { code: string; usedAt: string };
    expect(problem.code).toBe('used_magic_link');
    expect(Number.isNaN(Date.parse(problem.usedAt))).toBe(false);
  });

  it('returns a bearer session token and sets no cookie with delivery "bearer"', async () => {
    const mail = await h.requestLink('bearer@example.com');
    const response = await h.json('/v2/visitor/auth/verify', { token: mail.token, delivery: 'bearer' });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toHaveLength(0);
    const body = (await response.json()) as SessionBody;
    expect(body.sessionToken).toMatch(/^vs_/);
    const me = await h.fetch('/v2/visitor/me', { host: 'service.test', headers: { authorization: `Bearer ${body.sessionToken}` } });
    expect(me.status).toBe(200);
    const meBody = (await me.json()) as { session: { id: string; via: string } };
    expect(meBody.session).toMatchObject({ id: body.session.id, via: 'bearer' });
  });

  it('answers 400 invalid_magic_link for a forged token', async () => {
    const response = await h.json('/v2/visitor/auth/verify', { token: `vml_${'A'.repeat(43)}.${'B'.repeat(22)}` });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_magic_link');
  });
});

describe('POST /v2/visitor/auth/verify with a code', () => {
  it('signs in with the 6-digit code, which burns the link too', async () => {
    const mail = await h.requestLink('code@example.com');
    const response = await h.json('/v2/visitor/auth/verify', { handle: 'gharart', email: 'Code@Example.com', code: mail.code });
    expect(response.status).toBe(200);
    const link = await h.fetch(Harness.pathOf(mail.link!));
    expect(link.status).toBe(409);
  });

  it('keeps only the newest code live', async () => {
    const older = await h.requestLink('newest@example.com');
    const newer = await h.requestLink('newest@example.com');
    const old = await h.json('/v2/visitor/auth/verify', { email: 'newest@example.com', code: older.code });
    if (older.code !== newer.code) {
      expect(old.status).toBe(400);
      expect(((await old.json()) as { code: string }).code).toBe('invalid_code');
    }
    // …but the older link itself stays valid until its own expiry.
    expect((await h.fetch(Harness.pathOf(older.link!))).status).toBe(200);
    const ok = await h.json('/v2/visitor/auth/verify', { email: 'newest@example.com', code: newer.code });
    expect(ok.status).toBe(200);
  });

  it('burns the code after 5 wrong tries (429 code_attempts_exceeded) while the link stays valid, until a new link is sent', async () => {
    const mail = await h.requestLink('guess@example.com');
    const wrong = mail.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const response = await h.json('/v2/visitor/auth/verify', { email: 'guess@example.com', code: wrong });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('invalid_code');
    }
    const right = await h.json('/v2/visitor/auth/verify', { email: 'guess@example.com', code: mail.code });
    expect(right.status).toBe(429);
    expect(((await right.json()) as { code: string }).code).toBe('code_attempts_exceeded');
    const events = await h.db.many<{ kind: string }>(sql`
      select e.kind from security_events e join visitors v on v.id = e.visitor_id where v.email = ${'guess@example.com'}`);
    expect(events.map((e) => e.kind)).toEqual(['code_burned']);
    const jar = new CookieJar();
    const path = Harness.pathOf(mail.link!);
    await h.fetch(path, { jar });
    expect((await h.form(path, {}, { jar })).status).toBe(303);
    const fresh = await h.requestLink('guess@example.com');
    expect((await h.json('/v2/visitor/auth/verify', { email: 'guess@example.com', code: fresh.code })).status).toBe(200);
  });

  it('answers an unknown address exactly like a wrong code', async () => {
    const response = await h.json('/v2/visitor/auth/verify', { email: 'never-asked@example.com', code: '123456' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_code');
  });

  it('accepts the code form from the check-email page using the pending cookie, and redirects to returnTo', async () => {
    const jar = new CookieJar();
    const requested = await h.form('/v2/visitor/auth/magic-link', { email: 'pending@example.com', returnTo: '/content/p/' }, { jar });
    expect(requested.status).toBe(303);
    await h.deliver();
    const mail = h.mail.last('pending@example.com');
    // A browser that blocks cookies (no test cookie came back) is told so, and the code is not burned.
    const blocked = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar });
    expect(blocked.status).toBe(400);
    expect(await blocked.text()).toContain('cookie_blocked');
    await h.fetch('/_edge/visitor/check-email', { jar }); // the page sets the test cookie
    const response = await h.form('/v2/visitor/auth/verify', { code: mail.code! }, { jar });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('http://localhost/content/p/');
    expect(jar.values.has('__Host-visitor_session')).toBe(true);
    expect(jar.values.has('__Host-visitor_pending')).toBe(false);
  });
});

describe('a completed sign-in by verify', () => {
  const SIGN_IN_COOKIES = ['__Host-visitor_check', '__Host-visitor_pending', '__Host-visitor_diag'];
  const expired = (response: Response) =>
    SIGN_IN_COOKIES.filter((name) =>
      response.headers
        .getSetCookie()
        .some((c) => c.startsWith(`${name}=`) && c.includes('Max-Age=0') && c.includes('Path=/') && c.includes('Secure')),
    );

  it('clears the check, pending and diagnostics cookies (by code and by token)', async () => {
    const byCode = await h.requestLink('clear-code@example.com');
    const code = await h.json('/v2/visitor/auth/verify', { email: 'clear-code@example.com', code: byCode.code });
    expect(code.status).toBe(200);
    expect(expired(code)).toEqual(SIGN_IN_COOKIES);
    const byToken = await h.requestLink('clear-token@example.com');
    const token = await h.json('/v2/visitor/auth/verify', { token: byToken.token });
    expect(token.status).toBe(200);
    expect(expired(token)).toEqual(SIGN_IN_COOKIES);
  });

  it('clears them after the code form of the check-email page too', async () => {
    const jar = new CookieJar();
    await h.fetch('/_edge/visitor/diagnostics', { jar });
    await h.form('/v2/visitor/auth/magic-link', { email: 'clear-form@example.com' }, { jar });
    await h.deliver();
    await h.fetch('/_edge/visitor/check-email', { jar });
    expect([...jar.values.keys()].sort()).toEqual(['__Host-visitor_check', '__Host-visitor_diag', '__Host-visitor_pending']);
    const response = await h.form('/v2/visitor/auth/verify', { code: h.mail.last('clear-form@example.com').code! }, { jar });
    expect(response.status).toBe(303);
    expect(expired(response)).toEqual(SIGN_IN_COOKIES);
    expect([...jar.values.keys()]).toEqual(['__Host-visitor_session']);
  });
});

describe('sessions: /v2/visitor/me and logout', () => {
  it('answers 401 not_signed_in without a session, and for a forged cookie', async () => {
    const none = await h.fetch('/v2/visitor/me');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('not_signed_in');
    const forged = await h.fetch('/v2/visitor/me', {
      headers: { cookie: `__Host-visitor_session=vs_${'A'.repeat(43)}.${'A'.repeat(22)}` },
    });
    expect(forged.status).toBe(401);
  });

  it("answers 403 wrong_tenant for another tenant's session on this host", async () => {
    const response = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'tenant@example.com' },
      { host: 'other.test', headers: { origin: 'https://other.test' } },
    );
    expect(response.status).toBe(202);
    await h.deliver();
    const token = h.mail.last('tenant@example.com').token!;
    const verify = await h.json('/v2/visitor/auth/verify', { token, delivery: 'bearer' }, { host: 'other.test' });
    const { sessionToken } = (await verify.json()) as SessionBody;
    const me = await h.fetch('/v2/visitor/me', { headers: { authorization: `Bearer ${sessionToken}` } });
    expect(me.status).toBe(403);
    expect(((await me.json()) as { code: string }).code).toBe('wrong_tenant');
  });

  it('slides the expiry when the session is used, at most once an hour', async () => {
    const { jar } = await h.signIn('slide@example.com');
    const first = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { session: { expiresAt: string } };
    h.clock.advance(30 * 60);
    const soon = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { session: { expiresAt: string } };
    expect(soon.session.expiresAt).toBe(first.session.expiresAt);
    h.clock.advance(31 * 60);
    const later = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { session: { expiresAt: string } };
    expect(Date.parse(later.session.expiresAt) - Date.parse(first.session.expiresAt)).toBe(61 * 60 * 1000);
  });

  it('re-issues the session cookie with the new lifetime when the expiry slides (browsers obey Max-Age)', async () => {
    const { jar } = await h.signIn('slide-cookie@example.com');
    const token = jar.values.get('__Host-visitor_session')!;
    const sessionCookie = (response: Response) => response.headers.getSetCookie().find((c) => c.startsWith('__Host-visitor_session='));
    const notDue = await h.fetch('/v2/visitor/me', { jar });
    expect(notDue.status).toBe(200);
    expect(sessionCookie(notDue)).toBeUndefined(); // nothing written, nothing re-sent
    // Each route a signed-in shopper uses slides it: /me, the access list, the session list.
    for (const path of ['/v2/visitor/me', '/v2/visitor/access', '/v2/visitor/sessions']) {
      h.clock.advance(61 * 60);
      const used = await h.fetch(path, { jar });
      expect([path, used.status]).toEqual([path, 200]);
      const cookie = sessionCookie(used);
      expect([path, cookie?.split(';')[0]]).toEqual([path, `__Host-visitor_session=${token}`]);
      const { session } = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { session: { expiresAt: string } };
      const remaining = (Date.parse(session.expiresAt) - h.clock.now().getTime()) / 1000;
      for (const attribute of [`Max-Age=${remaining}`, 'Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax'])
        expect([path, cookie]).toEqual([path, expect.stringContaining(attribute)]);
    }
  });

  it('slides a bearer session without sending a cookie', async () => {
    const { jar } = await h.signIn('slide-bearer@example.com');
    const token = jar.values.get('__Host-visitor_session')!;
    h.clock.advance(61 * 60);
    const me = await h.fetch('/v2/visitor/me', { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(me.headers.getSetCookie()).toEqual([]);
  });

  it('logs out the current session (204, cookie cleared), checking Origin for cookie callers', async () => {
    const { jar } = await h.signIn('logout@example.com');
    const crossSite = await h.json('/v2/visitor/auth/logout', {}, { jar, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    const copy = new CookieJar();
    for (const [k, v] of jar.values) copy.values.set(k, v);
    const response = await h.json('/v2/visitor/auth/logout', {}, { jar, headers: { origin: 'http://localhost' } });
    expect(response.status).toBe(204);
    // Browsers ignore a `__Host-` deletion without Secure and Path=/.
    const cleared = response.headers.getSetCookie().find((c) => c.startsWith('__Host-visitor_session='))!;
    for (const attribute of ['Max-Age=0', 'Path=/', 'Secure', 'HttpOnly']) expect(cleared).toContain(attribute);
    expect(jar.values.has('__Host-visitor_session')).toBe(false);
    expect((await h.fetch('/v2/visitor/me', { jar: copy })).status).toBe(401);
    // No session: the same answer.
    expect((await h.json('/v2/visitor/auth/logout', {}, { headers: { origin: 'http://localhost' } })).status).toBe(204);
  });

  it('logs out every session of the visitor with scope "all"', async () => {
    const a = await h.signIn('all@example.com');
    const b = await h.signIn('all@example.com');
    expect((await h.fetch('/v2/visitor/me', { jar: b.jar })).status).toBe(200);
    const response = await h.json('/v2/visitor/auth/logout', { scope: 'all' }, { jar: a.jar, headers: { origin: 'http://localhost' } });
    expect(response.status).toBe(204);
    expect((await h.fetch('/v2/visitor/me', { jar: b.jar })).status).toBe(401);
  });

  it('answers a logout form with 303 home', async () => {
    const { jar } = await h.signIn('logout-form@example.com');
    const response = await h.form('/v2/visitor/auth/logout', {}, { jar });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('http://localhost/');
  });
});

describe("the visitor's sessions", () => {
  it('lists live sessions with the current one marked, and revokes one (204) or answers 404 session_not_found', async () => {
    const phone = await h.signIn('devices@example.com');
    const laptop = await h.signIn('devices@example.com');
    const list = await h.fetch('/v2/visitor/sessions', { jar: laptop.jar });
    expect(list.status).toBe(200);
    const { items } = (await list.json()) as {
      items: { id: string; current: boolean; createdAt: string; lastSeenAt: string; userAgent: string | null }[];
    };
    expect(items).toHaveLength(2);
    expect(items.filter((i) => i.current)).toHaveLength(1);
    const phoneSession = items.find((i) => !i.current)!;
    const crossSite = await h.fetch(`/v2/visitor/sessions/${phoneSession.id}`, {
      method: 'DELETE',
      jar: laptop.jar,
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const revoked = await h.fetch(`/v2/visitor/sessions/${phoneSession.id}`, {
      method: 'DELETE',
      jar: laptop.jar,
      headers: { origin: 'http://localhost' },
    });
    expect(revoked.status).toBe(204);
    expect((await h.fetch('/v2/visitor/me', { jar: phone.jar })).status).toBe(401);
    expect((await h.fetch('/v2/visitor/me', { jar: laptop.jar })).status).toBe(200);
    // Someone else's session, or one already revoked: 404.
    const stranger = await h.signIn('stranger@example.com');
    const strangerId = ((await (await h.fetch('/v2/visitor/me', { jar: stranger.jar })).json()) as { session: { id: string } }).session.id;
    for (const id of [strangerId, phoneSession.id, 'not-a-uuid']) {
      const response = await h.fetch(`/v2/visitor/sessions/${id}`, {
        method: 'DELETE',
        jar: laptop.jar,
        headers: { origin: 'http://localhost' },
      });
      expect([id, response.status]).toEqual([id, 404]);
    }
    expect((await h.fetch('/v2/visitor/sessions')).status).toBe(401);
  });
});
