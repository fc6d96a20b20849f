// Prometheus metrics (prom-client): one registry per runtime, so tests that boot several runtimes in
// one process never share counts. Labels are bounded by construction: route templates (never raw
// paths), a fixed set of methods, status codes, edge reasons, policy and pool names we define.
// Nothing here names a tenant, a visitor or an email.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A counter child bound once, counted as a plain number and handed to prom-client at scrape time.
 * prom-client's own `labels(…).inc()` hashes and validates the label set on every call; the edge
 * check's hot path affords one integer increment.
 */
export class Tally {
  n = 0;
  inc(by = 1): void {
    this.n += by;
  }
}

/** What the edge check decided: 204 `granted` / `not_gated`, or the reason it sends (x-visitor-reason). */
export const EDGE_OUTCOMES = [
  'granted',
  'not_gated',
  'not_signed_in',
  'no_grant',
  'step_up_required',
  'unknown_host',
  'bad_path',
  'unavailable',
] as const;
export type EdgeOutcome = (typeof EDGE_OUTCOMES)[number];
const EDGE_STATUS: Record<EdgeOutcome, string> = {
  granted: '204',
  not_gated: '204',
  not_signed_in: '401',
  no_grant: '403',
  step_up_required: '403',
  unknown_host: '403',
  bad_path: '403',
  unavailable: '403',
};

/** Queue state read from the database on scrape (at most once per `stateTtlMs`); null: not known. */
export type QueueState = {
  mail: { pending: number; sending: number; oldestAgeSeconds: number } | null;
  webhooks: { pending: number; sending: number; dead: number; oldestAgeSeconds: number } | null;
};

