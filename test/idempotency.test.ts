import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

function requestLink(email: string, key: string | null, init: { ip?: string; body?: Record<string, unknown> } = {}) {
  return h.json(
    '/v2/visitor/auth/magic-link',
    { email, ...init.body },
    { ip: init.ip, headers: key === null ? {} : { 'idempotency-key': key } },
  );
}

describe('Idempotency-Key', () => {
  it('replays the stored answer with Idempotent-Replayed: true and sends no second email', async () => {
    const first = await requestLink('idem@example.com', 'key-001');
    expect(first.status).toBe(202);
    const firstBody = await first.text();
    const again = await requestLink('idem@example.com', 'key-001');
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('x-request-id')).toBeTruthy();
    // The quoted form (IETF draft) is the same key.
    const quoted = await requestLink('idem@example.com', '"key-001"');
    expect(quoted.headers.get('idempotent-replayed')).toBe('true');
    await h.deliver();
    expect(h.mail.to('idem@example.com')).toHaveLength(1);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not count a replay against the rate limits', async () => {
    const ip = '203.0.113.50';
    const first = await requestLink('idem-limit@example.com', 'key-limit', { ip });
    const remaining = first.headers.get('ratelimit')!;
    for (let i = 0; i < 5; i++) await requestLink('idem-limit@example.com', 'key-limit', { ip });
    const fresh = await requestLink('idem-limit2@example.com', null, { ip });
    expect(remaining).toStartWith('"per-ip";r=29;');
    expect(fresh.headers.get('ratelimit')).toStartWith('"per-ip";r=28;');
  });

  it('answers 422 idempotency_key_reused for the same key with another body', async () => {
    await requestLink('a@example.com', 'key-002');
    const other = await requestLink('b@example.com', 'key-002');
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_key_reused');
  });

  it('scopes keys to the caller: another client IP may use the same key', async () => {
    await requestLink('scoped@example.com', 'key-003', { ip: '203.0.113.1' });
    const otherCaller = await requestLink('scoped@example.com', 'key-003', { ip: '203.0.113.2' });
    expect(otherCaller.status).toBe(202);
    expect(otherCaller.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps only successes: after an error the key is free for a corrected retry', async () => {
    const bad = await requestLink('not-an-email', 'key-004');
    expect(bad.status).toBe(400);
    const fixed = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'fixed@example.com' },
      { headers: { 'idempotency-key': 'key-004' } },
    );
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 409 idempotency_in_progress while the first request with the key is still running', async () => {
    // A first request that has claimed the key but not finished (as if it were mid-flight elsewhere).
    const first = await requestLink('inflight@example.com', 'key-005');
    await h.db.many(sql`update idempotency_keys set status = 'running', response_status = null where key = ${'key-005'}`);
    const concurrent = await requestLink('inflight@example.com', 'key-005');
    expect(first.status).toBe(202);
    expect(concurrent.status).toBe(409);
    expect(((await concurrent.json()) as { code: string }).code).toBe('idempotency_in_progress');
    // A crashed first request frees the key after a minute.
    h.clock.advance(61);
    expect((await requestLink('inflight@example.com', 'key-005')).status).toBe(202);
  });

  it('lets exactly one of several concurrent duplicates run', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => requestLink('race-idem@example.com', 'key-006')));
    const statuses = responses.map((r) => r.status);
    const replayed = responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length;
    const ran = statuses.filter((s) => s === 202).length - replayed;
    expect(ran).toBe(1);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    await h.deliver();
    expect(h.mail.to('race-idem@example.com')).toHaveLength(1);
  });

  it('expires records after 24 hours', async () => {
    await requestLink('later@example.com', 'key-007');
    h.clock.advance(24 * 3600 + 1);
    const again = await requestLink('later@example.com', 'key-007');
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('validates the key format and ignores keys on routes that create sessions', async () => {
    for (const key of ['', '""', 'x'.repeat(256), 'has space', 'tab\tkey', 'é']) {
      const response = await h
        .fetch('/v2/visitor/auth/magic-link', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ email: 'fmt@example.com' }),
        })
        .catch(() => null);
      if (response === null) continue; // some values cannot even be sent as a header
      expect([key, response.status]).toEqual([key, 400]);
    }
    await h.deliver(); // earlier tests' mail
    const mail = await h.requestLink('session@example.com');
    const first = await h.json(
      '/v2/visitor/auth/verify',
      { token: mail.token, delivery: 'bearer' },
      { headers: { 'idempotency-key': 'key-008' } },
    );
    expect(first.status).toBe(200);
    const replay = await h.json(
      '/v2/visitor/auth/verify',
      { token: mail.token, delivery: 'bearer' },
      { headers: { 'idempotency-key': 'key-008' } },
    );
    expect(replay.status).toBe(409); // single use, not a stored session token
    const rows = await h.db.many(sql`select 1 from idempotency_keys where key = ${'key-008'}`);
    expect(rows).toHaveLength(0);
  });
});

describe('Idempotency-Key scope on the service host', () => {
  it('keeps the same key of one client apart for two storefronts', async () => {
    const first = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'two@example.com', handle: 'gharart' },
      { host: 'service.test', ip: '203.0.113.77', headers: { 'idempotency-key': 'shared-key' } },
    );
    const second = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'two@example.com', handle: 'other' },
      { host: 'service.test', ip: '203.0.113.77', headers: { 'idempotency-key': 'shared-key' } },
    );
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
  });
});
