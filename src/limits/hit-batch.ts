// Counter bumps of one event-loop turn in one statement (the sign-in request's; RateLimiter.hit with
// `batch`), or of several turns while the previous statement runs (turn-batch.ts). Each distinct
// key is bumped once by the number of requests that count against it, and the statement returns
// the new totals: the batch then owns the counts (total − n, total], handed
// out one per request in arrival order. The bump is one atomic upsert under the row's lock, as a
// single request's is, so limits stay exact across instances and a batch never over-admits.
//
// Keys are bumped in sorted order (so are a single request's, limiter.ts): two statements locking
// the same counters always take them in the same order and cannot deadlock. Should the statement
// fail for any reason but an unreachable database, each request is counted on its own instead, so
// one bad request cannot fail its neighbours.
import { isDatabaseUnavailable, type Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { TurnBatch } from '../db/turn-batch.ts';

/** One counter one request bumps by one: its key and when its window ends (ISO). */
export type Bump = { key: string; expiresAt: string };

type Waiting = { bumps: Bump[]; resolve: (counts: Map<string, number>) => void; reject: (error: unknown) => void };

/** Most requests per statement; more waiting than this go in the next one. */
export const MAX_HIT_BATCH = 64;

/**
 * One statement of bumps at the database at a time (turn-batch.ts): bumps that arrive meanwhile go
 * together in the next, rather than each turn's in a statement of its own that queues for the same
 * counter rows' locks.
 */
export const HIT_BATCHES_IN_FLIGHT = 1;

/** Bumps each key by its `n` in one statement; the new totals. */
async function bumpCounters(db: Db, keys: { key: string; n: number; expiresAt: string }[]): Promise<Map<string, number>> {
  const rows = await db.many<{ key: string; count: number }>(sql`
    insert into rate_limit_counters (key, count, expires_at)
    select k, n, e::timestamptz
    from unnest(${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.n)}::int[], ${keys.map((k) => k.expiresAt)}::text[]) as t(k, n, e)
    order by k
    on conflict (key) do update set count = rate_limit_counters.count + excluded.count
    returning key, count`);
  return new Map(rows.map((r) => [r.key, r.count]));
}

export class CounterBatch {
  private readonly batches = new TurnBatch<Waiting>((batch) => this.run(batch), {
    maxBatch: MAX_HIT_BATCH,
    maxInFlight: HIT_BATCHES_IN_FLIGHT,
  });

  constructor(
    private readonly db: Db,
    /** One request's bumps in a statement of its own (the fallback). */
    private readonly single: (bumps: Bump[]) => Promise<Map<string, number>>,
  ) {}

  /** Bumps this request's counters with the other requests of this turn; each key's count as this request sees it. */
  bump(bumps: Bump[]): Promise<Map<string, number>> {
    return new Promise((resolve, reject) => this.batches.add({ bumps, resolve, reject }));
  }

  private async run(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    const perKey = new Map<string, { key: string; n: number; expiresAt: string }>();
    for (const w of batch) {
      for (const b of w.bumps) {
        const entry = perKey.get(b.key);
        if (entry) entry.n += 1;
        else perKey.set(b.key, { key: b.key, n: 1, expiresAt: b.expiresAt });
      }
    }
    let totals: Map<string, number>;
    try {
      totals = await bumpCounters(this.db, [...perKey.values()]);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      await Promise.all(batch.map((w) => this.alone(w)));
      return;
    }
    // The batch's share of each key: (total − n, total], in arrival order.
    const next = new Map<string, number>();
    for (const [key, { n }] of perKey) next.set(key, (totals.get(key) ?? n) - n + 1);
    for (const w of batch) {
      const counts = new Map<string, number>();
      for (const b of w.bumps) {
        const count = next.get(b.key)!;
        next.set(b.key, count + 1);
        counts.set(b.key, count);
      }
      w.resolve(counts);
    }
  }

  private async alone(w: Waiting): Promise<void> {
    try {
      w.resolve(await this.single(w.bumps));
    } catch (error) {
      w.reject(error);
    }
  }
}
