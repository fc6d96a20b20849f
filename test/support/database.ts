// A fresh, migrated database per test file: PGlite restored from a migrated template dump (fast),
// or — when DATABASE_URL is set — a new database on the real PostgreSQL, dropped afterwards.
import postgres from 'postgres';
import type { Db } from '../../src/db/db.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { sql } from '../../src/db/sql.ts';

export const usingPostgres = Boolean(process.env.DATABASE_URL);
/** DATABASE_PREPARE=false: the run goes through PgBouncer in transaction mode (.ci/run). */
export const preparedStatements = process.env.DATABASE_PREPARE !== 'false';

let template: Promise<Blob> | null = null;

function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const { db, pglite } = await openPglite();
    await migrate(db);
    const dump = await pglite.dumpDataDir('none');
    await db.close();
    return dump;
  })();
  return template;
}

export type TestDatabase = { db: Db; url: string | null; drop(): Promise<void> };

/** A new, empty database on the real PostgreSQL of DATABASE_URL (never that database itself). */
export async function emptyDatabase(prefix = 'va_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL!;
  const name = `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const again = postgres(base, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

export async function freshDatabase(): Promise<TestDatabase> {
  if (!usingPostgres) {
    const { db } = await openPglite({ loadDataDir: await migratedTemplate() });
    return { db, url: null, drop: () => db.close() };
  }
  const empty = await emptyDatabase();
  const db = openPostgres(empty.url, { prepare: preparedStatements });
  await migrate(db);
  return {
    db,
    url: empty.url,
    async drop() {
      await db.close();
      await empty.drop();
    },
  };
}

/** Counts statements that reach the database, to prove some paths never query. */
export function countingDb(inner: Db, counter: { queries: number }): Db {
  const wrap = (db: Db): Db => ({
    kind: db.kind,
    poolSize: db.poolSize,
    many: (q) => {
      counter.queries++;
      return db.many(q);
    },
    one: (q) => {
      counter.queries++;
      return db.one(q);
    },
    exec: (t) => {
      counter.queries++;
      return db.exec(t);
    },
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    close: async () => {}, // the harness owns the real handle
  });
  return wrap(inner);
}

/**
 * Holds a storefront's row in a transaction of its own (PostgreSQL: PGlite has one connection), so
 * sign-in writes for it wait, as they would behind a slow commit: each row written references it.
 * Resolves once the row is held, with what lets it go (and waits for the transaction to end).
 */
export async function holdTenantRow(db: Db, tenantId: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const isHeld = new Promise<void>((resolve) => (held = resolve));
  const holder = db.transaction(async (tx) => {
    await tx.many(sql`select id from tenants where id = ${tenantId} for update`);
    held();
    await released;
  });
  await Promise.race([isHeld, holder]);
  return async () => {
    release();
    await holder;
  };
}
