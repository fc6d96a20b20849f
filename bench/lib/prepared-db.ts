// What-if for the profile only: src/db/postgres.ts (as of f551c13) except that every query is sent as
// a named prepared statement (postgres.js `prepare: true`). src/ calls client.unsafe(text, values),
// whose default is prepare: false — for a query with parameters postgres.js then sends
// Parse+Describe+Sync, waits for the parameter types, then Bind+Execute+Sync: two round trips, and the
// server parses and plans the statement every time. Only `many` differs from src/.
import postgres from 'postgres';
import type { Db } from '../../src/db/db.ts';
import type { Query } from '../../src/db/sql.ts';

type Client = postgres.Sql | postgres.TransactionSql;

// Same array handling as src/db/postgres.ts (arrays as literals, so fetch_types can stay off).
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

function wrap(client: Client, root: postgres.Sql, inTransaction: boolean): Db {
  const db: Db = {
    kind: 'postgres',
    async many<Row>(query: Query) {
      return (await client.unsafe(query.text, toParameters(query.values), { prepare: true })) as unknown as Row[];
    },
    async one<Row>(query: Query) {
      return (await db.many<Row>(query))[0];
    },
    async exec(text: string) {
      await client.unsafe(text);
    },
    async transaction<T>(work: (tx: Db) => Promise<T>) {
      if (inTransaction) return work(db);
      return (await root.begin((tx) => work(wrap(tx, root, true)))) as T;
    },
    async close() {
      await root.end({ timeout: 5 });
    },
  };
  return db;
}

export function openPreparedPostgres(url: string): Db {
  const root = postgres(url, {
    max: 10,
    onnotice: () => {},
    fetch_types: false,
    connect_timeout: 5,
    idle_timeout: 60,
    connection: { application_name: 'va-bench-prepared' },
  });
  return wrap(root, root, false);
}
