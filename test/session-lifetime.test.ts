// The absolute session lifetime (SESSION_MAX_AGE, default 90 days): a sliding session kept busy
// every day still ends at created_at + max age — at /v2/visitor/me and at the edge check.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertGrant } from '../src/access/grants.ts';
import { sql } from '../src/db/sql.ts';
import { type CookieJar, Harness } from './support/harness.ts';

const DAY = 86_400;
const MAX_AGE = 90 * DAY;

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

type Me = { session: { createdAt: string; expiresAt: string } };

function me(jar: CookieJar) {
  return h.fetch('/v2/visitor/me', { jar });
}

function edge(jar: CookieJar) {
  return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': '/content/forever/1', cookie: jar.header() } });
}

function maxAgeOfSessionCookie(response: Response): number | null {
  const line = response.headers.getSetCookie().find((c) => c.startsWith('__Host-visitor_session='));
  const match = line ? /max-age=(\d+)/i.exec(line) : null;
  return match ? Number(match[1]) : null;
}

describe('absolute session lifetime (SESSION_MAX_AGE)', () => {
  it('ends a session kept active every day at created_at + 90 days, not later, at /v2/visitor/me and at the edge', async () => {
    await upsertGrant(
      h.db,
      h.gharart.id,
      { email: 'busy@example.com', resource: '/content/forever/*', kind: 'content', title: null, orderId: null, expiresAt: null },
      h.clock.now(),
    );
    const { jar } = await h.signIn('busy@example.com');
    const first = (await (await me(jar)).json()) as Me;
    const createdAt = Date.parse(first.session.createdAt);
    const end = createdAt + MAX_AGE * 1000;

    // Busy every day: the expiry keeps sliding (30 days ahead) until it meets the absolute end.
    let lastExpiry = 0;
    for (let day = 1; day < 90; day++) {
      h.clock.advance(DAY);
      const response = await me(jar);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Me;
      lastExpiry = Date.parse(body.session.expiresAt);
      expect(lastExpiry).toBeLessThanOrEqual(end);
      const cookieMaxAge = maxAgeOfSessionCookie(response);
      if (cookieMaxAge !== null) expect(h.clock.now().getTime() + cookieMaxAge * 1000).toBeLessThanOrEqual(end + 1000);
      expect((await edge(jar)).status).toBe(204);
    }
    expect(lastExpiry).toBe(end);
    const row = await h.db.one<{ expires_at: Date; created_at: Date }>(
      sql`select expires_at, created_at from sessions where created_at = ${new Date(createdAt)}`,
    );
    expect(row!.expires_at.getTime() - row!.created_at.getTime()).toBe(MAX_AGE * 1000);

    // One second before the end it still works; at the end it is over, however active.
    h.clock.advance((end - h.clock.now().getTime()) / 1000 - 1);
    expect((await me(jar)).status).toBe(200);
    expect((await edge(jar)).status).toBe(204);
    h.clock.advance(1);
    const after = await me(jar);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('not_signed_in');
    expect((await edge(jar)).status).toBe(401);
  });

  it('caps a tenant session TTL longer than SESSION_MAX_AGE at sign-in, cookie included', async () => {
    await h.db.many(sql`update tenants set session_ttl_seconds = ${400 * DAY} where id = ${h.gharart.id}::uuid`);
    h.deps.tenants.clear();
    try {
      const { jar, response } = await h.signIn('long-ttl@example.com');
      expect(maxAgeOfSessionCookie(response)).toBe(MAX_AGE);
      const body = (await (await me(jar)).json()) as Me;
      expect(Date.parse(body.session.expiresAt) - Date.parse(body.session.createdAt)).toBe(MAX_AGE * 1000);
    } finally {
      await h.db.many(sql`update tenants set session_ttl_seconds = null where id = ${h.gharart.id}::uuid`);
      h.deps.tenants.clear();
    }
  });
});
