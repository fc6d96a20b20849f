// Overload without harm: while the database holds sign-in requests up, at most
// SIGN_IN_MAX_IN_FLIGHT of them wait for it; the next ones are refused at once (503
// service_unavailable, Retry-After) instead of queueing, and the edge check keeps answering.
// The database is held for real: on PostgreSQL another connection locks `magic_links` (which every
// sign-in request writes), so the edge's own lookups still run; on PGlite (one backend) an open
// transaction holds the only connection, and the edge answers from its cache.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import postgres from 'postgres';
import { loadConfig } from '../src/config.ts';
import { sql } from '../src/db/sql.ts';
import {
  ALWAYS_ADMITTED,
  DEFAULT_SIGN_IN_MAX_IN_FLIGHT,
  DEFAULT_SIGN_IN_MAX_LOOP_LAG_MS,
  EDGE_BUSY_CHECKS,
  signInsInFlight,
} from '../src/magic-link/admission.ts';
import { upsertGrant } from '../src/access/grants.ts';
import { type CookieJar, Harness } from './support/harness.ts';
import { usingPostgres } from './support/database.ts';

const MAX = 3;
let h: Harness;
let jar: CookieJar;

beforeAll(async () => {
  // On PostgreSQL the edge looks up every time (no cache): its lookups must not wait behind sign-ins.
  h = await Harness.start({ env: { SIGN_IN_MAX_IN_FLIGHT: String(MAX), EDGE_CACHE_SECONDS: usingPostgres ? '0' : '5' } });
  await upsertGrant(
    h.db,
    h.gharart.id,
    { email: 'held@example.com', resource: '/content/course-1/*', kind: 'content', title: null, orderId: null, expiresAt: null },
    h.clock.now(),
  );
  ({ jar } = await h.signIn('held@example.com'));
});
afterAll(() => h.close());

let ip = 0;
function requestLink(email: string) {
  ip++;
  return h.json('/v2/visitor/auth/magic-link', { email }, { ip: `10.7.${ip >> 8}.${ip & 255}` });
}

function edge() {
  return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': '/content/course-1/intro', cookie: jar.header() } });
}

