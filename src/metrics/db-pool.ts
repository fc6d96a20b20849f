// How busy a database pool is, counted where our statements go through: postgres.js keeps its
// connections' states private. A statement or a transaction outside a transaction holds one
// connection while it runs, so "in flight" beyond the pool size is what waits for a connection.
import type { Db } from '../db/db.ts';
import type { PoolUse } from './metrics.ts';

export function countPoolUse(db: Db, pool: PoolUse): Db {
  const counted = <T>(work: () => Promise<T>): Promise<T> => {
    pool.inFlight++;
    return work().finally(() => {
      pool.inFlight--;
    });
  };
  return {
    kind: db.kind,
    poolSize: db.poolSize,
    many: (query) => counted(() => db.many(query)),
    one: (query) => counted(() => db.one(query)),
    exec: (text) => counted(() => db.exec(text)),
    // Inside, the transaction's statements run on the connection it already holds: not counted again.
    transaction: (work) => counted(() => db.transaction(work)),
    close: () => db.close(),
  };
}
