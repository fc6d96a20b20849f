// Real PostgreSQL through postgres.js.
import postgres from 'postgres';
import type { Db } from './db.ts';
import { sql, type Query } from './sql.ts';

type Client = postgres.Sql | postgres.TransactionSql;

/**
 * Arrays go over the wire as Postgres array literals (every array parameter in our SQL carries an
 * explicit cast such as `::text[]`). This lets the pool run with `fetch_types: false`: postgres.js
 * otherwise queries pg_type on each new connection, and a connection killed during that query
 * surfaces as an unhandled rejection inside the library.
 */
function arrayLiteral(values: readonly unknown[]): string {
  const items = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    const text = value instanceof Date ? value.toISOString() : String(value);
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

function toParameters(values: readonly unknown[]): postgres.ParameterOrJSON<never>[] {
  return values.map((value) => (Array.isArray(value) ? arrayLiteral(value) : value)) as postgres.ParameterOrJSON<never>[];
}

function wrap(client: Client, root: postgres.Sql, inTransaction: boolean, prepare: boolean): Db {
  const db: Db = {
    kind: 'postgres',
    poolSize: root.options.max,
    async many<Row>(query: Query) {
      // Prepared: PostgreSQL parses and plans each statement once per connection, one round trip.
      // Not behind a transaction pooler that cannot keep them (PgBouncer < 1.21): the next
      // transaction may run on another server connection, where the statement does not exist.
      return (await client.unsafe(query.text, toParameters(query.values), { prepare })) as unknown as Row[];
    },
    async one<Row>(query: Query) {
      return (await db.many<Row>(query))[0];
    },
    async exec(text: string) {
      await client.unsafe(text);
    },
    async transaction<T>(work: (tx: Db) => Promise<T>) {
      if (inTransaction) return work(db);
      return (await root.begin((tx) => work(wrap(tx, root, true, prepare)))) as T;
    },
    async close() {
      await root.end({ timeout: 5 });
    },
  };
  return db;
}

/** Connections of a pool unless its caller asks otherwise (the main pool's size; sign-in admission derives its bound from it). */
export const POOL_SIZE = 10;

export type PostgresOptions = {
  max?: number;
  applicationName?: string;
  /** 'off': commits return before their WAL is flushed (a crash may lose the last few ms of them). */
  synchronousCommit?: 'off';
  /** Named prepared statements (default true); false behind PgBouncer < 1.21 in transaction mode. */
  prepare?: boolean;
};

export function openPostgres(url: string, options: PostgresOptions = {}): Db {
  const prepare = options.prepare ?? true;
  const root = postgres(url, {
    max: options.max ?? POOL_SIZE,
    // Also for the statements postgres.js sends itself: `sql.begin` ends each transaction with a
    // `commit` that would otherwise be a named prepared statement, parsed once per client connection.
    // Behind the pooler, a later transaction on another server connection finds no such statement:
    // the error aborts the transaction, postgres.js re-sends the COMMIT, and PostgreSQL answers a
    // COMMIT in an aborted transaction with ROLLBACK and no error — the work is lost, reported
    // committed (test/pooled-transactions.test.ts).
    prepare,
    onnotice: () => {},
    fetch_types: false,
    connect_timeout: 5,
    idle_timeout: 60,
    // Names our connections in pg_stat_activity (operators, and the fault tests, find them by it).
    connection: {
      application_name: options.applicationName ?? 'visitor-access',
      ...(options.synchronousCommit ? { synchronous_commit: options.synchronousCommit } : {}),
    },
    // Keep int8 out of our schema; counts are cast to int in SQL.
  });
  return wrap(root, root, false, prepare);
}

/**
 * A pool that asks for `synchronous_commit = off` at connect time, or, where that is refused, a
 * pool without it. PgBouncer refuses any startup parameter it does not track ("unsupported startup
 * parameter: synchronous_commit"), so behind it the statements commit synchronously: correct,
 * only without the shorter row-lock hold (docs/deploy.md, "PgBouncer").
 */
export async function openPostgresAsyncCommit(url: string, options: Omit<PostgresOptions, 'synchronousCommit'>): Promise<Db> {
  const db = openPostgres(url, { ...options, synchronousCommit: 'off' });
  try {
    await db.many(sql`select 1`);
    return db;
  } catch (error) {
    // Unreachable right now: keep the pool, it connects when the database is back.
    if (!/unsupported startup parameter/.test(String((error as Error)?.message))) return db;
    await db.close();
    return openPostgres(url, options);
  }
}
