import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { setOverride } from '../src/limits/policies.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { Harness } from './support/harness.ts';
import { insertTestTenant } from './support/tenants.ts';

let h: Harness;
let small: Tenant;

beforeAll(async () => {
  h = await Harness.start();
  // A tenant with a small per-tenant quota, so "exactly N" is cheap to test.
  small = await insertTestTenant(h.db, 'small');
  await setOverride(h.db, small.id, 'magic-link:per-tenant', 10);
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

function requestLink(email: string, init: { ip: string; host?: string }) {
  return h.json('/v2/visitor/auth/magic-link', { email }, init);
}

describe('per-route throttles', () => {
  it('lets exactly 30 sign-in requests per minute through from one IP, then 429 with Retry-After, and resets after the window', async () => {
    // Align to the start of a window so the burst cannot straddle two.
    h.clock.advance(60 - ((h.clock.now().getTime() / 1000) % 60));
    const ip = freshIp();
    for (let i = 0; i < 30; i++) {
      const response = await requestLink(`ip${i}@example.com`, { ip });
      expect(response.status).toBe(202);
      expect(response.headers.get('ratelimit-policy')).toBe('"per-ip";q=30;w=60, "per-tenant";q=600;w=60');
      expect(response.headers.get('ratelimit')).toMatch(new RegExp(`^"per-ip";r=${29 - i};t=\\d+, "per-tenant";r=\\d+;t=\\d+$`));
    }
    const limited = await requestLink('ip-over@example.com', { ip });
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as { code: string; requestId: string };
    expect(body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit')).toMatch(/^"per-ip";r=0;t=\d+/);
    // Another IP is not affected.
    expect((await requestLink('ip-other@example.com', { ip: freshIp() })).status).toBe(202);
    h.clock.advance(60);
    expect((await requestLink('ip-later@example.com', { ip })).status).toBe(202);
    await h.deliver();
  });

  it("applies a tenant's override of its per-tenant quota", async () => {
    h.clock.advance(60 - ((h.clock.now().getTime() / 1000) % 60));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await requestLink(`t${i}@example.com`, { ip: freshIp(), host: 'small.test' })).status);
    expect(statuses).toEqual([...Array(10).fill(202), 429, 429]);
  });

  it('counts a concurrent burst atomically: exactly the quota gets through', async () => {
    h.clock.advance(60 - ((h.clock.now().getTime() / 1000) % 60));
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => requestLink(`burst${i}@example.com`, { ip: freshIp(), host: 'small.test' })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  });

  it('does not count malformed requests', async () => {
    h.clock.advance(60 - ((h.clock.now().getTime() / 1000) % 60));
    const ip = freshIp();
    for (let i = 0; i < 40; i++) expect((await requestLink('not-an-email', { ip })).status).toBe(400);
    const ok = await requestLink('valid@example.com', { ip });
    expect(ok.status).toBe(202);
    expect(ok.headers.get('ratelimit')).toStartWith('"per-ip";r=29;');
  });
});

describe('per-email sign-in limits', () => {
  it('past 5 mails in 15 minutes: the same 202, no more mail, a security event', async () => {
    const before = h.mail.to('flood@example.com').length;
    const bodies: string[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await requestLink('flood@example.com', { ip: freshIp() });
      expect(response.status).toBe(202);
      bodies.push(
        Object.keys(await response.json())
          .sort()
          .join(),
      );
      expect(response.headers.get('ratelimit-policy')).not.toContain('email');
    }
    expect(new Set(bodies).size).toBe(1);
    await h.deliver();
    expect(h.mail.to('flood@example.com').length - before).toBe(5);
    const events = await h.db.many<{ kind: string }>(sql`select kind from security_events where kind = 'sign_in_mail_limit_reached'`);
    expect(events.length).toBe(3);
    // An unknown address and a known one answer alike.
    const unknown = await requestLink('never-bought@example.com', { ip: freshIp() });
    expect(unknown.status).toBe(202);
    // After the window, mail flows again.
    h.clock.advance(15 * 60);
    await requestLink('flood@example.com', { ip: freshIp() });
    await h.deliver();
    expect(h.mail.to('flood@example.com').length - before).toBe(6);
  });

  it('caps mails to one address at 20 per UTC day', async () => {
    h.clock.advance(86400 - ((h.clock.now().getTime() / 1000) % 86400)); // start of a UTC day
    let sent = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) expect((await requestLink('daily@example.com', { ip: freshIp() })).status).toBe(202);
      await h.deliver();
      sent = h.mail.to('daily@example.com').length;
      h.clock.advance(15 * 60);
    }
    expect(sent).toBe(20);
  });
});

