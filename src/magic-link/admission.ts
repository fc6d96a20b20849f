// Admission for sign-in requests: at most SIGN_IN_MAX_IN_FLIGHT of them do their work at once;
// one more is refused at once with 503 service_unavailable and Retry-After, before any database
// work. When PostgreSQL is the bottleneck, a request beyond what the pool can serve soon only waits
// in postgres.js's queue, holding memory, and delays everything behind it in the same pool — the
// uncached edge check included. A fast refusal lets the caller (a browser, a storefront server)
// retry, and keeps the queue short. The edge check never passes through here.
//
// The edge check also shares this process's event loop (and its core) with admitted sign-ins: a
// turn spent on sign-in work is a turn every waiting edge check waits for. So while the edge is
// busy, sign-in yields: the loop's lag is probed every 5 ms; a lag L beyond SIGN_IN_MAX_LOOP_LAG_MS
// refuses sign-in beyond two at work for the next L ms, and halves an adaptive in-flight limit,
// which grows back by one per probe without lag (AIMD, as in Netflix's concurrency-limits). Without edge traffic, sign-in may use the whole loop (the fixed bound only).
//
// Per runtime (keyed by its deps): each instance bounds its own work; the bound is per process.
import type { AppDeps } from '../app-deps.ts';
import { POOL_SIZE } from '../db/postgres.ts';
import { AppError } from '../errors.ts';
import type { Tally } from '../metrics/metrics.ts';

/**
 * The default bound: eight requests per connection of the main pool. A sign-in request holds a
 * connection for two short statements (about a millisecond each when PostgreSQL keeps up), so an
 * admitted request waits some 10–20 ms at most for one; more would only queue. With the pool's 10
 * that is 80: clients that hang up leave their requests finishing (a sign-in is never abandoned
 * half-way), so a steady 32-connection load that reconnects can briefly have 64 at work without
 * being overloaded.
 */
export const DEFAULT_SIGN_IN_MAX_IN_FLIGHT = 8 * POOL_SIZE;

/**
 * The default lag bound (ms) while the edge is busy. An edge check answered from the cache costs
 * microseconds; a loop that answers one turn late by more than this has let sign-in work take the
 * edge's time. The timer probe's own jitter on an idle loop is ~0.1 ms.
 */
export const DEFAULT_SIGN_IN_MAX_LOOP_LAG_MS = 2;

/**
 * The edge counts as busy from this many checks within a probe window (one second): a CDN in
 * front of a storefront with shoppers. A handful of checks (a test, a quiet shop) do not make
 * sign-in yield.
 */
export const EDGE_BUSY_CHECKS = 100;

/** Seconds a refused caller is asked to wait: overload passes quickly, or the refusals go on. */
const RETRY_AFTER_SECONDS = 1;

/** A refusal is logged at most this often (with the count since the last line): overload must not flood the log. */
const LOG_EVERY_MS = 10_000;

/** How often the loop's lag is probed while sign-ins arrive: a timer this far apart, measured late by how much. */
const PROBE_EVERY_MS = 5;
/** The edge's checks are counted over windows this long. */
const EDGE_WINDOW_MS = 1000;
/** The probe stops this long after the last sign-in request, or when the edge is no longer busy (it costs a timer every 5 ms). */
const PROBE_IDLE_MS = 1000;
/**
 * Lag never refuses a sign-in while fewer than this many are at work, and the adaptive limit never
 * goes below it: lag from elsewhere (a collection, a neighbour on the core) must not refuse a
 * lone shopper, and under a busy edge sign-in slows, it never stops.
 */
export const ALWAYS_ADMITTED = 2;

class Gate {
  inFlight = 0;
  /** The in-flight bound now: `max` unless the loop lagged under a busy edge. */
  limit: number;
  refusedLimit = 0;
  refusedLag = 0;
  lastLog = 0;

  /** After a probe found the loop late by L ms, sign-in stays refused for L ms: the edge's backlog drains first. */
  private laggingUntil = 0;
  /** When the next probe is due (performance.now()); null while the probe sleeps. */
  private probeDue: number | null = null;
  private lastSignInAt = 0;

  /** Edge checks answered up to the start of this window, and how many the last full window saw. */
  private edgeAtWindowStart: number;
  private windowStart = performance.now();
  private edgeLastWindow = 0;

  constructor(
    readonly max: number,
    readonly maxLagMs: number,
    private readonly edgeDecisions: readonly Tally[],
  ) {
    this.limit = max;
    this.edgeAtWindowStart = this.edgeChecks();
  }

  private edgeChecks(): number {
    let n = 0;
    for (const tally of this.edgeDecisions) n += tally.n;
    return n;
  }

  /** Whether edge checks are arriving at a rate worth yielding to (this window so far, or the last one). */
  edgeBusy(): boolean {
    return this.edgeLastWindow >= EDGE_BUSY_CHECKS || this.edgeChecks() - this.edgeAtWindowStart >= EDGE_BUSY_CHECKS;
  }

