// Embedded PostgreSQL (PGlite): one backend in this process, persisted under DATA_DIR.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db } from './db.ts';
import type { Query } from './sql.ts';

type Client = PGlite | Transaction;

function wrap(client: Client, root: PGlite, inTransaction: boolean): Db {
  const db: Db = {
    kind: 'pglite',
    poolSize: 1,
    async many<Row>(query: Query) {
      try {
        const result = await client.query<Row>(query.text, query.values as unknown[]);
        return result.rows;
      } catch (error) {
        throw markClosed(error, root);
      }
    },
    async one<Row>(query: Query) {
      return (await db.many<Row>(query))[0];
    },
    async exec(text: string) {
      await client.exec(text);
    },
    async transaction<T>(work: (tx: Db) => Promise<T>) {
      // PGlite serialises transactions on its single backend: never nest on the outer handle.
      if (inTransaction) return work(db);
      return root.transaction((tx) => work(wrap(tx, root, true)));
    },
    async close() {
      if (!root.closed) await root.close();
    },
  };
  return db;
}

function markClosed(error: unknown, root: PGlite): unknown {
  if (root.closed && error && typeof error === 'object') Object.assign(error, { code: 'database_closed' });
  return error;
}

/** `dataDir` persists; `loadDataDir` starts from a dump (fast test setup); neither: in memory. */
export async function openPglite(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<{ db: Db; pglite: PGlite }> {
  const pglite = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
  return { db: wrap(pglite, pglite, false), pglite };
}
