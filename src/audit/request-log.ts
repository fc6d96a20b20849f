// A compact record of every request but the edge check (the CDN's hot path), for the operator's
// request-id lookup. Rows are buffered and written in one multi-row insert every few hundred ms,
// off the request path; a crash can lose that last fraction of a second of diagnostics, never data.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import type { Logger } from '../log.ts';

export type RequestLogEntry = {
  requestId: string;
  method: string;
  path: string;
  status: number;
  code: string | null;
  tenantId: string | null;
  visitorId: string | null;
  sessionId: string | null;
  ip: string;
  userAgent: string | null;
  durationMs: number;
  at: Date;
};

export class RequestLog {
  private buffer: RequestLogEntry[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly flushMs = 250,
    private readonly maxBuffer = 500,
  ) {}

  add(entry: RequestLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length >= this.maxBuffer) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what is buffered (tests and shutdown call it directly). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(rows));
    return this.flushing;
  }

  private async write(rows: RequestLogEntry[]): Promise<void> {
    const column = <K extends keyof RequestLogEntry>(key: K) => rows.map((r) => r[key]);
    try {
      await this.db.many(sql`
        insert into request_log (request_id, method, path, status, code, tenant_id, visitor_id, session_id, ip, user_agent, duration_ms, created_at)
        select * from unnest(
          ${column('requestId')}::text[], ${column('method')}::text[], ${column('path')}::text[], ${column('status')}::int[],
          ${column('code')}::text[], ${column('tenantId')}::uuid[], ${column('visitorId')}::uuid[], ${column('sessionId')}::uuid[],
          ${column('ip')}::text[], ${column('userAgent')}::text[], ${column('durationMs')}::real[],
          ${rows.map((r) => r.at.toISOString())}::timestamptz[])
        on conflict (request_id) do nothing`);
    } catch (error) {
      this.logger.warn('request log write failed', { rows: rows.length, error: String((error as Error).message) });
    }
  }
}

/** Retention: deletes up to `limit` request log rows written before `before`; returns how many (the janitor repeats). */
export async function deleteRequestLogBefore(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from request_log where ctid = any(array(
      select ctid from request_log where created_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}
