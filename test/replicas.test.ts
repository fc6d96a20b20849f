// DATABASE_REPLICA_URL against a real streaming replica: the hot standby `.ci/database-peers` makes
// of the local PostgreSQL (127.0.0.1:5433, or TEST_STANDBY_URL). The edge lookup reads there; when
// replay stops (pg_wal_replay_pause) the lag detector sends it back to the primary, so a revocation
// still reaches the edge within EDGE_CACHE_SECONDS; a replica that goes away is left out.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import postgres from 'postgres';
import { upsertGrant } from '../src/access/grants.ts';
import { sql } from '../src/db/sql.ts';
import type { ReplicaSet } from '../src/db/replicas.ts';
import { usingPostgres } from './support/database.ts';
import { type CookieJar, Harness } from './support/harness.ts';
import { TcpProxy } from './support/tcp-proxy.ts';

const STANDBY_URL = process.env.TEST_STANDBY_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres';

/** Why the standby cannot be used, or null when it is a reachable hot standby. */
async function standbyProblem(): Promise<string | null> {
  if (!usingPostgres) return 'DATABASE_URL is unset (replicas need PostgreSQL; the PostgreSQL run covers them)';
  const probe = postgres(STANDBY_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    const [row] = await probe.unsafe('select pg_is_in_recovery() as standby');
    return row?.standby ? null : `${STANDBY_URL} is not a standby (pg_is_in_recovery() is false)`;
  } catch (error) {
    return `no standby at ${STANDBY_URL} (${(error as Error).message}); start one with: sudo bash .ci/database-peers standby`;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

const problem = await standbyProblem();
// Outside CI a missing standby skips these tests; in CI it fails them (the standby is part of CI).
const inCi = process.env.CI === 'true';
if (problem && !(inCi && usingPostgres)) console.warn(`replicas.test.ts skipped: ${problem}`);

describe.if(problem !== null && inCi && usingPostgres)('read replicas (CI)', () => {
  it('has a hot standby to test against', () => {
    throw new Error(`read replicas cannot be tested: ${problem}`);
  });
});

describe.if(problem === null)('read replicas', () => {
  let h: Harness;
  /** The test database on the standby (same name: the standby replicates the whole cluster). */
  let standbyUrl: string;
  let standby: postgres.Sql;
  let proxy: TcpProxy | null = null;
  /** Real time the TestClock was last moved to: the edge cache runs on it, replication on real time. */
  let lastReal = Date.now();

  beforeAll(async () => {
    h = await Harness.start();
    const url = new URL(STANDBY_URL);
    url.pathname = new URL(h.databaseUrl!).pathname;
    standbyUrl = url.href;
    // CREATE DATABASE reaches the standby by replay: wait for it.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const attempt = postgres(standbyUrl, { max: 1, connect_timeout: 2, onnotice: () => {} });
      try {
        await attempt.unsafe('select 1 from tenants limit 1');
        standby = attempt;
        break;
      } catch (error) {
        await attempt.end({ timeout: 1 });
        if (Date.now() > deadline) throw error;
        await Bun.sleep(100);
      }
    }
  });

  afterEach(async () => {
    // Whatever a test did, replay runs again: nothing else may find the standby paused.
    await standby.unsafe('select pg_wal_replay_resume()');
    proxy?.stop();
    proxy = null;
  });

  afterAll(async () => {
    await standby?.end({ timeout: 1 });
    await h.close();
  });

  function replicas(): ReplicaSet {
    return h.deps.reads as ReplicaSet;
  }

  async function boot(edgeCacheSeconds: number, replicaUrl = standbyUrl): Promise<void> {
    await h.boot({ DATABASE_URL: h.databaseUrl!, DATABASE_REPLICA_URL: replicaUrl, EDGE_CACHE_SECONDS: String(edgeCacheSeconds) });
  }

  /** Moves the TestClock as far as real time moved. */
  function syncClock(): void {
    const now = Date.now();
    h.clock.advance((now - lastReal) / 1000);
    lastReal = now;
  }

  /** Until the replica is known to hold everything committed up to `since` (real time). */
  async function replicaCaughtUp(since: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [stale] = Object.values(replicas().staleness());
      if (stale !== null && stale !== undefined && Date.now() - stale > since) return;
      if (Date.now() > deadline) throw new Error(`the replica did not catch up (staleness ${stale})`);
      await Bun.sleep(50);
    }
  }

  async function shopper(email: string, resource: string): Promise<CookieJar> {
    await upsertGrant(h.db, h.gharart.id, { email, resource, kind: 'content', title: null, orderId: null, expiresAt: null }, h.clock.now());
    const { jar, response } = await h.signIn(email);
    expect(response.status).toBe(303);
    return jar;
  }

  function edge(uri: string, jar: CookieJar): Promise<Response> {
    syncClock();
    return h.fetch('/_edge/visitor/access', { headers: { 'x-original-uri': uri, cookie: jar.header() } });
  }

  function revoke(email: string) {
    return h.db.many(
      sql`update sessions set revoked_at = ${h.clock.now()} where visitor_id = (select id from visitors where email = ${email}) and revoked_at is null`,
    );
  }

  async function revokedOnStandby(email: string): Promise<boolean> {
    const rows = await standby.unsafe(
      'select 1 from sessions where revoked_at is not null and visitor_id = (select id from visitors where email = $1)',
      [email],
    );
    return rows.length > 0;
  }

  it('reads the edge lookup on the replica; a session signed in while replay is paused is asked of the primary', async () => {
    await boot(60); // a replica may then be up to 30 s behind: replay stays paused well within that
    const jar = await shopper('on-replica@example.com', '/content/r/*');
    const signedIn = Date.now();
    await replicaCaughtUp(signedIn);
    expect((await standby.unsafe('select pg_is_in_recovery() as r'))[0]?.r).toBe(true);
    await standby.unsafe('select pg_wal_replay_pause()');
    await revoke('on-replica@example.com');
    expect(await revokedOnStandby('on-replica@example.com')).toBe(false); // replay is paused
    // The primary says "revoked"; the edge still lets the session in: it asked the replica.
    expect((await edge('/content/r/1', jar)).status).toBe(204);
    expect(replicas().pick(30_000).replica).toBe(true);

    // A session the replica has not seen yet (signed in on the primary after the pause) opens
    // its page at once: a token unknown to the replica is asked of the primary.
    const fresh = await shopper('signed-in-during-pause@example.com', '/content/p/*');
    expect((await edge('/content/p/1', fresh)).status).toBe(204);
  });

  it('stops honouring a revoked session within EDGE_CACHE_SECONDS while replay is paused (the lag detector switches to the primary)', async () => {
    await boot(2); // a replica may answer when ≤ 1 s behind; lag sampled every 200 ms
    const jar = await shopper('revoked-while-lagging@example.com', '/content/l/*');
    await replicaCaughtUp(Date.now());
    expect((await edge('/content/l/1', jar)).status).toBe(204); // read on the replica, cached
    await standby.unsafe('select pg_wal_replay_pause()');
    await revoke('revoked-while-lagging@example.com');
    const revokedAt = Date.now();
    let status = 204;
    while (status === 204 && Date.now() - revokedAt < 5_000) {
      await Bun.sleep(100);
      status = (await edge('/content/l/1', jar)).status;
    }
    const took = Date.now() - revokedAt;
    expect(status).toBe(401);
    // The bound is 2 s; the slack covers the poll interval and the request itself (the TestClock
    // follows real time only when a check is made).
    expect(took).toBeLessThanOrEqual(2_000 + 300);
    expect(await revokedOnStandby('revoked-while-lagging@example.com')).toBe(false); // still paused: the primary answered
    expect(replicas().pick(1_000).replica).toBe(false);
  });

  it('answers from the primary when the replica goes down', async () => {
    const target = new URL(STANDBY_URL);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const viaProxy = new URL(standbyUrl);
    viaProxy.port = String(proxy.port);
    await boot(2, viaProxy.href);
    const jar = await shopper('replica-down@example.com', '/content/d/*');
    await replicaCaughtUp(Date.now());
    proxy.stop(); // every connection to the replica dropped, new ones refused
    const started = Date.now();
    const response = await edge('/content/d/1', jar);
    expect(response.status).toBe(204); // the failed read was asked again of the primary
    expect(Date.now() - started).toBeLessThan(2_000);
    await replicas().sample();
    expect(Object.values(replicas().staleness())).toEqual([null]);
    expect(replicas().pick(1_000).replica).toBe(false);
    expect(h.logs.some((line) => line.includes('replica not used'))).toBe(true);
  });
});
