// The pools beside the main one (src/db/open.ts): which commit asynchronously, and that a database
// handed in (tests, PGlite) serves every purpose.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { loadConfig } from '../src/config.ts';
import type { Db } from '../src/db/db.ts';
import { openSidePools, sharedPools } from '../src/db/open.ts';
import { sql } from '../src/db/sql.ts';
import { freshDatabase, preparedStatements, usingPostgres, type TestDatabase } from './support/database.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function setting(db: Db): Promise<{ synchronous_commit: string; application_name: string }> {
  return (await db.one<{ synchronous_commit: string; application_name: string }>(
    sql`select current_setting('synchronous_commit') as synchronous_commit, current_setting('application_name') as application_name`,
  ))!;
}

describe('side pools', () => {
  it('are the main database itself when it is handed in', () => {
    const pools = sharedPools(database.db);
    expect(pools.counters).toBe(database.db);
    expect(pools.outbox).toBe(database.db);
    expect(pools.webhooks).toBe(database.db);
  });

  // Behind PgBouncer (DATABASE_PREPARE=false) the startup parameter is refused and every pool
  // commits synchronously (docs/deploy.md, "PgBouncer in transaction mode").
  it.skipIf(!usingPostgres || !preparedStatements)(
    'on PostgreSQL: counters and the webhook worker commit asynchronously, the mail outbox synchronously',
    async () => {
      const config = loadConfig({ DATABASE_URL: database.url! });
      const pools = await openSidePools(config, database.db);
      try {
        expect(await setting(pools.counters)).toEqual({ synchronous_commit: 'off', application_name: 'visitor-access-counters' });
        expect(await setting(pools.webhooks)).toEqual({ synchronous_commit: 'off', application_name: 'visitor-access-webhooks' });
        expect(await setting(pools.outbox)).toEqual({ synchronous_commit: 'on', application_name: 'visitor-access-outbox' });
        expect(pools.webhooks.poolSize).toBe(2);
      } finally {
        await pools.close();
      }
    },
  );
});
