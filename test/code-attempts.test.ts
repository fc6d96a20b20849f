// Code guesses: every attempt is reserved before the code is compared (per address and per IP), so
// bursts cannot race past the limits; and a wrong code answers alike for every address.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { usingPostgres } from './support/database.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;
const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
type Problem = { code: string } & Record<string, unknown>;

/** Start of a 15-minute window (which is also a minute window): bursts never straddle two. */
function alignToWindow() {
  h.clock.advance(900 - ((h.clock.now().getTime() / 1000) % 900));
}

function verifyCode(email: string, code: string, ip: string) {
  return h.json('/v2/visitor/auth/verify', { email, code }, { ip });
}

async function linkOf(email: string) {
  return (await h.db.one<{ code_attempts: number; code_burned_at: Date | null; used_at: Date | null }>(sql`
    select l.code_attempts, l.code_burned_at, l.used_at from magic_links l join visitors v on v.id = l.visitor_id
    where v.email = ${email} order by l.seq desc limit 1`))!;
}

async function sessionsOf(email: string): Promise<number> {
  const row = await h.db.one<{ count: number }>(sql`
    select count(*)::int as count from sessions s join visitors v on v.id = s.visitor_id where v.email = ${email}`);
  return row!.count;
}

describe('code attempts under concurrency (real PostgreSQL)', () => {
  it.skipIf(!usingPostgres)('compares at most 5 of 50 concurrent wrong codes for one address, and answers every one alike', async () => {
    alignToWindow();
    const mail = await h.requestLink('burst@example.com');
    const responses = await Promise.all(Array.from({ length: 50 }, () => verifyCode('burst@example.com', wrongFor(mail.code!), freshIp())));
    const codes = await Promise.all(responses.map(async (r) => `${r.status} ${((await r.json()) as Problem).code}`));
    expect(new Set(codes)).toEqual(new Set(['400 invalid_code']));
    const link = await linkOf('burst@example.com');
    expect(link.code_attempts).toBe(5);
    expect(link.code_burned_at).not.toBeNull();
    const events = await h.db.many<{ kind: string }>(sql`
      select e.kind from security_events e join visitors v on v.id = e.visitor_id where v.email = ${'burst@example.com'}`);
    expect(events.map((e) => e.kind)).toEqual(['code_burned']);
    const right = await verifyCode('burst@example.com', mail.code!, freshIp());
    expect(right.status).toBe(429);
    expect(((await right.json()) as Problem).code).toBe('code_attempts_exceeded');
    expect(await sessionsOf('burst@example.com')).toBe(0);
  });

  it.skipIf(!usingPostgres)('never signs in with a right code that arrives in a burst after 5 wrong ones were reserved', async () => {
    alignToWindow();
    const mail = await h.requestLink('inside-burst@example.com');
    const wrong = Array.from({ length: 59 }, () => verifyCode('inside-burst@example.com', wrongFor(mail.code!), freshIp()));
    const right = verifyCode('inside-burst@example.com', mail.code!, freshIp());
    const [rightResponse] = await Promise.all([right, ...wrong]);
    expect(rightResponse.status).toBe(429);
    expect(((await rightResponse.json()) as Problem).code).toBe('code_attempts_exceeded');
    expect(await sessionsOf('inside-burst@example.com')).toBe(0);
    const link = await linkOf('inside-burst@example.com');
    expect(link).toMatchObject({ code_attempts: 5, used_at: null });
  });

  it.skipIf(!usingPostgres)(
    'compares at most 20 of 55 concurrent wrong codes from one IP across 11 addresses; the rest are 429',
    async () => {
      alignToWindow();
      const emails = Array.from({ length: 11 }, (_, i) => `per-ip-burst${i}@example.com`);
      const mails: Awaited<ReturnType<Harness['requestLink']>>[] = [];
      for (const email of emails) mails.push(await h.requestLink(email));
      const ip = freshIp();
      const responses = await Promise.all(
        Array.from({ length: 55 }, (_, i) => {
          const mail = mails[i % mails.length]!;
          return verifyCode(mail.to, wrongFor(mail.code!), ip);
        }),
      );
      const codes = await Promise.all(responses.map(async (r) => `${r.status} ${((await r.json()) as Problem).code}`));
      expect(codes.filter((c) => c === '400 invalid_code')).toHaveLength(20);
      expect(codes.filter((c) => c === '429 rate_limited')).toHaveLength(35);
      const [compared] = await h.db.many<{ attempts: number }>(sql`
      select coalesce(sum(l.code_attempts), 0)::int as attempts from magic_links l join visitors v on v.id = l.visitor_id
      where v.email = any(${emails}::text[])`);
      expect(compared!.attempts).toBeLessThanOrEqual(20);
      // Nothing was signed in, and nothing of the other addresses was burned by the 429s.
      for (const email of emails) expect(await sessionsOf(email)).toBe(0);
    },
  );
});

