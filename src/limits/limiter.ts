// Fixed-window counters in Postgres, shared by every instance: one statement bumps every counter
// of a request atomically (`insert … on conflict do update … returning`), so a burst across
// instances lets through exactly the quota. Answers carry the IETF RateLimit headers.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { AppError } from '../errors.ts';
import { CounterBatch, type Bump } from './hit-batch.ts';
import { ipLimitKey } from './ip-key.ts';
import { PolicyCache, type KeyType, type LimitRoute, type Policy } from './policies.ts';

export type LimitKeys = Partial<Record<KeyType, string>>;

export type LimitOutcome = {
  policy: Policy;
  key: string;
  count: number;
  remaining: number;
  resetAt: Date;
  exceeded: boolean;
  counted: boolean;
};

export type LimitResult = {
  outcomes: LimitOutcome[];
  /** RateLimit-Policy / RateLimit for the non-silent policies, in policy order. */
  headers: Record<string, string>;
  /** The first exceeded non-silent policy this request was counted against: it must be refused. */
  blocking: LimitOutcome | null;
  /** A silent policy (per-email) was exceeded: answer as usual, but do not do the work. */
  silentExceeded: boolean;
};

function windowOf(policy: Policy, nowMs: number): { start: number; end: number } {
  const size = policy.windowSeconds * 1000;
  const start = Math.floor(nowMs / size) * size; // epoch-aligned; 86 400 s windows are UTC days
  return { start, end: start + size };
}

export class RateLimiter {
  readonly policies: PolicyCache;