describe('wrong codes per IP', () => {
  it('after 20 wrong codes from one IP: 429 for that IP, nothing burned', async () => {
    const ip = freshIp();
    const mails = [];
    for (let i = 0; i < 5; i++) mails.push(await h.requestLink(`codes${i}@example.com`));
    for (let i = 0; i < 20; i++) {
      const mail = mails[i % 5]!;
      const wrong = mail.code === '000000' ? '111111' : '000000';
      const response = await h.json('/v2/visitor/auth/verify', { email: mail.to, code: wrong }, { ip });
      expect(response.status).toBe(400);
    }
    const blocked = await h.json('/v2/visitor/auth/verify', { email: mails[0]!.to, code: mails[0]!.code }, { ip });
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { code: string }).code).toBe('rate_limited');
    expect(blocked.headers.get('ratelimit')).toContain('"wrong-code-per-ip";r=0;');
    // Nothing was burned: the right code still works from elsewhere.
    const elsewhere = await h.json('/v2/visitor/auth/verify', { email: mails[0]!.to, code: mails[0]!.code }, { ip: freshIp() });
    expect(elsewhere.status).toBe(200);
    // And the IP can still use a link token.
    const link = await h.json('/v2/visitor/auth/verify', { token: mails[1]!.token }, { ip });
    expect(link.status).toBe(200);
  });
});

describe('counter cleanup', () => {
  it('removes expired counters', async () => {
    h.clock.advance(2 * 86400);
    // The counters' own step (sweep() sums every table's).
    const removed = await h.runtime.janitor.sweepTables();
    expect(removed.get('rate_limit_counters')).toBeGreaterThan(0);
    const [row] = await h.db.many<{ count: number }>(
      sql`select count(*)::int as count from rate_limit_counters where expires_at < ${h.clock.now()}`,
    );
    expect(row!.count).toBe(0);
  });
});

describe('docs/limits.md', () => {
  it('is current: generated from the same policies the limiter reads (run `bun run docs:limits`)', async () => {
    const { renderLimitsDoc } = await import('../src/limits/limits-doc.ts');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(new URL('../docs/limits.md', import.meta.url), 'utf8')).toBe(await renderLimitsDoc());
  });
});

describe('server-initiated sign-in links (visitor:write)', () => {
  it('skips per-IP limits for a storefront server, keeps per-tenant ones, and needs the scope', async () => {
    const { createPat } = await import('../src/credentials/pats.ts');
    const server = (await createPat(h.db, { tenantId: small.id, name: 'checkout', scopes: ['visitor:write'] })).token;
    const reader = (await createPat(h.db, { tenantId: small.id, name: 'reader', scopes: ['access:read'] })).token;
    const noScope = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'checkout@example.com' },
      { host: 'service.test', headers: { authorization: `Bearer ${reader}` } },
    );
    expect(noScope.status).toBe(403);
    expect(await noScope.json()).toMatchObject({ code: 'insufficient_scope', requiredScope: 'visitor:write' });
    h.clock.advance(60 - ((h.clock.now().getTime() / 1000) % 60));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await h.json(
        '/v2/visitor/auth/magic-link',
        { email: `checkout${i}@example.com` },
        { host: 'service.test', headers: { authorization: `Bearer ${server}` } },
      );
      statuses.push(response.status);
      if (i === 0) expect(response.headers.get('ratelimit-policy')).toBe('"per-tenant";q=10;w=60');
    }
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
    const wrong = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'x@example.com', handle: 'gharart' },
      { host: 'service.test', headers: { authorization: `Bearer ${server}` } },
    );
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { code: string }).code).toBe('wrong_tenant');
  });
});