  /** Starts a new window once this one is a window long (per second, if it ran longer while nobody looked). */
  private rollWindow(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < EDGE_WINDOW_MS) return;
    const checks = this.edgeChecks();
    this.edgeLastWindow = ((checks - this.edgeAtWindowStart) * EDGE_WINDOW_MS) / elapsed;
    this.edgeAtWindowStart = checks;
    this.windowStart = now;
  }

  /**
   * Whether the loop lags: a probe found it late within the last such lag, or the next probe is
   * overdue beyond the bound right now (this very turn is a long one).
   */
  lagging(now: number): boolean {
    return now < this.laggingUntil || (this.probeDue !== null && now - this.probeDue > this.maxLagMs);
  }

  /** Runs the probe while sign-ins arrive and the edge is busy: otherwise it costs nothing. */
  signInArrived(now: number): void {
    this.lastSignInAt = now;
    this.rollWindow(now);
    if (this.maxLagMs > 0 && this.probeDue === null && this.edgeBusy()) this.schedule(now);
  }

  private schedule(now: number): void {
    this.probeDue = now + PROBE_EVERY_MS;
    setTimeout(() => this.probe(), PROBE_EVERY_MS).unref();
  }

  private probe(): void {
    const now = performance.now();
    const lagMs = now - this.probeDue!;
    if (lagMs > this.maxLagMs) this.laggingUntil = now + lagMs;
    this.rollWindow(now);
    const busy = this.edgeBusy();
    if (!busy) this.limit = this.max;
    else if (lagMs > this.maxLagMs) this.limit = Math.max(ALWAYS_ADMITTED, Math.floor(this.limit / 2));
    else this.limit = Math.min(this.max, this.limit + 1);
    if (busy && (now - this.lastSignInAt < PROBE_IDLE_MS || this.inFlight > 0)) this.schedule(now);
    else this.probeDue = null;
  }
}

const gates = new WeakMap<AppDeps, Gate>();

function gateOf(deps: AppDeps): Gate {
  let gate = gates.get(deps);
  if (!gate) {
    gate = new Gate(
      deps.config.signInMaxInFlight ?? DEFAULT_SIGN_IN_MAX_IN_FLIGHT,
      deps.config.signInMaxLoopLagMs ?? DEFAULT_SIGN_IN_MAX_LOOP_LAG_MS,
      Object.values(deps.metrics.edge.decisions),
    );
    gates.set(deps, gate);
  }
  return gate;
}

function refuse(deps: AppDeps, gate: Gate, why: 'limit' | 'lag'): never {
  if (why === 'limit') gate.refusedLimit++;
  else gate.refusedLag++;
  const now = Date.now();
  if (now - gate.lastLog >= LOG_EVERY_MS) {
    deps.logger.warn('sign-in requests refused: too many in flight (SIGN_IN_MAX_IN_FLIGHT) or the event loop lags under edge traffic', {
      max: gate.max,
      limit: gate.limit,
      refusedInFlight: gate.refusedLimit,
      refusedLag: gate.refusedLag,
    });
    gate.lastLog = now;
    gate.refusedLimit = 0;
    gate.refusedLag = 0;
  }
  throw new AppError('service_unavailable', {
    detail: 'Too many sign-in requests at once; try again in a moment.',
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
}

/**
 * Takes one of the sign-in slots for the rest of the calling scope (`using`), or throws 503
 * service_unavailable with Retry-After when all are taken, or when the event loop lags while the
 * edge is busy. Call it first, before any await.
 */
export function admitSignIn(deps: AppDeps): Disposable {
  const gate = gateOf(deps);
  const now = performance.now();
  gate.signInArrived(now);
  if (gate.inFlight >= gate.max) refuse(deps, gate, 'limit');
  if (gate.inFlight >= ALWAYS_ADMITTED && gate.maxLagMs > 0 && gate.edgeBusy()) {
    if (gate.lagging(now)) refuse(deps, gate, 'lag');
    if (gate.inFlight >= gate.limit) refuse(deps, gate, 'limit');
  }
  gate.inFlight++;
  let released = false;
  return {
    [Symbol.dispose]() {
      if (released) return;
      released = true;
      gate.inFlight--;
    },
  };
}

/** Sign-in requests doing their work right now (tests, diagnostics). */
export function signInsInFlight(deps: AppDeps): number {
  return gates.get(deps)?.inFlight ?? 0;
}

/**
 * Whether sign-in presses: more requests at work than the main pool has connections, so some
 * wait for one. Background work that can wait (webhook deliveries) yields to it then.
 */
export function signInPressing(deps: AppDeps): boolean {
  return signInsInFlight(deps) > (deps.db.poolSize ?? POOL_SIZE);
}
