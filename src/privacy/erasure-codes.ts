// The fresh code a shopper's own erasure needs (POST /v2/visitor/delete/code, then
// POST /v2/visitor/delete {code}). Every statement that writes `erasure_codes`.
//
// - One live code per visitor: asking again replaces it, so an older code is refused.
// - Bound to the session that asked for it and to its purpose: hashed as HMAC(code subkey,
//   tenant|visitor-delete:<visitor id>|code), which no sign-in code (tenant|address|code; an
//   address always has an `@`) can equal.
// - Valid ERASURE_CODE_TTL_SECONDS from when it was asked for; MAX_ERASURE_CODE_ATTEMPTS tries,
//   each reserved on the row before the compare (a burst of guesses gets no more).
import { recordAudit } from '../audit/audit.ts';
import { addSeconds } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { AppError } from '../errors.ts';
import type { Locale } from '../i18n/locales.ts';
import { outboxInsert } from '../mail/outbox.ts';
import type { AppDeps } from '../app-deps.ts';
import { compareCode, hashCode, mintCode } from '../tokens/codes.ts';
import { seal } from '../tokens/sealed.ts';
import type { PersonalData } from './subject.ts';

export const ERASURE_CODE_TTL_SECONDS = 15 * 60;
export const MAX_ERASURE_CODE_ATTEMPTS = 5;
export const ERASURE_CODE_MAIL = 'erasure_code';

/** What the sealed outbox payload of an erasure-code mail holds (wiped once sent). */
export type ErasureCodePayload = { code: string; locale: Locale; ttlSeconds: number };

/** The purpose-bound subject of the code's HMAC: never an address (no `@`). */
function purposeKey(visitorId: string): string {
  return `visitor-delete:${visitorId}`;
}

type Asker = { tenantId: string; visitorId: string; sessionId: string; email: string; requestId: string; locale: Locale };

/** A new code for the visitor (replacing any older one), mailed to its address; returns when it expires. */
export async function sendErasureCode(deps: Pick<AppDeps, 'db' | 'keys' | 'clock' | 'outbox'>, asker: Asker): Promise<Date> {
  const now = deps.clock.now();
  const expiresAt = addSeconds(now, ERASURE_CODE_TTL_SECONDS);
  const code = mintCode();
  const { hash, secretId } = hashCode(deps.keys, asker.tenantId, purposeKey(asker.visitorId), code);
  const messageId = `<${crypto.randomUUID()}@visitor-access>`;
  const payload: ErasureCodePayload = { code, locale: asker.locale, ttlSeconds: ERASURE_CODE_TTL_SECONDS };
  const sealed = await seal(deps.keys, 'outbox', payload, messageId);
  await deps.db.transaction(async (tx) => {
    await tx.many(sql`
      insert into erasure_codes (visitor_id, tenant_id, session_id, code_hash, secret_id, request_id, attempts, created_at, expires_at)
      values (${asker.visitorId}::uuid, ${asker.tenantId}::uuid, ${asker.sessionId}::uuid, ${hash}, ${secretId}, ${asker.requestId}, 0,
              ${now}, ${expiresAt})
      on conflict (visitor_id) do update
        set session_id = excluded.session_id, code_hash = excluded.code_hash, secret_id = excluded.secret_id,
            request_id = excluded.request_id, attempts = 0, created_at = excluded.created_at, expires_at = excluded.expires_at`);
    await tx.many(
      outboxInsert(sql`
        select ${crypto.randomUUID()}::uuid, ${asker.tenantId}::uuid, null::uuid, ${ERASURE_CODE_MAIL}::text, ${asker.email}::text,
               ${messageId}::text, ${secretId}::text, ${sealed}::text, ${asker.requestId}::text, ${now}::timestamptz, ${now}::timestamptz`),
    );
    await recordAudit(tx, {
      kind: 'erasure_code_sent',
      actor: 'visitor',
      requestId: asker.requestId,
      tenantId: asker.tenantId,
      visitorId: asker.visitorId,
      sessionId: asker.sessionId,
      detail: { expiresAt: expiresAt.toISOString() },
      at: now,
    });
  });
  deps.outbox.wake();
  return expiresAt;
}

function wrongCode(detail = 'That code is not right. Use the newest code we emailed for deleting your account.'): AppError {
  return new AppError('invalid_code', { detail });
}

/**
 * Checks the code the shopper typed, for this session: resolves when it is the live code of this
 * visitor, asked for by this session, in time and within its tries; refuses otherwise
 * (400 invalid_code, or 429 code_attempts_exceeded once its tries are spent).
 */
export async function checkErasureCode(
  deps: Pick<AppDeps, 'db' | 'keys' | 'clock'>,
  holder: { tenantId: string; visitorId: string; sessionId: string },
  typed: string,
): Promise<void> {
  const now = deps.clock.now();
  // The try is reserved before the compare.
  const row = await deps.db.one<{ code_hash: string; secret_id: string; session_id: string; expires_at: Date; attempts: number }>(sql`
    update erasure_codes set attempts = attempts + 1
    where visitor_id = ${holder.visitorId}::uuid and tenant_id = ${holder.tenantId}::uuid and attempts < ${MAX_ERASURE_CODE_ATTEMPTS}
    returning code_hash, secret_id, session_id, expires_at, attempts`);
  // Without a live code the compare still runs (against nothing): the answer's timing tells nothing.
  const right = compareCode(
    deps.keys,
    row ? { secretId: row.secret_id, hash: row.code_hash } : null,
    holder.tenantId,
    purposeKey(holder.visitorId),
    typed.trim(),
  );
  if (!row) {
    const spent = await deps.db.one(sql`select 1 from erasure_codes where visitor_id = ${holder.visitorId}::uuid and expires_at > ${now}`);
    if (spent) throw new AppError('code_attempts_exceeded', { detail: 'Too many wrong codes. Ask for a new code.' });
    throw wrongCode();
  }
  if (!right) {
    if (row.attempts >= MAX_ERASURE_CODE_ATTEMPTS)
      throw new AppError('code_attempts_exceeded', { detail: 'Too many wrong codes. Ask for a new code.' });
    throw wrongCode();
  }
  if (row.session_id !== holder.sessionId) throw wrongCode('That code was asked for in another browser. Ask for a new code here.');
  if (row.expires_at <= now) throw wrongCode('That code has expired. Ask for a new code.');
}

/** The codes in erasure (the visitor row's cascade would take them too; said here, with their owner). */
export const ERASURE_CODE_DATA: PersonalData = {
  name: 'erasureCodes',
  erase: async (tx: Db, erasure) => {
    if (erasure.visitorId) await tx.many(sql`delete from erasure_codes where visitor_id = ${erasure.visitorId}::uuid`);
  },
};

/** The janitor's step: codes past their expiry, at most `limit` a statement (a used code goes with its visitor). */
export async function deleteExpiredErasureCodesBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from erasure_codes where ctid = any(array(
      select ctid from erasure_codes where expires_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}
