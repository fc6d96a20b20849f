// Per-IP limits hold for IPv6: a client is keyed by its /64 (IPV6_LIMIT_PREFIX), an IPv4-mapped
// address as its IPv4 address, whatever the spelling.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { ipLimitKey } from '../src/limits/ip-key.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

/** Start of a 15-minute window (also a minute window): a run of requests never straddles two. */
function alignToWindow() {
  h.clock.advance(900 - ((h.clock.now().getTime() / 1000) % 900));
}

function requestLink(email: string, ip: string) {
  return h.json('/v2/visitor/auth/magic-link', { email }, { ip });
}

describe('the per-IP limit key', () => {
  it('keys IPv6 by its /64 in every spelling, IPv4-mapped IPv6 as IPv4, anything else as given', () => {
    const one = ipLimitKey('2001:db8:1:2::1', 64);
    for (const spelling of [
      '2001:0DB8:0001:0002:0000:0000:0000:0001',
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '[2001:db8:1:2::abcd]',
      '2001:db8:1:2::1%eth0',
    ]) {
      expect([spelling, ipLimitKey(spelling, 64)]).toEqual([spelling, one]);
    }
    expect(ipLimitKey('2001:db8:1:3::1', 64)).not.toBe(one);
    expect(ipLimitKey('2001:db8:1:3::1', 56)).toBe(ipLimitKey('2001:db8:1:2::1', 56));
    expect(ipLimitKey('2001:db8:1:2::1', 128)).not.toBe(ipLimitKey('2001:db8:1:2::2', 128));
    for (const mapped of ['::ffff:203.0.113.7', '::FFFF:cb00:7107', '[::ffff:203.0.113.7]'])
      expect([mapped, ipLimitKey(mapped, 64)]).toEqual([mapped, '203.0.113.7']);
    expect(ipLimitKey('unknown', 64)).toBe('unknown');
  });
});

describe('per-IP limits for IPv6 clients', () => {
  it('makes every address of one /64 share the sign-in request limit; another /64 has its own', async () => {
    alignToWindow();
    const statuses: number[] = [];
    for (let i = 1; i <= 31; i++) statuses.push((await requestLink(`six${i}@example.com`, `2001:db8:1:2::${i.toString(16)}`)).status);
    expect(statuses).toEqual([...Array(30).fill(202), 429]);
    expect((await requestLink('six-other@example.com', '2001:db8:1:3::1')).status).toBe(202);
    await h.deliver();
  });

  it('makes every address of one /64 share the wrong-code limit', async () => {
    alignToWindow();
    const email = 'six-codes@example.com';
    let mail = await h.requestLink(email);
    const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
    let wrong = wrongFor(mail.code!);
    for (let i = 1; i <= 20; i++) {
      // Per-address attempts are not the point here: a fresh link every 5 guesses.
      if (i % 5 === 1 && i > 1) {
        mail = await h.requestLink(email);
        wrong = wrongFor(mail.code!);
      }
      const response = await h.json('/v2/visitor/auth/verify', { email, code: wrong }, { ip: `2001:db8:5:6:${i.toString(16)}::1` });
      expect([i, response.status]).toEqual([i, 400]);
    }
    const blocked = await h.json('/v2/visitor/auth/verify', { email, code: wrong }, { ip: '2001:db8:5:6:ffff::1' });
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { code: string }).code).toBe('rate_limited');
    const otherPrefix = await h.json('/v2/visitor/auth/verify', { email, code: wrong }, { ip: '2001:db8:5:7::1' });
    expect(otherPrefix.status).toBe(400);
  });

  it('counts ::ffff:a.b.c.d in the same bucket as a.b.c.d', async () => {
    alignToWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push((await requestLink(`mapped${i}@example.com`, i % 2 ? '::ffff:203.0.113.7' : '203.0.113.7')).status);
    expect(statuses).toEqual([...Array(30).fill(202), 429]);
    await h.deliver();
  });

  it('widens the bucket with IPV6_LIMIT_PREFIX=56', async () => {
    await h.boot({ IPV6_LIMIT_PREFIX: '56' });
    try {
      alignToWindow();
      const statuses: number[] = [];
      // 31 different /64s of one /56.
      for (let i = 1; i <= 31; i++) statuses.push((await requestLink(`wide${i}@example.com`, `2001:db8:9:${i.toString(16)}::1`)).status);
      expect(statuses).toEqual([...Array(30).fill(202), 429]);
      expect((await requestLink('wide-other@example.com', '2001:db8:9:100::1')).status).toBe(202);
      await h.deliver();
    } finally {
      await h.boot({});
    }
  });
});
