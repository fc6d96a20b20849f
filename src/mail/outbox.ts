// The mail outbox worker. Rows are written in the same transaction as the token (see
// magic-link/queries.ts); here they are claimed with `for update skip locked` plus a lease (several
// instances may run workers), sent concurrently, and marked sent — which also starts the link's
// validity. Temporary failures back off; permanent ones are marked failed for operators. Only a
// crash between SMTP acceptance and marking can resend, with the same Message-ID (logged).
//
// Throughput (docs/performance.md, "Mail keeps up?"): delivery streams. The worker keeps up to
// `maxInFlight` mails on their way and claims more as soon as there is room for half a batch,
// rather than after a whole batch finished. Successes are recorded per group, not per mail: all
// mails accepted while the previous record statement ran are marked sent, their links started and
// their `mail_sent` audit rows written in ONE statement. While mail goes out, the worker thus has
// at most two statements running (a claim and a record) whatever the rate, which suits its own
// small pool. Retries and failures are grouped the same way: one statement per group marks the
// rows and writes their audit rows, so a relay answering 4xx to every mail costs no more
// statements than one accepting them.
//
// The outbox knows no feature: what a row of a given `kind` says, and what its acceptance starts,
// come from a MailKind the app registers (runtime.ts; magic-link/mail-kind.ts for sign-in mail).
// This module owns `mail_outbox`: features add rows through `outboxInsert`.
import { auditInsert, recordAudit, type AuditKind } from '../audit/audit.ts';
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { Raw, sql, type Query } from '../db/sql.ts';
import type { Logger } from '../log.ts';
import type { Tally } from '../metrics/metrics.ts';
import type { TenantBranding } from '../tenants/branding.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { unseal } from '../tokens/sealed.ts';
import type { PersonalData } from '../privacy/subject.ts';
import { parseSender } from './magic-link-mail.ts';
import { MailSendError, type MailTransport, type OutgoingMail } from './transport.ts';

/**
 * The outbox's part of a composite statement (the sign-in request writes its mail with its link):
 * the caller's `select` yields id, tenant_id, magic_link_id, kind, to_address, message_id,
 * secret_id, payload (sealed), request_id, next_attempt_at, created_at — in that order.
 */
export function outboxInsert(select: Query): Query {
  return sql`insert into mail_outbox (id, tenant_id, magic_link_id, kind, to_address, message_id, secret_id, payload, request_id,
                             next_attempt_at, created_at) ${select}`;
}

/** A kind of mail (`mail_outbox.kind`), registered by the app. */
/**
 * Retention: deletes up to `limit` mails sent or failed for good before `before` (pending and
 * sending ones stay whatever their age); returns how many (the janitor repeats).
 */
