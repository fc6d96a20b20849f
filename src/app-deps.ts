// Everything the app needs, built once by an entry point (server, Deno, tests) and passed in.
import type { RequestLog } from './audit/request-log.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Db } from './db/db.ts';
import type { ReadRouter } from './db/replicas.ts';
import type { RateLimiter } from './limits/limiter.ts';
import type { Logger } from './log.ts';
import type { MailOutbox } from './mail/outbox.ts';
import type { DevMailbox } from './mail/transport.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { TenantDirectory } from './tenants/tenants.ts';
import type { KeyRing } from './tokens/keys.ts';
import type { UrlPolicy } from './webhooks/url-policy.ts';
import type { WebhookWorker } from './webhooks/worker.ts';

export type AppDeps = {
  config: Config;
  db: Db;
  /** Reads that may lag (the edge lookup): a fresh-enough replica, else `db` (db/replicas.ts). */
  reads: ReadRouter;
  keys: KeyRing;
  clock: Clock;
  logger: Logger;
  outbox: MailOutbox;
  devMailbox: DevMailbox | null;
  tenants: TenantDirectory;
  limiter: RateLimiter;
  requestLog: RequestLog;
  /** Where webhooks may go (checked at registration and before every delivery). */
  webhookUrlPolicy: UrlPolicy;
  webhooks: WebhookWorker;
  /** Prometheus metrics (GET /metrics, METRICS_PORT). */
  metrics: Metrics;
};

/** A new session's lifetime: the tenant's TTL or SESSION_TTL, never beyond the absolute SESSION_MAX_AGE. */
export function sessionTtlFor(deps: AppDeps, tenant: { sessionTtlSeconds: number | null }): number {
  return Math.min(tenant.sessionTtlSeconds ?? deps.config.sessionTtlSeconds, deps.config.sessionMaxAgeSeconds);
}
