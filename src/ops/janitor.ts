// The janitor: deletes what the retention settings (RETENTION_*_DAYS; docs/deploy.md, "Retention")
// no longer keep, and the shared-state tables' expired rows (rate-limit counters, idempotency keys).
// Each table's delete statement lives in the module that owns the table; here they are composed.
//
// Bounded: a statement deletes at most `batchSize` rows, found through an index on the time they
// ended, in its own short transaction; it is repeated until a batch comes back short or the table's
// `maxBatches` for this sweep are spent. No statement holds many row locks or runs long, and a
// backlog (the first sweep after an upgrade) is worked off over the following sweeps.
//
// One instance at a time: each batch's transaction first takes a transaction-scoped advisory lock
// (pg_try_advisory_xact_lock); an instance that finds it taken ends its sweep, as another instance
// is sweeping. Were two sweeps to interleave anyway, nothing breaks: a batch deletes only rows past
// their retention, and a row already deleted by the other is not there to delete twice.
import { deleteAuditEventsBefore } from '../audit/audit.ts';
import { deleteRequestLogBefore } from '../audit/request-log.ts';
import { deleteSecurityEventsBefore } from '../audit/security-events.ts';
import { addSeconds, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { deleteIdleConsoleSessionsBefore } from '../console/session.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { deleteExpiredHandoffsBefore } from '../handoffs/handoffs.ts';
import { deleteExpiredIdempotencyKeys } from '../idempotency/idempotency.ts';
import { deleteExpiredCountersBefore } from '../limits/limiter.ts';
import type { Logger } from '../log.ts';
import { deleteUnusedLinksBefore, deleteUsedLinksBefore } from '../magic-link/magic-link.ts';
import { deleteExpiredPendingBefore } from '../magic-link/pending.ts';
import { deleteFinishedMailBefore } from '../mail/outbox.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { deleteExpiredChallengesBefore } from '../passkeys/passkeys.ts';
import { deleteExpiredErasureCodesBefore } from '../privacy/erasure-codes.ts';
import { deleteEndedSessionsBefore } from '../sessions/sessions.ts';
import { deleteFinishedDeliveriesBefore } from '../webhooks/endpoints.ts';

// Arbitrary constant shared by every instance: "visitor-access janitor" (migrations use another).
const JANITOR_LOCK_KEY = 7_203_114_552;
const DAY = 86_400;

type Deletion = (db: Db, before: Date, limit: number) => Promise<number>;
/** One table's retention: the rows that ended before `before(now)` go. */
type Step = { table: string; before: (now: Date) => Date; remove: Deletion };

export type JanitorDeps = {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'retentionDays' | 'consoleIdleSeconds' | 'sessionMaxAgeSeconds'>;
  metrics?: Pick<Metrics, 'rowsDeleted'>;
};

export type JanitorOptions = { everyMs?: number; batchSize?: number; maxBatches?: number };

/** The sweep's tables in order, the big logs last; a table may have several steps (rows that end differently). */
function steps(config: JanitorDeps['config']): Step[] {
  const days = config.retentionDays;
  const ago = (seconds: number) => (now: Date) => addSeconds(now, -seconds);
  return [
    { table: 'rate_limit_counters', before: ago(0), remove: deleteExpiredCountersBefore },
    { table: 'idempotency_keys', before: ago(0), remove: deleteExpiredIdempotencyKeys },
    { table: 'erasure_codes', before: ago(0), remove: deleteExpiredErasureCodesBefore },
    { table: 'passkey_challenges', before: ago(days.passkeyChallenges * DAY), remove: deleteExpiredChallengesBefore },
    { table: 'pending_sign_ins', before: ago(days.pendingSignIns * DAY), remove: deleteExpiredPendingBefore },
    { table: 'handoffs', before: ago(days.handoffs * DAY), remove: deleteExpiredHandoffsBefore },
    // Idle for longer than the idle timeout: ended by then, whatever its absolute lifetime.
    {
      table: 'console_sessions',
      before: ago(days.consoleSessions * DAY + config.consoleIdleSeconds),
      remove: deleteIdleConsoleSessionsBefore,
    },
    { table: 'sessions', before: ago(days.sessions * DAY), remove: deleteEndedSessionsBefore },
    { table: 'magic_links', before: ago(days.magicLinks * DAY), remove: deleteUnusedLinksBefore },
    // A used link stays as long as the session it made can be kept: SESSION_MAX_AGE after sign-in,
    // then RETENTION_SESSIONS_DAYS (one index range, no look-up of each link's session).
    {
      table: 'magic_links',
      before: ago(Math.max(days.magicLinks * DAY, config.sessionMaxAgeSeconds + days.sessions * DAY)),
      remove: deleteUsedLinksBefore,
    },
    { table: 'mail_outbox', before: ago(days.mail * DAY), remove: deleteFinishedMailBefore },
    { table: 'webhook_deliveries', before: ago(days.webhookDeliveries * DAY), remove: deleteFinishedDeliveriesBefore },
    { table: 'security_events', before: ago(days.securityEvents * DAY), remove: deleteSecurityEventsBefore },
    { table: 'request_log', before: ago(days.requestLog * DAY), remove: deleteRequestLogBefore },
    { table: 'audit_events', before: ago(days.auditEvents * DAY), remove: deleteAuditEventsBefore },
  ];
}

export class Janitor {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<Map<string, number>> | null = null;
  private readonly everyMs: number;
  private readonly batchSize: number;
  private readonly maxBatches: number;
  private readonly steps: Step[];

  constructor(
    private readonly deps: JanitorDeps,
    options: JanitorOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 60_000;
    this.batchSize = options.batchSize ?? 1000;
    this.maxBatches = options.maxBatches ?? 20;
    this.steps = steps(deps.config);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; returns how many rows were removed. */
  async sweep(): Promise<number> {
    let total = 0;
    for (const n of (await this.sweepTables()).values()) total += n;
    return total;
  }

  /** One pass; the rows removed per table. A sweep still running is joined, not doubled. */
  sweepTables(): Promise<Map<string, number>> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<Map<string, number>> {
    const removed = new Map<string, number>();
    const now = this.deps.clock.now();
    for (const step of this.steps) {
      const before = step.before(now);
      let count = 0;
      try {
        for (let batch = 0; batch < this.maxBatches; batch++) {
          const n = await this.batch(step.remove, before);
          if (n === null) {
            this.record(removed, step.table, count);
            return removed; // another instance is sweeping
          }
          count += n;
          if (n < this.batchSize) break;
        }
      } catch (error) {
        this.deps.logger.warn('janitor sweep failed', { table: step.table, error: String((error as Error).message) });
      }
      this.record(removed, step.table, count);
    }
    return removed;
  }

  /** One batch in its own transaction under the janitor's lock; null when another instance holds it. */
  private batch(remove: Deletion, before: Date): Promise<number | null> {
    return this.deps.db.transaction(async (tx) => {
      const [lock] = await tx.many<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${JANITOR_LOCK_KEY}::bigint) as locked`);
      if (!lock?.locked) return null;
      return remove(tx, before, this.batchSize);
    });
  }

  private record(removed: Map<string, number>, table: string, count: number): void {
    removed.set(table, (removed.get(table) ?? 0) + count);
    if (count > 0) this.deps.metrics?.rowsDeleted(table, count);
  }
}
