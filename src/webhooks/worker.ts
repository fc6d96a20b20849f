// The webhook delivery worker, apart from request handling like the mail outbox's (a slow or dead
// endpoint never slows sign-in or the edge check). Rows of `webhook_deliveries` are claimed with
// `for update skip locked` and a lease (several instances may run it), up to twice `perEndpoint`
// per endpoint, at most `perEndpoint` of them in flight, and POSTed as Standard Webhooks: `webhook-id` (the row id, stable across
// retries), `webhook-timestamp`, `webhook-signature` (one `v1,…` per signing secret: two during a
// rotation's overlap). Any 2xx is delivered; anything else (a redirect included: never followed),
// a timeout or a refused address is retried — the first retry within 10 s, then exponential
// backoff with jitter — until the event is `retryWindowSeconds` old; then it is dead, listed and
// re-sent from the CLI. At least once: a worker that dies after the POST and before recording it
// leaves the row to be claimed again after its lease, and so does a database crash that forgets the
// record (the runtime gives the worker a pool that commits asynchronously: db/open.ts).
//
// Deliveries yield to request handling: while `pressing` says requests queue (the runtime: more
// sign-ins at work than the main pool has connections), the worker claims once per `yieldFloorMs`
// at most, so a burst of sign-ins gets the process and the database, and the events wait in the
// outbox. They never stop: a claim that finds a delivery due for longer than `maxYieldMs` ends
// the yielding until a claim finds none, so under a load that lasts, an event waits about that long.
//
// SSRF: the URL is checked again before every attempt and the connection goes to the address that
// check resolved (transport.ts; the Host header and TLS server name stay the URL's host), so a DNS
// answer that changed since registration cannot reach a private address.
import { Webhook } from 'standardwebhooks';
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import type { Logger } from '../log.ts';
import type { Tally } from '../metrics/metrics.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { openSecrets, secretsSigningAt } from './endpoints.ts';
import {
  claimDeliveries,
  deliveryState,
  markDead,
  markDelivered,
  markRetry,
  sweepOpenedWithoutConfirm,
  type ClaimedDelivery,
  type DeliveryState,
} from './queries.ts';
import { type DeliveryOutcome, nodeHttpTransport, type WebhookTransport } from './transport.ts';
import { checkWebhookUrl, WebhookUrlRefused, type UrlPolicy } from './url-policy.ts';

export type WebhookWorkerOptions = {
  db: Db;
  keys: KeyRing;
  clock: Clock;
  logger: Logger;
  urlPolicy: UrlPolicy;
  /** Per attempt, connection to last byte of the answer's head. */
  timeoutMs?: number;
  /** Deliveries in flight per endpoint at most (per worker); default 16. */
  perEndpoint?: number;
  /** Rows claimed and not yet finished at most (per worker; twice perEndpoint per endpoint, the rest waiting for a slot). */
  maxInFlight?: number;
  leaseSeconds?: number;
  /** How long an event is retried before it is dead. */
  retryWindowSeconds?: number;
  pollMs?: number;
  /** How often the "opened without confirm" sweep runs. */
  sweepMs?: number;
  /** Jitter source (tests pin it). */
  random?: () => number;
  /** Counts of this instance's attempts, and the milliseconds its claims waited for request handling (metrics). */
  counts?: { delivered: Tally; retried: Tally; dead: Tally; yieldedMs: Tally };
  /** How deliveries are POSTed; default the portable one (transport.ts); the Bun entry gives its own. */
  transport?: WebhookTransport;
  /** Whether request handling presses right now; deliveries then yield (the runtime: sign-ins queueing). */
  pressing?: () => boolean;
  /** While pressing, one claim at most this often (default 1000 ms): deliveries slow down, they never stop. */
  yieldFloorMs?: number;
  /** A delivery due for longer than this (default 30 s) ends the yielding: how late pressure may make an event. */
  maxYieldMs?: number;
};

