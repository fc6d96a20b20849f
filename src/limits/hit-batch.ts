// Counter bumps of one event-loop turn in one statement (the sign-in request's; RateLimiter.hit with
// `batch`). Each distinct key is bumped once by the number of requests that count against it, and
// the statement returns the new totals: the batch then owns the counts (total − n, total], handed
// out one per request in arrival order. The bump is one atomic upsert under the row's lock, as a
// single request's is, so limits stay exact across instances and a batch never over-admits.
//
// Keys are bumped in sorted order (so are a single request's, limiter.ts): two statements locking
// the same counters always take them in the same order and cannot deadlock. Should the statement
// fail for any reason but an unreachable database, each request is counted on its own instead, so
// one bad request cannot fail its neighbours.
import { isDatabaseUnavailable, type Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

/** One counter one request bumps by one: its key and when its window ends (ISO). */
export type Bump = { key: string; expiresAt: string };

type Waiting = { bumps: Bump[]; resolve: (counts: Map<string, number>) => void; reject: (error: unknown) => void };

/** Most requests per statement; more waiting than this go in the next one, sent at the same time. */
export const MAX_HIT_BATCH = 64;

// Not a web standard, but Bun, Deno and Node all have it; it runs after the I/O callbacks of this turn.
const afterThisTurn: (run: () => void) => void = globalThis.setImmediate ?? ((run) => setTimeout(run, 0));

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
  private waiting: Waiting[] = [];

  constructor(
    private readonly db: Db,
    /** One request's bumps in a statement of its own (the fallback). */
    private readonly single: (bumps: Bump[]) => Promise<Map<string, number>>,
  ) {}

  /** Bumps this request's counters with the other requests of this turn; each key's count as this request sees it. */
  bump(bumps: Bump[]): Promise<Map<string, number>> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) afterThisTurn(() => this.flush());
      this.waiting.push({ bumps, resolve, reject });
    });
  }

  private flush(): void {
    const all = this.waiting;
    this.waiting = [];
    for (let start = 0; start < all.length; start += MAX_HIT_BATCH) void this.run(all.slice(start, start + MAX_HIT_BATCH));
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