  private readonly batch: CounterBatch;
  private readonly ipv6Prefix: number;
  private readonly onRefused: (policy: string) => void;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    options: {
      ipv6Prefix?: number;
      /** Metrics: a request refused, or silently not served, by this policy. */
      onRefused?: (policy: string) => void;
    } = {},
  ) {
    this.policies = new PolicyCache(db);
    this.batch = new CounterBatch(db, (bumps) => this.countAlone(bumps, []));
    this.ipv6Prefix = options.ipv6Prefix ?? 64;
    this.onRefused = options.onRefused ?? (() => {});
  }

  /** The counter key part of one policy: every `ip` key is the client's limit key (IPv6 by prefix). */
  private keyPart(keyType: KeyType, keys: LimitKeys): string {
    const value = keys[keyType]!;
    return keyType === 'ip' ? ipLimitKey(value, this.ipv6Prefix) : value;
  }

  /**
   * Counts this request against the route's policies whose key is known. `count` selects which
   * policies are bumped; the others are only read (e.g. wrong codes are counted only when wrong).
   */
  async hit(
    route: LimitRoute,
    tenantId: string | null,
    keys: LimitKeys,
    count: (policy: Policy) => boolean = () => true,
    /** `batch`: counted with the other batched requests of this event-loop turn in one statement (hit-batch.ts). */
    options: { batch?: boolean } = {},
  ): Promise<LimitResult> {
    const policies = (await this.policies.forRoute(route, tenantId)).filter((p) => keys[p.keyType] !== undefined);
    const nowMs = this.clock.now().getTime();
    const planned = policies.map((policy) => {
      const window = windowOf(policy, nowMs);
      const scope = policy.keyType === 'ip' || policy.keyType === 'credential' ? '' : `${tenantId ?? '-'}|`;
      return {
        policy,
        window,
        key: `${policy.name}|${scope}${this.keyPart(policy.keyType, keys)}|${window.start / 1000}`,
        bump: count(policy),
      };
    });
    const bump = planned.filter((p) => p.bump);
    const read = planned.filter((p) => !p.bump);
    const bumps = bump.map((p) => ({ key: p.key, expiresAt: new Date(p.window.end).toISOString() }));
    // Batched only when every policy is bumped: a read-only key must not share a statement with a bump of it.
    const counts =
      options.batch && read.length === 0 && bumps.length > 0
        ? await this.batch.bump(bumps)
        : await this.countAlone(
            bumps,
            read.map((p) => p.key),
          );
    const outcomes = planned.map(({ policy, window, key, bump: bumped }) => {
      const count = counts.get(key) ?? 0;
      // A read-only policy is exceeded once the quota is used up; a bumped one when this request is past it.
      const exceeded = bumped ? count > policy.quota : count >= policy.quota;
      return { policy, key, count, remaining: Math.max(0, policy.quota - count), resetAt: new Date(window.end), exceeded, counted: bumped };
    });
    const visible = outcomes.filter((o) => !o.policy.silent);
    const headers: Record<string, string> = {};
    if (visible.length) {
      headers['ratelimit-policy'] = visible.map((o) => `"${o.policy.label}";q=${o.policy.quota};w=${o.policy.windowSeconds}`).join(', ');
      headers.ratelimit = visible
        .map((o) => `"${o.policy.label}";r=${o.remaining};t=${Math.max(0, Math.ceil((o.resetAt.getTime() - nowMs) / 1000))}`)
        .join(', ');
    }
    const blocking = visible.find((o) => o.exceeded && o.counted) ?? null;
    const silent = outcomes.filter((o) => o.policy.silent && o.exceeded && o.counted);
    // Every caller refuses a blocking outcome (429) and skips the work of a silent one.
    if (blocking) this.onRefused(blocking.policy.name);
    for (const o of silent) this.onRefused(o.policy.name);
    return { outcomes, headers, blocking, silentExceeded: silent.length > 0 };
  }

  /** One request's bumps and reads in one statement: each key's count. Bumps in key order (hit-batch.ts: no deadlocks). */
  private async countAlone(bumps: Bump[], readKeys: string[]): Promise<Map<string, number>> {
    if (bumps.length === 0 && readKeys.length === 0) return new Map();
    const rows = await this.db.many<{ key: string; count: number }>(sql`
      with bumped as (
        insert into rate_limit_counters (key, count, expires_at)
        select k, 1, e::timestamptz from unnest(${bumps.map((b) => b.key)}::text[], ${bumps.map((b) => b.expiresAt)}::text[]) as t(k, e)
        order by k
        on conflict (key) do update set count = rate_limit_counters.count + 1
        returning key, count
      )
      select key, count from bumped
      union all
      select key, count from rate_limit_counters where key = any(${readKeys}::text[])`);
    return new Map(rows.map((r) => [r.key, r.count]));
  }

  /**
   * Gives back what `hit` counted for one outcome: a reservation that turned out not to be what
   * the policy limits (a right code reserved a place in the wrong-code quota). Never below zero.
   */
  async release(outcome: LimitOutcome): Promise<void> {
    if (!outcome.counted) return;
    await this.db.many(sql`update rate_limit_counters set count = count - 1 where key = ${outcome.key} and count > 0`);
  }

  /** The 429 for a blocking outcome. */
  refusal(outcome: LimitOutcome): AppError {
    const retryAfter = String(Math.max(1, Math.ceil((outcome.resetAt.getTime() - this.clock.now().getTime()) / 1000)));
    if (outcome.policy.daily) {
      return new AppError('daily_limit_reached', {
        detail: `Daily limit reached (${outcome.policy.description.toLowerCase()}); it resets at ${outcome.resetAt.toISOString()}.`,
        headers: { 'retry-after': retryAfter },
        fields: { resetAt: outcome.resetAt.toISOString() },
      });
    }
    return new AppError('rate_limited', {
      detail: `Too many requests (${outcome.policy.description.toLowerCase()}); try again in ${retryAfter} s.`,
      headers: { 'retry-after': retryAfter },
    });
  }
}

/** Deletes up to `limit` counters whose window ended before `before` (the janitor repeats); returns how many. */
export async function deleteExpiredCountersBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from rate_limit_counters where ctid = any(array(
      select ctid from rate_limit_counters where expires_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}