/** Opened endpoint secrets kept in memory at most (the map starts afresh past it). */
const SECRETS_KEPT = 1000;
/** How long a finished delivery's freed slot waits for others before it is claimed again. */
const PUMP_SOON_MS = 20;
/** While yielding, how often the pressure is looked at again: deliveries resume soon after it ends. */
const YIELD_CHECK_MS = 100;
/** Rows claimed per endpoint at most, in `perEndpoint`s: those past the slots wait for one, in this worker. */
const CLAIM_AHEAD = 2;
/**
 * How long a success waits (while running) to be recorded with the next claim, or with others in a
 * statement of their own past it; and how many are written at once.
 */
const RECORD_WAIT_MS = 50;
const RECORD_GROUP = 64;

/** A link opened but not confirmed within this long is reported (the mail-scanner signal). */
export const OPENED_GRACE_SECONDS = 60;

/** Seconds before retry `attempt` + 1: 5 s doubling, capped at a day, plus up to 50 % jitter (the first ≤ 7.5 s). */
export function retryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5 * 2 ** (attempt - 1), 86_400);
  return Math.round(base * (1 + random() / 2));
}

/** An endpoint's secrets as signers (a `Webhook` decodes its key once). */
type Signers = { current: Webhook; previous: Webhook | null };

export class WebhookWorker {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly active = new Set<Promise<unknown>>();
  /** Claimed and not yet finished, per endpoint (POSTing or waiting for a slot) and in all. */
  private readonly busy = new Map<string, number>();
  private claimed = 0;
  /** POSTs in flight per endpoint, and the claimed rows waiting for one of its slots. */
  private readonly sending = new Map<string, number>();
  private readonly waiting = new Map<string, ClaimedDelivery[]>();
  private readonly signers = new Map<string, Signers>();
  /** Successes waiting for the statement that records them (recordDelivered). */
  private readonly delivered: Recording[] = [];
  /** The last claim found fewer due rows than a slot group: the next one waits PUMP_SOON_MS for more. */
  private drained = false;
  private flushing: Promise<void> | null = null;
  private claiming = false;
  private claimAgain = false;
  private soon: ReturnType<typeof setTimeout> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSweep = 0;
  /** When the last claim started (performance.now()), and whether it found a delivery due for longer than maxYieldMs. */
  private lastClaimAt = 0;
  private overdue = false;
  /** Since when the next claim has waited for request handling (performance.now()); null while it does not wait. */
  private yieldingSince: number | null = null;
  private readonly timeoutMs: number;
  private readonly perEndpoint: number;
  private readonly maxInFlight: number;
  private readonly leaseSeconds: number;
  private readonly retryWindowSeconds: number;
  private readonly transport: WebhookTransport;
  private readonly yieldFloorMs: number;
  private readonly maxYieldMs: number;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.perEndpoint = options.perEndpoint ?? 16;
    this.maxInFlight = options.maxInFlight ?? 64;
    // Longer than a row can wait for a slot and then be attempted, so a live worker's delivery is
    // never claimed twice.
    this.leaseSeconds = Math.max(options.leaseSeconds ?? 60, Math.ceil((CLAIM_AHEAD * this.timeoutMs) / 1000) + 5);
    this.retryWindowSeconds = options.retryWindowSeconds ?? 86_400;
    this.transport = options.transport ?? nodeHttpTransport();
    this.yieldFloorMs = options.yieldFloorMs ?? 1000;
    this.maxYieldMs = options.maxYieldMs ?? 30_000;
  }

  start(): void {
    if (this.timer) return;
    this.lastClaimAt = performance.now(); // under pressure from the start, the first claim waits a floor too
    this.timer = setInterval(() => this.poll(), this.options.pollMs ?? 1000);
    this.poll();
  }

  /** The deliveries as a scrape sees them (all instances). */
  state(): Promise<DeliveryState> {
    return deliveryState(this.options.db, this.options.clock.now());
  }

  /** Stops claiming and waits for the deliveries in flight to be recorded. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.soon) clearTimeout(this.soon);
    this.soon = null;
    this.flushNow(); // the successes waiting for a claim; those to come are written at once
    while (this.active.size) await Promise.allSettled([...this.active]);
    this.transport.close();
  }

  /** One pass (tests, the CLI): the sweep, then one claim, each claimed delivery attempted and recorded. Returns how many were claimed. */
  async tick(): Promise<number> {
    await this.track(this.sweep());
    const rows = await this.track(this.claim(this.maxInFlight, this.perEndpoint, []));
    await Promise.all(rows.map((row) => this.track(this.attempt(row))));
    this.flushNow();
    while (this.flushing) await this.flushing;
    return rows.length;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.active.add(work);
    const forget = () => this.active.delete(work);
    work.then(forget, forget);
    return work;
  }

  private poll(): void {
    const now = Date.now();
    if (now - this.lastSweep >= (this.options.sweepMs ?? 15_000)) {
      this.lastSweep = now;
      void this.track(this.sweep()).catch((error) => this.options.logger.error('webhooks: sweep failed', { error: errorText(error) }));
    }
    this.pump();
  }

  private pumpSoon(ms = PUMP_SOON_MS): void {
    if (this.soon || !this.timer) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.pump();
    }, ms);
  }

  /** Whether the next claim waits for request handling: it presses, the floor has not passed, and nothing claimed was overdue. */
  private yielding(): boolean {
    if (this.overdue || !this.options.pressing?.()) return false;
    return performance.now() - this.lastClaimAt < this.yieldFloorMs;
  }

  private pump(): void {
    if (!this.timer) return;
    if (this.claiming) {
      this.claimAgain = true; // a slot freed during the claim: claim again once it is done
      return;
    }
    const room = this.maxInFlight - this.claimed;
    if (room <= 0) return;
    if (this.yielding()) {
      this.yieldingSince ??= performance.now();
      this.pumpSoon(YIELD_CHECK_MS);
      return;
    }
    this.claiming = true;
    this.lastClaimAt = performance.now();
    if (this.yieldingSince !== null) {
      this.options.counts?.yieldedMs.inc(this.lastClaimAt - this.yieldingSince);
      this.yieldingSince = null;
    }
    // The successes waiting are recorded by the claim's statement (one round trip for both).
    const recording = this.delivered.splice(0);
    void this.track(this.claim(room, this.perEndpoint * CLAIM_AHEAD, recording))
      .then(
        (rows) => {
          settle(recording, null);
          this.drained = rows.length < Math.min(room, this.perEndpoint);
          // A claim that found nothing (none due, or the endpoints' slots full) leaves it as it was.
          const now = this.options.clock.now().getTime();
          if (rows.length) this.overdue = rows.some((row) => now - row.due_at.getTime() > this.maxYieldMs);
          for (const row of rows) {
            this.claimed++;
            this.busy.set(row.endpoint_id, (this.busy.get(row.endpoint_id) ?? 0) + 1);
            this.send(row);
          }
        },
        (error) => {
          settle(recording, error);
          this.options.logger.error('webhooks: claim failed', { error: errorText(error) }); // the poll retries
        },
      )
      .finally(() => {
        this.claiming = false;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.pump();
        }
      });
  }

  /** Attempts a claimed row now if its endpoint has a free slot, else once one is freed. */
  private send(row: ClaimedDelivery): void {
    const endpoint = row.endpoint_id;
    const sending = this.sending.get(endpoint) ?? 0;
    if (sending >= this.perEndpoint) {
      const queue = this.waiting.get(endpoint);
      if (queue) queue.push(row);
      else this.waiting.set(endpoint, [row]);
      return;
    }
    this.sending.set(endpoint, sending + 1);
    // Tracked with what follows, so stop() also waits for the waiting row this one hands its slot to.
    void this.track(
      this.attempt(row)
        .catch((error) => this.unrecorded(row, error))
        .finally(() => {
          this.claimed--;
          decrement(this.sending, endpoint);
          const left = decrement(this.busy, endpoint);
          const queue = this.waiting.get(endpoint);
          const next = queue?.shift();
          if (queue && queue.length === 0) this.waiting.delete(endpoint);
          if (next) this.send(next);
          // Claim for this endpoint once the rows claimed ahead are used up: the claim then brings
          // up to perEndpoint rows (one statement for many; one per delivery was most of what
          // webhooks cost sign-in), which wait while those in flight finish, so a slot never waits
          // for a claim. Other endpoints' due rows wait for the next claim at most PUMP_SOON_MS, and
          // so do new rows once the backlog is drained: a claim per PUMP_SOON_MS then takes what
          // came meanwhile and records the successes since the last, instead of a claim per event.
          if (left <= this.perEndpoint && !this.drained) this.pump();
          else this.pumpSoon();
        }),
    );
  }

  /** At most `limit` rows, and per endpoint at most `perEndpoint` with those this worker has claimed. */
  private claim(limit: number, perEndpoint: number, delivered: readonly Recording[]): Promise<ClaimedDelivery[]> {
    return claimDeliveries(this.options.db, this.options.clock.now(), {
      limit,
      perEndpoint,
      leaseSeconds: this.leaseSeconds,
      busy: this.busy,
      delivered,
    });
  }

  private sweep(): Promise<number> {
    return sweepOpenedWithoutConfirm(this.options.db, this.options.clock.now(), {
      graceSeconds: OPENED_GRACE_SECONDS,
      lookBackSeconds: 3600,
    });
  }

  /** One attempt of one claimed delivery, and its outcome recorded. */
  private async attempt(row: ClaimedDelivery): Promise<void> {
    const { clock, logger } = this.options;
    const log = logFields(row);
    const now = clock.now();
    const opened = await this.openedSigners(row);
    const signers = opened ? secretsSigningAt(opened, row.previous_secret_expires_at, now) : null;
    if (!signers) {
      await markDead(this.options.db, row.id, { status: null, error: 'the signing secret cannot be opened (TOKEN_SECRET removed?)', now });
      this.options.counts?.dead.inc();
      logger.error('webhook dead: signing secret cannot be opened', log);
      return;
    }
    const body = JSON.stringify({
      type: row.type,
      timestamp: row.created_at.toISOString(),
      data: row.email ? { ...row.data, email: row.email } : row.data,
    });
    const signature = signers.map((signer) => signer.sign(row.id, now, body)).join(' ');
    const outcome = await this.post(row.url, body, {
      'content-type': 'application/json',
      'user-agent': 'VisitorAccess-Webhooks/1',
      'webhook-id': row.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    });
    const done = clock.now();
    if (outcome.ok) {
      // Not awaited: the slot is free for the next POST while the success waits for a claim to be
      // recorded with (tracked, so stop() and tick() wait for it). Unrecorded, the row is sent again
      // after its lease (at least once).
      const status = outcome.status;
      void this.track(
        this.recordDelivered(row.id, status).then(
          () => {
            this.options.counts?.delivered.inc();
            logger.info('webhook delivered', { ...log, status });
          },
          (error) => this.unrecorded(row, error),
        ),
      );
      return;
    }
    const retryAt = addSeconds(done, retryDelaySeconds(row.attempts, this.options.random));
    if (retryAt > addSeconds(row.created_at, this.retryWindowSeconds)) {
      await markDead(this.options.db, row.id, { status: outcome.status, error: outcome.error, now: done });
      this.options.counts?.dead.inc();
      logger.error('webhook dead after retries', { ...log, status: outcome.status, reason: outcome.error });
      return;
    }
    await markRetry(this.options.db, row.id, { status: outcome.status, error: outcome.error, retryAt });
    this.options.counts?.retried.inc();
    logger.warn('webhook delivery failed; will retry', {
      ...log,
      status: outcome.status,
      reason: outcome.error,
      retryAt: retryAt.toISOString(),
    });
  }

  /** An outcome that could not be written: the row stays 'sending' and is claimed again after its lease (at least once). */
  private unrecorded(row: ClaimedDelivery, error: unknown): void {
    this.options.logger.error('webhooks: could not record a delivery outcome; retried after its lease', {
      ...logFields(row),
      error: errorText(error),
    });
  }

  /**
   * An endpoint's secrets, opened once per sealed pair and kept as signers while the worker runs:
   * opening (AES-GCM) on every delivery was a third of the service's CPU under a sign-in load with
   * an endpoint taking every event. A rotation seals a new pair, so it is opened afresh; the
   * overlap's end is checked on every delivery.
   */
  private async openedSigners(row: ClaimedDelivery): Promise<Signers | null> {
    const key = `${row.endpoint_id}.${row.secret_sealed}.${row.previous_secret_sealed ?? ''}`;
    const cached = this.signers.get(key);
    if (cached) return cached;
    const opened = await openSecrets(this.options.keys, row);
    if (!opened) return null; // not kept: a TOKEN_SECRET put back may open it later
    const signers = { current: new Webhook(opened.current), previous: opened.previous === null ? null : new Webhook(opened.previous) };
    if (this.signers.size >= SECRETS_KEPT) this.signers.clear();
    this.signers.set(key, signers);
    return signers;
  }

  /**
   * Records a success. Successes that arrive while one statement is writing wait for the next,
   * which writes them all (a group commit): under load that is one statement for several
   * deliveries instead of one each, so the webhooks cost sign-in less database time.
   */
  private recordDelivered(id: string, status: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.delivered.push({ id, status, resolve, reject });
      if (this.flushing) return; // the statement running now is followed by one for these
      // While running, successes wait for the next claim (pumpSoon: PUMP_SOON_MS at most while
      // there is room to claim), or RECORD_WAIT_MS for a statement of their own; one pass (tick)
      // writes at once.
      if (!this.timer || this.delivered.length >= RECORD_GROUP) this.flushNow();
      else
        this.flushTimer ??= setTimeout(() => {
          this.flushTimer = null;
          if (!this.flushing) this.flushNow();
        }, RECORD_WAIT_MS);
    });
  }

  private flushNow(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (!this.flushing && this.delivered.length) this.flushing = this.flushDelivered();
  }

  private async flushDelivered(): Promise<void> {
    while (this.delivered.length) {
      const batch = this.delivered.splice(0);
      try {
        await markDelivered(this.options.db, batch, this.options.clock.now());
        settle(batch, null);
      } catch (error) {
        settle(batch, error);
      }
    }
    this.flushing = null;
  }

  /** Checks the URL again and POSTs to the address that check resolved. */
  private async post(rawUrl: string, body: string, headers: Record<string, string>): Promise<DeliveryOutcome> {
    let checked: Awaited<ReturnType<typeof checkWebhookUrl>>;
    try {
      checked = await checkWebhookUrl(rawUrl, this.options.urlPolicy);
    } catch (error) {
      return { ok: false, status: null, error: error instanceof WebhookUrlRefused ? `refused: ${error.message}` : errorText(error) };
    }
    return this.transport.post(checked, body, headers, this.timeoutMs);
  }
}

/** A success waiting to be recorded, and who waits for that. */
type Recording = { id: string; status: number; resolve: () => void; reject: (error: unknown) => void };

/** Tells those waiting for a group of successes that it was recorded (error null) or not. */
function settle(group: readonly Recording[], error: unknown): void {
  for (const waiting of group) {
    if (error === null) waiting.resolve();
    else waiting.reject(error);
  }
}

/** What the log says of a delivery: ids, type and attempt, never its payload. */
function logFields(row: ClaimedDelivery) {
  return { deliveryId: row.id, endpointId: row.endpoint_id, type: row.type, attempt: row.attempts, requestId: row.request_id };
}

/** Counts one down; a count reaching 0 leaves the map. Returns what is left. */
function decrement(counts: Map<string, number>, key: string): number {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
  return left;
}

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}
