// Every SQL statement of console sessions. A console session is a `sessions` row (token hash,
// revocation: the sessions feature's, see sessions/) plus a `console_sessions` row that only the
// console writes.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import type { OperatorRole } from './operators.ts';

export type ConsoleSessionRow = {
  session_id: string;
  created_at: Date;
  last_active_at: Date;
  csrf_token: string;
  operator_id: string;
  email: string;
  role: OperatorRole;
};

/** The console session behind a token hash, if it is not revoked and its operator is not removed. */
export async function findConsoleSession(db: Db, tokenHash: string): Promise<ConsoleSessionRow | undefined> {
  return db.one<ConsoleSessionRow>(sql`
    select s.id as session_id, s.created_at, c.last_active_at, c.csrf_token, o.id as operator_id, o.email, o.role
    from sessions s
    join console_sessions c on c.session_id = s.id
    join operators o on o.id = c.operator_id
    where s.token_hash = ${tokenHash} and s.revoked_at is null and o.removed_at is null`);
}

export async function insertConsoleSession(
  db: Db,
  row: { sessionId: string; operatorId: string; csrfToken: string; now: Date },
): Promise<void> {
  await db.many(sql`
    insert into console_sessions (session_id, operator_id, csrf_token, created_at, last_active_at)
    values (${row.sessionId}::uuid, ${row.operatorId}::uuid, ${row.csrfToken}, ${row.now}, ${row.now})`);
}

/** Records activity (the idle clock); written at most once a minute per session by the caller. */
export async function touchConsoleSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db.many(sql`update console_sessions set last_active_at = ${now} where session_id = ${sessionId}::uuid`);
}

/**
 * Retention: deletes up to `limit` console session rows last active before `before` (the janitor
 * passes a time past the idle timeout, so each of them has ended); returns how many. The session
 * row itself is the sessions feature's, kept and deleted by its own retention.
 */
export async function deleteIdleConsoleSessionsBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from console_sessions where ctid = any(array(
      select ctid from console_sessions where last_active_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}
