// Transactions behind a transaction pooler (PgBouncer < 1.21 in transaction mode, DATABASE_PREPARE=false):
// each transaction of one of our client connections may run on a different server connection. Were
// the COMMIT that ends it a named prepared statement (parsed once per client connection), the next
// server connection would not know the name: the error aborts the transaction, postgres.js re-sends
// the COMMIT, and PostgreSQL answers a COMMIT in an aborted transaction with ROLLBACK and no error.
// The work is lost while the caller sees success (it showed as the janitor's delete of expired
// counters not being kept, test/limits.test.ts). Only through the pooler (the PgBouncer set of
// .ci/run): without one a client connection is its server connection.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import postgres from 'postgres';
import type { Db } from '../src/db/db.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { sql } from '../src/db/sql.ts';
import { emptyDatabase, preparedStatements, usingPostgres } from './support/database.ts';

const behindPooler = usingPostgres && !preparedStatements;

let database: { url: string; drop(): Promise<void> };
let db: Db;
/** Another client of the pooler, to keep a given server connection busy. */
let other: postgres.Sql;

beforeAll(async () => {
  if (!behindPooler) return;
  database = await emptyDatabase();
  // One client connection: every transaction below is on it, whichever server connection it gets.
  db = openPostgres(database.url, { max: 1, prepare: false });
  other = postgres(database.url, { max: 1, prepare: false, onnotice: () => {} });
  await db.exec('create table kept (n int not null)');
});

afterAll(async () => {
  if (!behindPooler) return;
  await db.close();
  await other.end();
  await database.drop();
});

const serverPid = async (tx: Db) => (await tx.one<{ pid: number }>(sql`select pg_backend_pid() as pid`))!.pid;

describe('transactions through a transaction pooler', () => {
  it.skipIf(!behindPooler)('are committed when the next one of the same client connection runs on another server connection', async () => {
    const first = await db.transaction(async (tx) => {
      await tx.many(sql`insert into kept (n) values (1)`);
      return serverPid(tx);
    });
    // The pooler's only server connection for this database so far is `first`'s, idle now: the other
    // client's transaction gets it and holds it, so our next transaction runs on a new one.
    await other.begin(async (held) => {
      const [{ pid }] = (await held.unsafe('select pg_backend_pid() as pid')) as unknown as [{ pid: number }];
      expect(pid).toBe(first);
      const second = await db.transaction(async (tx) => {
        await tx.many(sql`insert into kept (n) values (2)`);
        return serverPid(tx);
      });
      expect(second).not.toBe(first);
    });
    const rows = await db.many<{ n: number }>(sql`select n from kept order by n`);
    expect(rows.map((r) => r.n)).toEqual([1, 2]);
  });
});