export async function deleteFinishedMailBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from mail_outbox where ctid = any(array(
      select ctid from mail_outbox
      where status in ('sent', 'failed') and coalesce(sent_at, failed_at) < ${before}
      limit ${limit}))
    returning 1`);
  return rows.length;
}

export type MailKind = {
  /**
   * The message for a claimed row, from its unsealed payload, and for how long what it carries is
   * valid once SMTP accepted it (written as the CTE `sent`'s `expires_at`).
   */
  compose(mail: ClaimedMail, payload: unknown): { content: Pick<OutgoingMail, 'subject' | 'text' | 'html'>; validForSeconds: number };
  /**
   * The owners' statements run with every recorded group, in the same statement: they read the CTE
   * `sent` (id, tenant_id, magic_link_id, request_id, message_id, to_address, attempt, visitor_id, sent_at, expires_at).
   */
  onAccepted?: Query | readonly Query[];
};

export type ClaimedMail = {
  id: string;
  kind: string;
  tenant_id: string;
  visitor_id: string | null;
  previous_status: string;
  attempts: number;
  to_address: string;
  message_id: string;
  payload: string | null;
  request_id: string;
  tenant_name: string;
  mail_from: string | null;
  link_ttl_seconds: number | null;
  /** The tenant's logo, accent colour and support contact, for the mail kind's template. */
  tenant_branding: TenantBranding;
};
type ClaimedRow = ClaimedMail;

export type OutboxOptions = {
  db: Db;
  keys: KeyRing;
  clock: Clock;
  transport: MailTransport;
  logger: Logger;
  defaultFrom: string;
  /** What each `kind` of row is (the app registers magic-link's). */
  kinds: Readonly<Record<string, MailKind>>;
  /** Rows claimed per statement (and per `tick()`). */
  batchSize?: number;
  /** Mails on their way at most (claimed, not yet recorded); default twice the batch. */
  maxInFlight?: number;
  maxAttempts?: number;
  leaseSeconds?: number;
  pollMs?: number;
  /** Counts of this instance's attempts (metrics). */
  counts?: { sent: Tally; retried: Tally; dead: Tally };
};

/** The outbox as a scrape sees it (all instances): waiting, claimed, and the oldest not yet sent. */
export type OutboxState = { pending: number; sending: number; oldestAgeSeconds: number };

export function backoffSeconds(attempt: number): number {
  // 5 s, 10 s, 20 s … capped at 15 min.
  return Math.min(5 * 2 ** (attempt - 1), 900);
}

/** An attempt's outcome, waiting to be recorded with the others of its group. */
type Outcome = { row: ClaimedRow; done: () => void; failed: (error: unknown) => void } & (
  | { kind: 'sent'; sentAt: Date; expiresAt: Date }
  /** Back to 'pending' until `retryAt`, or 'failed' for good. */
  | { kind: 'retry'; at: Date; retryAt: Date; reason: string }
  /** `lastError`: the row's last_error when it says more to an operator than the audit row's reason. */
  | { kind: 'failed'; at: Date; reason: string; lastError?: string }
);
type Sent = Extract<Outcome, { kind: 'sent' }>;
type Unsent = Exclude<Outcome, Sent>;

/** Most successes one record statement carries (its arrays grow with it). */
const MAX_RECORD = 500;

export class MailOutbox {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly maxAttempts: number;
  private readonly leaseSeconds: number;
  /** Mails claimed by the streaming loop and not yet recorded. */
  private inFlight = 0;
  private claiming = false;
  /** Set by wake() and the poll: due rows may exist. Cleared when a claim starts. */
  private due = false;
  /** Everything the worker started and has not finished: what stop() waits for. */
  private readonly active = new Set<Promise<unknown>>();
  private outcomes: Outcome[] = [];
  private recording = false;

  /** The kinds' statements of the record statement, as CTEs after `sent` (fixed at construction). */
  private readonly onAccepted: Query;
  private readonly counts: NonNullable<OutboxOptions['counts']> | null;

  constructor(private readonly options: OutboxOptions) {
    const parts = Object.values(options.kinds).flatMap((kind) => (kind.onAccepted ? [kind.onAccepted].flat() : []));
    this.onAccepted = parts.reduce((all, part, i) => sql`${all}, accepted_${new Raw(String(i))} as (${part})`, sql``);
    this.batchSize = options.batchSize ?? 50;
    this.maxInFlight = Math.max(this.batchSize, options.maxInFlight ?? 2 * this.batchSize);
    this.maxAttempts = options.maxAttempts ?? 8;
    this.leaseSeconds = options.leaseSeconds ?? 60;
    this.counts = options.counts ?? null;
  }

  /** One statement over the unsent rows only (the partial index `mail_outbox_due_idx`). */
  async state(): Promise<OutboxState> {
    const row = await this.options.db.one<{ pending: number; sending: number; oldest: number }>(sql`
      select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'sending')::int as sending,
             coalesce(extract(epoch from ${this.options.clock.now()}::timestamptz - min(created_at)), 0)::float8 as oldest
      from mail_outbox where status in ('pending', 'sending')`);
    return { pending: row?.pending ?? 0, sending: row?.sending ?? 0, oldestAgeSeconds: Math.max(0, row?.oldest ?? 0) };
  }

  /** Polls for due mail (retries, other instances' leftovers) and sends new mail right away. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 1000);
    this.wake();
  }

  /** Called after a new message is committed: send it now rather than at the next poll. */
  wake(): void {
    if (!this.timer) return;
    this.due = true;
    this.pump();
  }

  /** Stops claiming and waits for every mail in flight to be sent and recorded, so shutdown never abandons a claimed row early. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.active.size) await Promise.allSettled([...this.active]);
  }

  /**
   * One pass (tests, benches): claim up to a batch of due rows, send them, record the outcomes.
   * Returns how many were claimed. Errors recording the outcome are thrown.
   */
  async tick(): Promise<number> {
    const rows = await this.track(this.claim(this.batchSize));
    const opened = await this.track(this.open(rows));
    await Promise.all(rows.map((row, i) => this.track(this.deliver(row, opened[i]!))));
    return rows.length;
  }

  /**
   * Decrypts a claim's payloads together, before any of its sends starts, so that its sends start
   * in one event-loop turn: outcomes settled in the same turn are recorded by one statement (record()).
   */
  private open(rows: ClaimedRow[]): Promise<unknown[]> {
    return Promise.all(rows.map((row) => (row.payload ? unseal<unknown>(this.options.keys, 'outbox', row.payload, row.message_id) : null)));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.active.add(work);
    const forget = () => this.active.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Claims more when mail is due and at least half a batch fits in flight; one claim at a time. */
  private pump(): void {
    if (!this.timer || this.claiming || !this.due) return;
    const room = this.maxInFlight - this.inFlight;
    if (room < Math.ceil(this.batchSize / 2)) return; // a finishing mail calls pump() again
    this.claiming = true;
    this.due = false;
    const limit = Math.min(room, this.batchSize);
    void this.track(this.claim(limit))
      .then(
        (rows) => {
          if (rows.length === limit) this.due = true; // probably more waiting
          this.inFlight += rows.length;
          return this.track(this.open(rows)).then((opened) =>
            rows.forEach((row, i) => {
              void this.track(this.deliver(row, opened[i]!))
                .catch((error) =>
                  // The row stays 'sending' and is claimed again after its lease: a mail SMTP
                  // accepted may then go out twice, with the same Message-ID (logged then).
                  this.options.logger.error('outbox: could not record a mail outcome; the row is retried after its lease', {
                    outboxId: row.id,
                    error: errorText(error),
                  }),
                )
                .finally(() => {
                  this.inFlight--;
                  this.pump();
                });
            }),
          );
        },
        (error) => this.options.logger.error('outbox claim failed', { error: errorText(error) }), // the poll retries
      )
      .finally(() => {
        this.claiming = false;
        this.pump();
      });
  }

  private claim(limit: number): Promise<ClaimedRow[]> {
    const now = this.options.clock.now();
    return this.options.db.many<ClaimedRow>(sql`
      with due as (
        select id, status
        from mail_outbox
        where status in ('pending', 'sending') and next_attempt_at <= ${now}
        order by next_attempt_at
        limit ${limit}
        for update skip locked
      )
      update mail_outbox o
      set status = 'sending', attempts = o.attempts + 1, next_attempt_at = ${addSeconds(now, this.leaseSeconds)}
      from due, tenants t
      where o.id = due.id and t.id = o.tenant_id
      returning o.id, o.kind, o.tenant_id, (select l.visitor_id from magic_links l where l.id = o.magic_link_id) as visitor_id,
                due.status as previous_status, o.attempts, o.to_address, o.message_id, o.payload, o.request_id,
                t.name as tenant_name, t.mail_from, t.magic_link_ttl_seconds as link_ttl_seconds,
                json_build_object('logoUrl', t.logo_url, 'logoWidth', t.logo_width, 'logoHeight', t.logo_height,
                                  'accentColor', t.accent_color, 'supportContact', t.support_contact) as tenant_branding`);
  }

  /** Sends one claimed mail and records the outcome; resolves once it is recorded. */
  private async deliver(row: ClaimedRow, opened: unknown): Promise<void> {
    const { logger } = this.options;
    const log = { requestId: row.request_id, outboxId: row.id, messageId: row.message_id, attempt: row.attempts };
    if (row.previous_status === 'sending') {
      // A worker died (or stalled past its lease) after claiming: this may be the one allowed duplicate.
      logger.warn('mail resent after an interrupted attempt; the recipient may get it twice (same Message-ID)', log);
      await this.audit(row, 'mail_resent_after_crash', { attempt: row.attempts });
    }
    const kind = this.options.kinds[row.kind];
    const payload = kind ? opened : null;
    if (!payload || !kind) {
      const reason = kind ? 'undecryptable payload' : `no mail kind "${row.kind}"`;
      const lastError = kind ? 'payload cannot be decrypted (TOKEN_SECRET removed?)' : reason;
      await this.settle({ kind: 'failed', row, at: this.options.clock.now(), reason, lastError });
      logger.error('mail failed permanently', { ...log, reason });
      return;
    }
    const { content, validForSeconds } = kind.compose(row, payload);
    const sender = parseSender(row.mail_from ?? this.options.defaultFrom);
    try {
      await this.options.transport.send({
        from: { name: row.mail_from ? sender.name : row.tenant_name, address: sender.address },
        to: row.to_address,
        messageId: row.message_id,
        ...content,
      });
    } catch (error) {
      const permanent = error instanceof MailSendError && error.permanent;
      const reason = (error as Error).message;
      const at = this.options.clock.now();
      if (permanent || row.attempts >= this.maxAttempts) {
        await this.settle({ kind: 'failed', row, at, reason });
        logger.error('mail failed permanently', { ...log, reason });
      } else {
        const retryAt = addSeconds(at, backoffSeconds(row.attempts));
        await this.settle({ kind: 'retry', row, at, retryAt, reason });
        logger.warn('mail send failed; will retry', { ...log, reason, retryAt: retryAt.toISOString() });
      }
      return;
    }
    // The link's validity starts now, when SMTP accepted the mail (not when the group is written).
    const sentAt = this.options.clock.now();
    await this.settle({ kind: 'sent', row, sentAt, expiresAt: addSeconds(sentAt, validForSeconds) });
    logger.info('mail sent', log);
  }

  /** Queues an outcome for the next group's statement; resolves once it is written. */
  private settle(outcome: DistributiveOmit<Outcome, 'done' | 'failed'>): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.outcomes.push({ ...outcome, done, failed } as Outcome);
      if (!this.recording) void this.track(this.record());
    });
  }

  /**
   * Writes the outcomes, group by group: whatever was settled while the previous statements ran
   * goes into the next group (the first waits one event-loop turn, so that mails settled together
   * are written together). A group costs one statement for its accepted mails and one for its
   * retries and failures.
   */
  private async record(): Promise<void> {
    this.recording = true;
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.outcomes.length) {
        const group = this.outcomes.splice(0, MAX_RECORD);
        const sent = group.filter((o): o is Sent => o.kind === 'sent');
        const unsent = group.filter((o): o is Unsent => o.kind !== 'sent');
        for (const [part, write] of [
          [sent, () => this.markSent(sent)],
          [unsent, () => this.markUnsent(unsent)],
        ] as const) {
          if (!part.length) continue;
          try {
            await write();
            this.countRecorded(part);
            for (const item of part) item.done();
          } catch (error) {
            for (const item of part) item.failed(error);
          }
        }
      }
    } finally {
      this.recording = false;
    }
  }

  /** va_mail_* counters: this instance's recorded outcomes (metrics). */
  private countRecorded(part: readonly Outcome[]): void {
    if (!this.counts) return;
    for (const outcome of part) {
      if (outcome.kind === 'sent') this.counts.sent.inc();
      else if (outcome.kind === 'retry') this.counts.retried.inc();
      else this.counts.dead.inc();
    }
  }

  /**
   * One statement per group: the rows become 'sent' with their payload wiped, each kind's owner
   * does what acceptance starts (a link's validity), and each mail gets its `mail_sent` audit row.
   */
  private async markSent(group: Sent[]): Promise<void> {
    await this.options.db.many(sql`
      with accepted as (
        select * from unnest(
          ${group.map((s) => s.row.id)}::uuid[], ${group.map((s) => s.row.attempts)}::int[], ${group.map((s) => s.row.visitor_id)}::uuid[],
          ${group.map((s) => s.sentAt.toISOString())}::timestamptz[], ${group.map((s) => s.expiresAt.toISOString())}::timestamptz[]
        ) as a(id, attempt, visitor_id, sent_at, expires_at)
      ), sent as (
        update mail_outbox o
        set status = 'sent', sent_at = a.sent_at, payload = null, last_error = null
        from accepted a
        where o.id = a.id
        returning o.id, o.tenant_id, o.magic_link_id, o.request_id, o.message_id, o.to_address, a.attempt, a.visitor_id, a.sent_at, a.expires_at
      )${this.onAccepted}
      ${auditInsert(sql`
      select tenant_id, visitor_id, null::uuid, request_id, 'mail_sent', 'system',
             jsonb_build_object('outboxId', id, 'attempt', attempt, 'messageId', message_id), sent_at
      from sent`)}`);
  }

  /** A mail event outside any group (a resend after a crash: rare) joins the audit trail under the request that asked for the mail. */
  private audit(row: ClaimedRow, kind: AuditKind, detail: Record<string, unknown>): Promise<void> {
    return recordAudit(this.options.db, {
      kind,
      actor: 'system',
      requestId: row.request_id,
      tenantId: row.tenant_id,
      visitorId: row.visitor_id,
      detail: { outboxId: row.id, ...detail },
      at: this.options.clock.now(),
    });
  }

  /**
   * One statement per group of retries and failures: the rows go back to 'pending' until their
   * retry, or become 'failed' with their payload wiped, and each gets its audit row
   * (`mail_retry_scheduled` or `mail_failed`) under the request that asked for the mail. A retry
   * only touches a row still 'sending' (another worker may have taken it over after the lease).
   */
  private async markUnsent(group: Unsent[]): Promise<void> {
    const retry = (o: Unsent) => o.kind === 'retry';
    await this.options.db.many(sql`
      with outcome as (
        select * from unnest(
          ${group.map((o) => o.row.id)}::uuid[], ${group.map((o) => o.row.visitor_id)}::uuid[], ${group.map((o) => (retry(o) ? 'pending' : 'failed'))}::text[],
          ${group.map((o) => (o.kind === 'retry' ? o.retryAt.toISOString() : null))}::timestamptz[], ${group.map((o) => (o.kind === 'failed' && o.lastError) || o.reason)}::text[],
          ${group.map((o) => o.at.toISOString())}::timestamptz[],
          ${group.map((o) => JSON.stringify(o.kind === 'retry' ? { outboxId: o.row.id, attempt: o.row.attempts, reason: o.reason, retryAt: o.retryAt.toISOString() } : { outboxId: o.row.id, attempt: o.row.attempts, reason: o.reason }))}::text[]
        ) as a(id, visitor_id, status, retry_at, reason, at, detail)
      ), changed as (
        update mail_outbox o
        set status = a.status,
            next_attempt_at = coalesce(a.retry_at, o.next_attempt_at),
            failed_at = case when a.status = 'failed' then a.at else o.failed_at end,
            payload = case when a.status = 'failed' then null else o.payload end,
            last_error = a.reason
        from outcome a
        where o.id = a.id and (a.status = 'failed' or o.status = 'sending')
        returning o.tenant_id, o.request_id, a.visitor_id, a.status, a.detail, a.at
      )
      ${auditInsert(sql`
      select tenant_id, visitor_id, null::uuid, request_id,
             case when status = 'pending' then 'mail_retry_scheduled' else 'mail_failed' end, 'system', detail::jsonb, at
      from changed`)}`);
  }
}

/** Omit over each member of a union (the plain Omit merges them). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

/**
 * Mail in export and erasure: what was sent to the subject's addresses and when (its kind and
 * state; never the sealed payload, which held a link or code). Erasure deletes the rows, unsent
 * ones too: a sign-in mail for an erased visitor has nothing left to sign in to.
 */
export const MAIL_DATA: PersonalData = {
  name: 'mail',
  export: (db, subject) =>
    db.many(sql`
      select id, kind, status, created_at as "createdAt", sent_at as "sentAt", failed_at as "failedAt"
      from mail_outbox where tenant_id = ${subject.tenantId}::uuid and lower(to_address) = any(${[...subject.named]}::text[])
      order by created_at`),
  erase: async (tx, erasure) => {
    await tx.many(sql`
      delete from mail_outbox where tenant_id = ${erasure.tenantId}::uuid and lower(to_address) = any(${[...erasure.named]}::text[])`);
  },
};
