// The bench database: a fresh `va_bench_<random>` on the real PostgreSQL (never the admin database's
// own tables), migrated with the service's migrations, seeded with one tenant, visitor, session and
// grant (plus a crowd of other shoppers with theirs), and dropped at the end.
import postgres from 'postgres';
import { upsertGrant } from '../../src/access/grants.ts';
import type { Db } from '../../src/db/db.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { sql } from '../../src/db/sql.ts';
import { insertTenant } from '../../src/tenants/tenants.ts';
import { deriveKeyRing } from '../../src/tokens/keys.ts';
import { hashToken, mintToken } from '../../src/tokens/tokens.ts';

export type BenchDatabase = {
  name: string;
  url: string;
  serverVersion: string;
  /** Committed + rolled-back transactions in the bench database so far (flushed when backends exit). */
  transactions(): Promise<number>;
  /** Server processes (backends) connected to the bench database right now. */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
};

export type Seed = {
  host: string;
  /** A live `vs_` session token whose visitor holds a grant covering `gatedPath`. */
  sessionToken: string;
  gatedPath: string;
  visitorId: string;
  /** More live sessions, each its own visitor with the same grant: what a CDN sees from many shoppers. */
  crowdTokens: string[];
};

/** How many shoppers the crowd holds (uncached edge scenarios ask for them round robin). */
export const CROWD = 2_000;

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [{ server_version }] = (await admin.unsafe('show server_version')) as unknown as [{ server_version: string }];
    const name = `va_bench_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await admin.unsafe(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    let dropped = false;
    return {
      name,
      url: url.href,
      serverVersion: server_version,
      async transactions() {
        const [row] = (await admin.unsafe('select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1', [
          name,
        ])) as unknown as [{ n: string }?];
        return Number(row?.n ?? 0);
      },
      async backendPids() {
        const rows = (await admin.unsafe('select pid from pg_stat_activity where datname = $1', [name])) as unknown as { pid: number }[];
        return rows.map((r) => r.pid);
      },
      async drop() {
        if (dropped) return;
        dropped = true;
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end({ timeout: 5 });
      },
    };
  } catch (error) {
    await admin.end({ timeout: 1 });
    throw error;
  }
}

/** Migrations + the one storefront, shopper, session and grant the edge scenarios ask about. */
export async function seed(url: string, tokenSecret: string): Promise<Seed> {
  const db: Db = openPostgres(url, { max: 2 });
  try {
    await migrate(db);
    const now = new Date();
    const tenant = await insertTenant(db, {
      handle: 'bench',
      name: 'Bench storefront',
      origins: ['http://localhost'],
      hosts: ['localhost'],
      gatedPrefixes: ['/content/'],
      mailFrom: null,
      magicLinkTtlSeconds: null,
      sessionTtlSeconds: null,
    });
    const email = 'bench@example.com';
    const visitor = await db.one<{ id: string }>(sql`
      insert into visitors (tenant_id, email, created_at) values (${tenant.id}, ${email}, ${now}) returning id`);
    // A session as consumeLink() mints it: a `vs_` token from the key ring of the same TOKEN_SECRET,
    // stored only as its SHA-256.
    const keys = await deriveKeyRing(tokenSecret.split(',').map((s) => s.trim()));
    const sessionToken = mintToken(keys, 'vs');
    await db.many(sql`
      insert into sessions (tenant_id, visitor_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip)
      values (${tenant.id}, ${visitor!.id}, ${hashToken(sessionToken)}, ${now}, ${now},
              ${new Date(now.getTime() + 30 * 86_400_000)}, 'bench', '127.0.0.1')`);
    await upsertGrant(
      db,
      tenant.id,
      { email, resource: '/content/bench/*', kind: 'content', title: 'Bench', orderId: null, expiresAt: null },
      now,
    );
    const crowdTokens = Array.from({ length: CROWD }, () => mintToken(keys, 'vs'));
    await db.many(sql`
      with shoppers as (
        select n, 'crowd-' || n || '@example.com' as email, hash
        from unnest(${crowdTokens.map(hashToken)}::text[]) with ordinality as t(hash, n)),
      visitor_rows as (
        insert into visitors (tenant_id, email, created_at)
        select ${tenant.id}, email, ${now} from shoppers returning id, email),
      grant_rows as (
        insert into grants (tenant_id, email, resource, kind, title, granted_at, updated_at)
        select ${tenant.id}, email, '/content/bench/*', 'content', 'Bench', ${now}, ${now} from shoppers)
      insert into sessions (tenant_id, visitor_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip)
      select ${tenant.id}, v.id, s.hash, ${now}, ${now}, ${new Date(now.getTime() + 30 * 86_400_000)}, 'bench', '127.0.0.1'
      from shoppers s join visitor_rows v using (email)`);
    await db.exec('vacuum (analyze) visitors, sessions, grants');
    return { host: 'localhost', sessionToken, gatedPath: '/content/bench/x', visitorId: visitor!.id, crowdTokens };
  } finally {
    await db.close();
  }
}
