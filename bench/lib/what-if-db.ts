// What-if for the sign-in profile only: src/db/postgres.ts (prepared statements, pool of 10) with
// extra session settings on every connection, e.g. `synchronous_commit: 'off'` — commit without
// waiting for the WAL flush, so a hot row's lock is held for microseconds instead of an fsync.
import postgres from 'postgres';
import type { Db } from '../../src/db/db.ts';
import type { Query } from '../../src/db/sql.ts';

function arrayLiteral(values: readonly unknown[]): string {
  const items = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    const text = value instanceof Date ? value.toISOString() : String(value);
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

export function openWhatIfPostgres(url: string, settings: Record<string, string>, applicationName = 'va-profile'): Db {
  const root = postgres(url, {
    max: 10,
    onnotice: () => {},
    fetch_types: false,
    connect_timeout: 5,
    idle_timeout: 60,
    connection: { application_name: applicationName, ...settings },
  });
  const db: Db = {
    kind: 'postgres',
    async many<Row>(query: Query) {
      const values = query.values.map((v) => (Array.isArray(v) ? arrayLiteral(v) : v)) as postgres.ParameterOrJSON<never>[];
      return (await root.unsafe(query.text, values, { prepare: true })) as unknown as Row[];
    },
    async one<Row>(query: Query) {
      return (await db.many<Row>(query))[0];
    },
    async exec(text: string) {
      await root.unsafe(text);
    },
    async transaction<T>(work: (tx: Db) => Promise<T>) {
      return work(db); // not needed by the what-ifs
    },
    async close() {
      await root.end({ timeout: 5 });
    },
  };
  return db;
}
