// The mail outbox worker. Rows are written in the same transaction as the token (see
// magic-link/queries.ts); here they are claimed in batches with `for update skip locked` plus a
// lease (several instances may run workers), sent concurrently, and marked sent — which also starts
// the link's validity. Temporary failures back off; permanent ones are marked failed for operators.
// Only a crash between SMTP acceptance and marking can resend, with the same Message-ID (logged).
import { recordAudit, type AuditKind } from '../audit/audit.ts';
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import type { Logger } from '../log.ts';
import { VISITOR_LINK_PATH, type MagicLinkPayload } from '../magic-link/magic-link.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { unseal } from '../tokens/sealed.ts';
import { magicLinkMail, parseSender } from './magic-link-mail.ts';
import { MailSendError, type MailTransport } from './transport.ts';

type ClaimedRow = {
  id: string;
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
};

export type OutboxOptions = {
  db: Db;
  keys: KeyRing;
  clock: Clock;
  transport: MailTransport;
  logger: Logger;
  defaultFrom: string;
  defaultLinkTtlSeconds: number;
  batchSize?: number;
  maxAttempts?: number;
  leaseSeconds?: number;
  pollMs?: number;
};

export function backoffSeconds(attempt: number): number {
  // 5 s, 10 s, 20 s … capped at 15 min.
  return Math.min(5 * 2 ** (attempt - 1), 900);
}

export class MailOutbox {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly leaseSeconds: number;

  constructor(private readonly options: OutboxOptions) {
    this.batchSize = options.batchSize ?? 50;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.leaseSeconds = options.leaseSeconds ?? 60;
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
    if (this.running) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  /** Stops polling and waits for the batch in flight, so shutdown never abandons a claimed row early. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        this.running = this.tick();
        const sent = await this.running;
        if (sent >= this.batchSize) this.again = true;
      } catch (error) {
        this.options.logger.error('outbox tick failed', { error: String((error as Error).message ?? error) });
        this.again = false;
      } finally {
        this.running = null;
      }
    } while (this.again && this.timer);
  }

  /** One pass: claim due rows, send them, record the outcome. Returns how many were claimed. */
  async tick(): Promise<number> {
    const now = this.options.clock.now();
    const rows = await this.options.db.many<ClaimedRow>(sql`
      with due as (
        select id, status
        from mail_outbox
        where status in ('pending', 'sending') and next_attempt_at <= ${now}
        order by next_attempt_at
        limit ${this.batchSize}
        for update skip locked
      )
      update mail_outbox o
      set status = 'sending', attempts = o.attempts + 1, next_attempt_at = ${addSeconds(now, this.leaseSeconds)}
      from due, tenants t
      where o.id = due.id and t.id = o.tenant_id
      returning o.id, o.tenant_id, (select l.visitor_id from magic_links l where l.id = o.magic_link_id) as visitor_id,
                due.status as previous_status, o.attempts, o.to_address, o.message_id, o.payload, o.request_id,
                t.name as tenant_name, t.mail_from, t.magic_link_ttl_seconds as link_ttl_seconds`);
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  private async deliver(row: ClaimedRow): Promise<void> {
    const { logger } = this.options;
    const log = { requestId: row.request_id, outboxId: row.id, messageId: row.message_id, attempt: row.attempts };
    if (row.previous_status === 'sending') {
      // A worker died (or stalled past its lease) after claiming: this may be the one allowed duplicate.
      logger.warn('mail resent after an interrupted attempt; the recipient may get it twice (same Message-ID)', log);
      await this.audit(row, 'mail_resent_after_crash', { attempt: row.attempts });
    }
    const payload = row.payload ? await unseal<MagicLinkPayload>(this.options.keys, 'outbox', row.payload, row.message_id) : null;
    if (!payload) {
      await this.markFailed(row, 'payload cannot be decrypted (TOKEN_SECRET removed?)');
      await this.audit(row, 'mail_failed', { attempt: row.attempts, reason: 'undecryptable payload' });
      logger.error('mail failed permanently', { ...log, reason: 'undecryptable payload' });
      return;
    }
    const ttlSeconds = row.link_ttl_seconds ?? this.options.defaultLinkTtlSeconds;
    const sender = parseSender(row.mail_from ?? this.options.defaultFrom);
    const content = magicLinkMail({
      tenantName: row.tenant_name,
      link: `${payload.linkOrigin}${payload.linkPath ?? VISITOR_LINK_PATH}${payload.token}`,
      code: payload.code,
      ttlMinutes: Math.max(1, Math.round(ttlSeconds / 60)),
    });
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
      if (permanent || row.attempts >= this.maxAttempts) {
        await this.markFailed(row, reason);
        await this.audit(row, 'mail_failed', { attempt: row.attempts, reason });
        logger.error('mail failed permanently', { ...log, reason });
      } else {
        const retryAt = addSeconds(this.options.clock.now(), backoffSeconds(row.attempts));
        await this.options.db.many(sql`
          update mail_outbox set status = 'pending', next_attempt_at = ${retryAt}, last_error = ${reason}
          where id = ${row.id}::uuid and status = 'sending'`);
        await this.audit(row, 'mail_retry_scheduled', { attempt: row.attempts, reason, retryAt: retryAt.toISOString() });
        logger.warn('mail send failed; will retry', { ...log, reason, retryAt: retryAt.toISOString() });
      }
      return;
    }
    await this.markSent(row, ttlSeconds);
    await this.audit(row, 'mail_sent', { attempt: row.attempts, messageId: row.message_id });
    logger.info('mail sent', log);
  }

  /** Mail events join the audit trail under the request that asked for the mail. */
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

  /** Marks the mail sent, wipes its secret payload, and starts the link's validity now. */
  private async markSent(row: ClaimedRow, ttlSeconds: number): Promise<void> {
    const now = this.options.clock.now();
    await this.options.db.many(sql`
      with sent as (
        update mail_outbox
        set status = 'sent', sent_at = ${now}, payload = null, last_error = null
        where id = ${row.id}::uuid
        returning magic_link_id
      )
      update magic_links l
      set sent_at = ${now}, expires_at = ${addSeconds(now, ttlSeconds)}
      from sent
      where l.id = sent.magic_link_id and l.sent_at is null`);
  }

  private async markFailed(row: ClaimedRow, reason: string): Promise<void> {
    await this.options.db.many(sql`
      update mail_outbox
      set status = 'failed', failed_at = ${this.options.clock.now()}, payload = null, last_error = ${reason}
      where id = ${row.id}::uuid`);
  }
}