function expectAllowed(response: Response) {
  expect(response.status).toBe(204);
  expect(response.headers.get('x-visitor-id')).toBeTruthy();
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** Holds the database for sign-in requests until the returned function is called. */
async function holdDatabase(on: Harness = h): Promise<() => Promise<void>> {
  if (usingPostgres) {
    const other = postgres(on.databaseUrl!, { max: 1, onnotice: () => {} });
    const locked = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const done = other
      .begin(async (tx) => {
        await tx.unsafe('lock table magic_links in access exclusive mode');
        locked.resolve();
        await release.promise;
      })
      .catch(locked.reject);
    await locked.promise;
    return async () => {
      release.resolve();
      await done;
      await other.end();
    };
  }
  const held = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const done = on.db.transaction(async (tx) => {
    await tx.many(sql`select 1`);
    held.resolve();
    await release.promise;
  });
  await held.promise;
  return async () => {
    release.resolve();
    await done;
  };
}

describe('sign-in admission (SIGN_IN_MAX_IN_FLIGHT)', () => {
  it('refuses sign-in requests beyond the bound at once with 503 and Retry-After while the database holds the others; the edge check still answers', async () => {
    expectAllowed(await edge()); // the session's first check (and, on PGlite, its cache)
    const release = await holdDatabase();
    let waiting: Promise<Response>[] = [];
    try {
      waiting = Array.from({ length: MAX }, (_, i) => requestLink(`held-${i}@example.com`));
      await until(() => signInsInFlight(h.deps) === MAX, `${MAX} sign-in requests waiting for the database`);

      const started = performance.now();
      const refused = await requestLink('one-too-many@example.com');
      expect(performance.now() - started).toBeLessThan(1000); // refused, not queued
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.headers.get('retry-after')).toBe('1');
      const problem = (await refused.json()) as { code: string; requestId: string };
      expect(problem.code).toBe('service_unavailable');
      expect(problem.requestId).toBeTruthy();

      // The CDN's check is never refused and does not wait behind the held sign-ins.
      const edgeStarted = performance.now();
      expectAllowed(await edge());
      expect(performance.now() - edgeStarted).toBeLessThan(1000);
      expect(signInsInFlight(h.deps)).toBe(MAX);
    } finally {
      await release();
    }
    // The held ones finish normally, each with its mail queued, and free their slots.
    for (const response of await Promise.all(waiting)) expect(response.status).toBe(202);
    expect(signInsInFlight(h.deps)).toBe(0);
    const [queued] = await h.db.many<{ n: number }>(sql`select count(*)::int as n from mail_outbox where to_address like 'held-%'`);
    expect(queued!.n).toBe(MAX);
    // Nothing was done for the refused one, and the next request is served.
    const [none] = await h.db.many<{ n: number }>(
      sql`select count(*)::int as n from mail_outbox where to_address = 'one-too-many@example.com'`,
    );
    expect(none!.n).toBe(0);
    expect((await requestLink('one-too-many@example.com')).status).toBe(202);
  });

  it('frees the slot of a request that fails, so refusals never outlast the overload', async () => {
    for (let i = 0; i < MAX + 2; i++) {
      expect((await requestLink('not an address')).status).toBe(400);
    }
    expect(signInsInFlight(h.deps)).toBe(0);
    expect((await requestLink('after-failures@example.com')).status).toBe(202);
  });

  it('defaults to eight per connection of the main pool, and refuses a bound below 1', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).signInMaxInFlight).toBeNull();
    expect(DEFAULT_SIGN_IN_MAX_IN_FLIGHT).toBe(80);
    expect(loadConfig({ NODE_ENV: 'test', SIGN_IN_MAX_IN_FLIGHT: '8' }).signInMaxInFlight).toBe(8);
    expect(() => loadConfig({ NODE_ENV: 'test', SIGN_IN_MAX_IN_FLIGHT: '0' })).toThrow('SIGN_IN_MAX_IN_FLIGHT');
  });
});