describe('a right code is not a wrong code', () => {
  it('gives back its place in the per-IP wrong-code quota: 25 sign-ins by code from one IP all succeed', async () => {
    alignToWindow();
    const ip = freshIp();
    for (let i = 0; i < 25; i++) {
      if (i % 20 === 0) h.clock.advance(60); // the per-IP sign-in request limit is 30 a minute
      const mail = await h.requestLink(`right${i}@example.com`);
      const response = await verifyCode(mail.to, mail.code!, ip);
      expect([i, response.status]).toEqual([i, 200]);
    }
  });
});

describe('a wrong code tells nobody who shops here', () => {
  // One address in each state: never asked, live link, used link, expired link, burned code.
  const addresses = {
    stranger: 'stranger@example.com',
    live: 'live@example.com',
    used: 'used@example.com',
    expired: 'expired@example.com',
    burned: 'burned@example.com',
  };
  const codes: Record<string, string> = {};

  beforeAll(async () => {
    h.clock.advance(60);
    codes.expired = (await h.requestLink(addresses.expired)).code!;
    h.clock.advance(16 * 60);
    codes.used = (await h.requestLink(addresses.used)).code!;
    expect((await verifyCode(addresses.used, codes.used, freshIp())).status).toBe(200);
    codes.live = (await h.requestLink(addresses.live)).code!;
    codes.burned = (await h.requestLink(addresses.burned)).code!;
    for (let i = 0; i < 5; i++) await verifyCode(addresses.burned, wrongFor(codes.burned), freshIp());
  });

  it('answers a wrong code with the same status and body fields for a stranger and for used-link, expired-link and burned addresses', async () => {
    const answers: Record<string, string> = {};
    for (const [state, email] of Object.entries(addresses)) {
      const response = await verifyCode(email, wrongFor(codes[state] ?? '123456'), freshIp());
      const body = (await response.json()) as Problem;
      answers[state] = `${response.status} ${body.code} ${Object.keys(body).sort().join(',')} ${response.headers.get('content-type')}`;
    }
    expect(new Set(Object.values(answers)).size).toBe(1);
    expect(answers.stranger).toStartWith('400 invalid_code ');
  });

  it('does the same database work for a stranger as for a known address (comparable timing)', async () => {
    const statements: Record<string, number> = {};
    for (const [state, email] of Object.entries(addresses)) {
      if (state === 'burned') continue; // its fifth wrong code (burning) was the one extra write
      await verifyCode(email, wrongFor(codes[state] ?? '123456'), freshIp()); // warm caches
      // The request log writes on a 250 ms timer: flush it now, or its write can land in the count.
      await h.deps.requestLog.flush();
      const before = h.counter.queries;
      await verifyCode(email, wrongFor(codes[state] ?? '123456'), freshIp());
      statements[state] = h.counter.queries - before;
    }
    expect(new Set(Object.values(statements)).size).toBe(1);
  });

  it('tells a used, expired or burned state only to the holder of the right code', async () => {
    const told = async (state: string) => {
      const response = await verifyCode(addresses[state as keyof typeof addresses], codes[state]!, freshIp());
      return `${response.status} ${((await response.json()) as Problem).code}`;
    };
    expect(await told('used')).toBe('409 used_magic_link');
    expect(await told('expired')).toBe('410 expired_magic_link');
    expect(await told('burned')).toBe('429 code_attempts_exceeded');
  });
});
