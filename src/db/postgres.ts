// Real PostgreSQL through postgres.js.
import postgres from 'postgres';
import type { Db } from './db.ts';
import type { Query } from './sql.ts';

type Client = postgres.Sql | postgres.TransactionSql;

function wrap(client: Client, root: postgres.Sql, inTransaction: boolean): Db {
  const db: Db = {
    kind: 'postgres',
    async many<Row>(query: Query) {
      return (await client.unsafe(query.text, query.values as postgres.ParameterOrJSON<never>[])) as unknown as Row[];
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

export function openPostgres(url: string, options: { max?: number } = {}): Db {
  const root = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
    // Keep int8 out of our schema; counts are cast to int in SQL.
  });
  return wrap(root, root, false);
}