// Sign-in yields the event loop to a busy edge: the loop is blocked for real (a synchronous busy
// wait of BLOCK_MS, far beyond the bound), so that no timing of the machine decides the outcome.
// The database is held (as above) so that sign-ins stay at work meanwhile.
describe('sign-in admission under a busy edge (SIGN_IN_MAX_LOOP_LAG_MS)', () => {
  const LAG_BOUND_MS = 150;
  const BLOCK_MS = 400;
  let busy: Harness;
  let busyJar: CookieJar;

  beforeAll(async () => {
    busy = await Harness.start({ env: { SIGN_IN_MAX_LOOP_LAG_MS: String(LAG_BOUND_MS), EDGE_CACHE_SECONDS: '5' } });
    await upsertGrant(
      busy.db,
      busy.gharart.id,
      { email: 'shopper@example.com', resource: '/content/course-1/*', kind: 'content', title: null, orderId: null, expiresAt: null },
      busy.clock.now(),
    );
    ({ jar: busyJar } = await busy.signIn('shopper@example.com'));
  });
  afterAll(() => busy.close());

  let n = 0;
  function requestLinkHere(email: string) {
    n++;
    return busy.json('/v2/visitor/auth/magic-link', { email }, { ip: `10.8.${n >> 8}.${n & 255}` });
  }

  async function edgeHere(): Promise<void> {
    const response = await busy.fetch('/_edge/visitor/access', {
      headers: { 'x-original-uri': '/content/course-1/intro', cookie: busyJar.header() },
    });
    expect(response.status).toBe(204);
  }

  function blockTheLoop(): void {
    const until = performance.now() + BLOCK_MS;
    while (performance.now() < until) {
      // the event loop does nothing else meanwhile: every timer, the lag probe's included, is late
    }
  }

  async function queued(email: string): Promise<number> {
    const [row] = await busy.db.many<{ n: number }>(sql`select count(*)::int as n from mail_outbox where to_address = ${email}`);
    return row!.n;
  }

  /** ALWAYS_ADMITTED sign-ins waiting for the held database (never refused for lag). */
  async function signInsAtWork(prefix: string): Promise<Promise<Response>[]> {
    const waiting = Array.from({ length: ALWAYS_ADMITTED }, (_, i) => requestLinkHere(`${prefix}-${i}@example.com`));
    await until(() => signInsInFlight(busy.deps) === ALWAYS_ADMITTED, `${ALWAYS_ADMITTED} sign-in requests waiting for the database`);
    return waiting;
  }

  it('without edge traffic, a lagging loop refuses no sign-in (sign-in may use the whole loop)', async () => {
    const release = await holdDatabase(busy);
    let waiting: Promise<Response>[] = [];
    try {
      waiting = await signInsAtWork('quiet-held');
      blockTheLoop();
      waiting.push(requestLinkHere('quiet-edge@example.com'));
      await until(() => signInsInFlight(busy.deps) === ALWAYS_ADMITTED + 1, 'the third sign-in admitted');
    } finally {
      await release();
    }
    for (const response of await Promise.all(waiting)) expect(response.status).toBe(202);
    expect(await queued('quiet-edge@example.com')).toBe(1);
  });

  it('with the edge busy, a sign-in beyond two at work arriving while the loop lags is refused at once (503, Retry-After, nothing written); later ones are served', async () => {
    await edgeHere(); // the session in the edge's cache, before the database is held
    const release = await holdDatabase(busy);
    let waiting: Promise<Response>[] = [];
    try {
      // Twice the busy rate: however the checks straddle the one-second windows, one holds enough.
      for (let i = 0; i < 2 * EDGE_BUSY_CHECKS; i++) await edgeHere();
      waiting = await signInsAtWork('busy-held'); // the first starts the lag probe
      blockTheLoop();
      // Refused, or (without the lag bound) admitted to wait for the database with the others.
      let answered: Response | null = null;
      void requestLinkHere('while-lagging@example.com').then((response) => (answered = response));
      await until(() => answered !== null || signInsInFlight(busy.deps) > ALWAYS_ADMITTED, 'the sign-in refused or admitted');
      const refused = answered as Response | null;
      expect(refused?.status).toBe(503);
      expect(refused!.headers.get('retry-after')).toBe('1');
      expect(((await refused!.json()) as { code: string }).code).toBe('service_unavailable');
      expect(signInsInFlight(busy.deps)).toBe(ALWAYS_ADMITTED);
    } finally {
      await release();
    }
    for (const response of await Promise.all(waiting)) expect(response.status).toBe(202);
    expect(await queued('while-lagging@example.com')).toBe(0);

    // Once the loop keeps time again, sign-in is admitted (the refusal lasts about as long as the lag).
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 202; attempt++) {
      await Bun.sleep(BLOCK_MS / 4);
      status = (await requestLinkHere('after-lag@example.com')).status;
    }
    expect(status).toBe(202);
    expect(await queued('after-lag@example.com')).toBe(1);
  });

  it('defaults to 2 ms, and 0 turns it off', () => {
    expect(DEFAULT_SIGN_IN_MAX_LOOP_LAG_MS).toBe(2);
    expect(loadConfig({ NODE_ENV: 'test' }).signInMaxLoopLagMs).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', SIGN_IN_MAX_LOOP_LAG_MS: '0' }).signInMaxLoopLagMs).toBe(0);
    expect(() => loadConfig({ NODE_ENV: 'test', SIGN_IN_MAX_LOOP_LAG_MS: '-1' })).toThrow('SIGN_IN_MAX_LOOP_LAG_MS');
  });
});