/** A database pool's use, counted by the Db wrapper (db-pool.ts): postgres.js exposes none. */
export type PoolUse = { readonly name: string; readonly size: number | null; inFlight: number };

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// Sub-millisecond answers to slow sign-ins (SMTP is never on a request's path).
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type MetricsOptions = {
  /** prom-client's process and runtime metrics (memory, CPU, event-loop lag): entry points turn them on. */
  processMetrics?: boolean;
  /** How long a database read of the queues serves scrapes. */
  stateTtlMs?: number;
  now?: () => number;
};

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  /** Pre-bound children for the edge check's hot path. */
  readonly edge: { readonly decisions: Readonly<Record<EdgeOutcome, Tally>>; readonly cacheHit: Tally; readonly cacheMiss: Tally };
  readonly mail = { sent: new Tally(), retried: new Tally(), dead: new Tally() };
  readonly webhooks = { delivered: new Tally(), retried: new Tally(), dead: new Tally(), yieldedMs: new Tally() };

  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly latency: Histogram<'route' | 'method' | 'status'>;
  private readonly refusals: Counter<'policy'>;
  private readonly deletions: Counter<'table'>;
  private readonly pools: PoolUse[] = [];
  private probe: (() => Promise<QueueState>) | null = null;
  private state: { at: number; value: Promise<QueueState> } | null = null;
  private readonly stateTtlMs: number;
  private readonly now: () => number;

  constructor(options: MetricsOptions = {}) {
    this.stateTtlMs = options.stateTtlMs ?? 5000;
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });

    this.requests = new Counter({
      name: 'va_http_requests_total',
      help: 'Requests answered (the edge check not included: see va_edge_decisions_total), by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'va_http_request_duration_seconds',
      help: 'Time from arrival to the answer being ready, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.refusals = new Counter({
      name: 'va_rate_limit_refusals_total',
      help: 'Requests refused by a rate or daily limit (429), and silent per-email limits reached, by policy.',
      labelNames: ['policy'],
      registers,
    });

    this.deletions = new Counter({
      name: 'va_janitor_rows_deleted_total',
      help: 'Rows the janitor deleted (retention, expired counters and idempotency keys), by table.',
      labelNames: ['table'],
      registers,
    });

    const decisions = Object.fromEntries(EDGE_OUTCOMES.map((o) => [o, new Tally()])) as Record<EdgeOutcome, Tally>;
    this.edge = { decisions, cacheHit: new Tally(), cacheMiss: new Tally() };
    this.tallies('va_edge_decisions_total', 'Edge checks answered, by status and reason.', ['status', 'reason'], () =>
      EDGE_OUTCOMES.map((o) => [{ status: EDGE_STATUS[o], reason: o }, decisions[o].n]),
    );
    this.tallies('va_edge_cache_lookups_total', 'Edge checks with a session token, by whether the cache answered.', ['result'], () => [
      [{ result: 'hit' }, this.edge.cacheHit.n],
      [{ result: 'miss' }, this.edge.cacheMiss.n],
    ]);
    this.tallies('va_mail_sends_total', 'Mail sending attempts of this instance, by outcome (dead: failed for good).', ['outcome'], () => [
      [{ outcome: 'sent' }, this.mail.sent.n],
      [{ outcome: 'retry' }, this.mail.retried.n],
      [{ outcome: 'dead' }, this.mail.dead.n],
    ]);
    this.tallies('va_webhook_attempts_total', 'Webhook delivery attempts of this instance, by outcome.', ['outcome'], () => [
      [{ outcome: 'delivered' }, this.webhooks.delivered.n],
      [{ outcome: 'retry' }, this.webhooks.retried.n],
      [{ outcome: 'dead' }, this.webhooks.dead.n],
    ]);
    this.tallies(
      'va_webhook_yield_seconds_total',
      "Seconds this instance's webhook worker held its claims back while sign-in pressed (the events waited in the outbox).",
      [],
      () => [[{}, this.webhooks.yieldedMs.n / 1000]],
    );

    const metrics = this;
    const stateGauge = (name: string, help: string, read: (state: QueueState) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.reset();
          const value = read(await metrics.queueState());
          if (value !== undefined) this.set(value);
        },
      });
    stateGauge('va_mail_outbox_pending', 'Mails waiting to be sent (all instances).', (s) => s.mail?.pending);
    stateGauge('va_mail_outbox_in_flight', 'Mails claimed by a worker and not yet recorded (all instances).', (s) => s.mail?.sending);
    stateGauge('va_mail_outbox_oldest_age_seconds', 'Age of the oldest mail not yet sent (0: none).', (s) => s.mail?.oldestAgeSeconds);
    stateGauge('va_webhook_deliveries_pending', 'Webhook deliveries waiting (all instances).', (s) => s.webhooks?.pending);
    stateGauge('va_webhook_deliveries_in_flight', 'Webhook deliveries claimed and not yet recorded.', (s) => s.webhooks?.sending);
    stateGauge('va_webhook_deliveries_dead', 'Webhook deliveries given up on (until re-sent).', (s) => s.webhooks?.dead);
    stateGauge(
      'va_webhook_deliveries_oldest_age_seconds',
      'Age of the oldest delivery not yet done (0: none).',
      (s) => s.webhooks?.oldestAgeSeconds,
    );

    const poolGauge = (name: string, help: string, read: (pool: PoolUse) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['pool'],
        registers,
        collect() {
          this.reset();
          for (const pool of metrics.pools) {
            const value = read(pool);
            if (value !== null) this.set({ pool: pool.name }, value);
          }
        },
      });
    poolGauge('va_db_pool_size', 'Connections the pool may open.', (p) => p.size);
    poolGauge('va_db_pool_in_use', 'Statements and transactions running, up to the pool size (each holds a connection).', (p) =>
      p.size === null ? p.inFlight : Math.min(p.inFlight, p.size),
    );
    poolGauge('va_db_pool_waiting', 'Statements and transactions beyond the pool size: queued for a connection.', (p) =>
      p.size === null ? null : Math.max(0, p.inFlight - p.size),
    );
  }

  /** A counter whose values are tallies read at scrape time. */
  private tallies<L extends string>(name: string, help: string, labelNames: L[], read: () => [Record<L, string>, number][]): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels as never, value);
      },
    });
  }

  /** One answered request; `route` is the matched route template, or null when none matched. */
  observeRequest(route: string | null, method: string, status: number, seconds: number): void {
    const labels = { route: route ?? 'unmatched', method: METHODS.has(method) ? method : 'other', status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  refused(policy: string): void {
    this.refusals.inc({ policy });
  }

  /** Rows the janitor deleted from a table (one of its fixed list: bounded labels). */
  rowsDeleted(table: string, count: number): void {
    this.deletions.inc({ table }, count);
  }

  /** Counts a pool's use; the Db wrapper updates `inFlight`. */
  trackPool(name: string, size: number | null): PoolUse {
    const pool = { name, size, inFlight: 0 };
    this.pools.push(pool);
    return pool;
  }

  /** How the queues are read (the app registers it: the outbox's and the webhooks' own statements). */
  setQueueProbe(probe: () => Promise<QueueState>): void {
    this.probe = probe;
    this.state = null;
  }

  /** At most one read per `stateTtlMs`, shared by every gauge of a scrape and by concurrent scrapes. */
  private queueState(): Promise<QueueState> {
    const now = this.now();
    if (!this.state || now - this.state.at >= this.stateTtlMs) {
      const probe = this.probe;
      const value = probe
        ? probe().catch((): QueueState => ({ mail: null, webhooks: null }))
        : Promise.resolve({ mail: null, webhooks: null });
      this.state = { at: now, value };
    }
    return this.state.value;
  }

  /** The exposition, Prometheus text format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
