// The only module that reads the environment: env → a frozen, typed config, validated once.
import { parseCidrList, type Cidr } from './net/cidr.ts';

export type Config = Readonly<{
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string | null;
  /** Hot standbys of DATABASE_URL for reads that may lag a little (the edge lookup); empty: none. */
  databaseReplicaUrls: readonly string[];
  /** false behind a transaction pooler without prepared statements (PgBouncer < 1.21). */
  databasePrepare: boolean;
  dataDir: string;
  smtpUrl: string | null;
  mailFrom: string;
  /** First signs, all verify. null in development until the dev secret is generated. */
  tokenSecrets: readonly string[] | null;
  magicLinkTtlSeconds: number;
  /** A checkout handoff's validity when the storefront names none (it may ask for 60 s to 7 days). */
  handoffTtlSeconds: number;
  /** A console session's absolute lifetime and its idle timeout (CONSOLE_SESSION_TTL, CONSOLE_IDLE_TIMEOUT). */
  consoleSessionSeconds: number;
  consoleIdleSeconds: number;
  sessionTtlSeconds: number;
  /** Absolute session lifetime: a sliding session ends this long after sign-in, however active. */
  sessionMaxAgeSeconds: number;
  edgeCacheSeconds: number;
  /** How long a worker owns a claimed mail before another may retry it (a crashed worker's lease). */
  outboxLeaseSeconds: number;
  /** Sign-in requests doing their work at once, beyond which one is refused with 503 (magic-link/admission.ts); null: its default. */
  signInMaxInFlight: number | null;
  /** While the edge is busy, event-loop lag (ms) beyond which sign-in is refused and its limit halved (admission.ts); 0: off; null: its default. */
  signInMaxLoopLagMs: number | null;
  /** How long GET /v2/visitor/auth/pending may hold a waiting answer (0–25 s). */
  pendingHoldSeconds: number;
  trustedProxies: readonly Cidr[];
  /** Per-IP limits key an IPv6 client by this prefix length (one /64 is one subscriber). */
  ipv6LimitPrefix: number;
  publicUrl: string;
  /** Problem `type` URIs are `{errorsDocBaseUrl}#{code}`; the service serves that page at /docs/errors. */
  errorsDocBaseUrl: string;
  /** The rendered API reference at /docs: always in development and test, in production only with API_DOCS=on. */
  apiDocs: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** A second listener serving only GET /metrics (Bun entry); null: none. */
  metricsPort: number | null;
  /** GET /metrics on the main listener answers only `Authorization: Bearer` this; null: 404 there. */
  metricsToken: string | null;
  /** How many days each kind of record is kept after it ended (RETENTION_*_DAYS; the janitor deletes the rest). */
  retentionDays: Readonly<Record<RetentionKind, number>>;
}>;

/**
 * What the janitor deletes, and after how many days by default (docs/deploy.md, "Retention"): each
 * counted from when the record ended — written, sent, expired, revoked — not from when it began.
 */
export const RETENTION_SETTINGS = {
  requestLog: { env: 'RETENTION_REQUEST_LOG_DAYS', days: 30 },
  auditEvents: { env: 'RETENTION_AUDIT_DAYS', days: 365 },
  securityEvents: { env: 'RETENTION_SECURITY_EVENTS_DAYS', days: 365 },
  mail: { env: 'RETENTION_MAIL_DAYS', days: 30 },
  magicLinks: { env: 'RETENTION_MAGIC_LINKS_DAYS', days: 30 },
  pendingSignIns: { env: 'RETENTION_PENDING_SIGN_INS_DAYS', days: 30 },
  passkeyChallenges: { env: 'RETENTION_PASSKEY_CHALLENGES_DAYS', days: 1 },
  webhookDeliveries: { env: 'RETENTION_WEBHOOK_DELIVERIES_DAYS', days: 30 },
  consoleSessions: { env: 'RETENTION_CONSOLE_SESSIONS_DAYS', days: 7 },
  handoffs: { env: 'RETENTION_HANDOFFS_DAYS', days: 30 },
  sessions: { env: 'RETENTION_SESSIONS_DAYS', days: 90 },
} as const;
export type RetentionKind = keyof typeof RETENTION_SETTINGS;

/** A bad variable: the message is one line that names it. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`config: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || !Number.isSafeInteger(value)) throw new ConfigError(name, `must be ≥ ${min}, got ${raw}`);
  return value;
}

function url(name: string, raw: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return raw;
}

export function loadConfig(env: Env): Config {
  const nodeEnvRaw = env.NODE_ENV || 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config['nodeEnv'];
  const production = nodeEnv === 'production';
  const port = integer(env, 'PORT', 3000, 0);
  if (port > 65535) throw new ConfigError('PORT', 'must be ≤ 65535');

  const databaseUrl = env.DATABASE_URL ? url('DATABASE_URL', env.DATABASE_URL, ['postgres:', 'postgresql:']) : null;
  const databaseReplicaUrls = (env.DATABASE_REPLICA_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => url('DATABASE_REPLICA_URL', u, ['postgres:', 'postgresql:']));
  // A replica of the embedded database does not exist: PGlite has one connection in this process.
  if (databaseReplicaUrls.length && !databaseUrl) throw new ConfigError('DATABASE_REPLICA_URL', 'needs DATABASE_URL (the primary)');
  const databasePrepareRaw = env.DATABASE_PREPARE || 'true';
  if (databasePrepareRaw !== 'true' && databasePrepareRaw !== 'false') {
    throw new ConfigError('DATABASE_PREPARE', `must be true or false, got "${databasePrepareRaw}"`);
  }
  const smtpUrl = env.SMTP_URL ? url('SMTP_URL', env.SMTP_URL, ['smtp:', 'smtps:']) : null;
  let tokenSecrets: string[] | null = null;
  if (env.TOKEN_SECRET) {
    tokenSecrets = env.TOKEN_SECRET.split(',').map((s) => s.trim());
    if (tokenSecrets.some((s) => s.length < 32)) {
      throw new ConfigError('TOKEN_SECRET', 'must be a comma-separated list of secrets of at least 32 characters each');
    }
  }
  // Production never falls back to a silent dev default.
  if (production) {
    if (!tokenSecrets) throw new ConfigError('TOKEN_SECRET', 'is required when NODE_ENV=production');
    if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'is required when NODE_ENV=production');
    if (!smtpUrl) throw new ConfigError('SMTP_URL', 'is required when NODE_ENV=production');
    // Console sign-in mails link to PUBLIC_URL: the localhost default would send operators nowhere.
    if (!env.PUBLIC_URL)
      throw new ConfigError('PUBLIC_URL', 'is required when NODE_ENV=production (the public origin console links point to)');
  }

  const publicUrl = url('PUBLIC_URL', env.PUBLIC_URL || `http://localhost:${port}`, ['http:', 'https:']);
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be debug, info, warn or error');
  }
  let trustedProxies: Cidr[];
  try {
    trustedProxies = parseCidrList(env.TRUSTED_PROXIES ?? '127.0.0.0/8,::1');
  } catch (error) {
    throw new ConfigError('TRUSTED_PROXIES', (error as Error).message);
  }

  const ipv6LimitPrefix = integer(env, 'IPV6_LIMIT_PREFIX', 64, 16);
  if (ipv6LimitPrefix > 128) throw new ConfigError('IPV6_LIMIT_PREFIX', 'must be ≤ 128');
  const pendingHoldSeconds = integer(env, 'PENDING_HOLD_SECONDS', 25, 0);
  if (pendingHoldSeconds > 25) throw new ConfigError('PENDING_HOLD_SECONDS', 'must be ≤ 25');
  const sessionTtlSeconds = integer(env, 'SESSION_TTL', 2_592_000, 60);
  const sessionMaxAgeSeconds = integer(env, 'SESSION_MAX_AGE', 7_776_000, 60);
  if (sessionMaxAgeSeconds < sessionTtlSeconds) throw new ConfigError('SESSION_MAX_AGE', `must be ≥ SESSION_TTL (${sessionTtlSeconds})`);
  const handoffTtlSeconds = integer(env, 'HANDOFF_TTL', 1800, 60);
  if (handoffTtlSeconds > 604_800) throw new ConfigError('HANDOFF_TTL', 'must be ≤ 604800 (7 days)');
  const consoleSessionSeconds = integer(env, 'CONSOLE_SESSION_TTL', 43_200, 300);
  if (consoleSessionSeconds > 604_800) throw new ConfigError('CONSOLE_SESSION_TTL', 'must be ≤ 604800 (7 days)');
  const consoleIdleSeconds = integer(env, 'CONSOLE_IDLE_TIMEOUT', 1800, 60);
  if (consoleIdleSeconds > consoleSessionSeconds)
    throw new ConfigError('CONSOLE_IDLE_TIMEOUT', `must be ≤ CONSOLE_SESSION_TTL (${consoleSessionSeconds})`);

  const errorsDocBaseUrl = env.ERRORS_DOC_BASE_URL
    ? url('ERRORS_DOC_BASE_URL', env.ERRORS_DOC_BASE_URL, ['http:', 'https:'])
    : `${new URL(publicUrl).origin}/docs/errors`;
  if (errorsDocBaseUrl.includes('#')) throw new ConfigError('ERRORS_DOC_BASE_URL', 'must not contain a fragment (#code is appended)');
  const metricsPort = env.METRICS_PORT ? integer(env, 'METRICS_PORT', 0, 0) : null;
  if (metricsPort !== null && metricsPort > 65535) throw new ConfigError('METRICS_PORT', 'must be ≤ 65535');
  if (metricsPort !== null && metricsPort !== 0 && metricsPort === port) throw new ConfigError('METRICS_PORT', 'must differ from PORT');
  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 32) throw new ConfigError('METRICS_TOKEN', 'must be at least 32 characters');
  const retentionDays = retentionFrom(env, sessionMaxAgeSeconds);
  const apiDocsRaw = env.API_DOCS || (production ? 'off' : 'on');
  if (apiDocsRaw !== 'on' && apiDocsRaw !== 'off') throw new ConfigError('API_DOCS', `must be on or off, got "${apiDocsRaw}"`);

  return Object.freeze({
    nodeEnv,
    port,
    databaseUrl,
    databaseReplicaUrls: Object.freeze(databaseReplicaUrls),
    databasePrepare: databasePrepareRaw === 'true',
    dataDir: env.DATA_DIR || './data',
    smtpUrl,
    mailFrom: env.MAIL_FROM || 'Visitor Access <no-reply@localhost>',
    tokenSecrets: tokenSecrets ? Object.freeze(tokenSecrets) : null,
    magicLinkTtlSeconds: integer(env, 'MAGIC_LINK_TTL', 900, 1),
    handoffTtlSeconds,
    consoleSessionSeconds,
    consoleIdleSeconds,
    sessionTtlSeconds,
    sessionMaxAgeSeconds,
    edgeCacheSeconds: integer(env, 'EDGE_CACHE_SECONDS', 5, 0),
    outboxLeaseSeconds: integer(env, 'OUTBOX_LEASE_SECONDS', 60, 1),
    signInMaxInFlight: env.SIGN_IN_MAX_IN_FLIGHT ? integer(env, 'SIGN_IN_MAX_IN_FLIGHT', 0, 1) : null,
    signInMaxLoopLagMs: env.SIGN_IN_MAX_LOOP_LAG_MS ? integer(env, 'SIGN_IN_MAX_LOOP_LAG_MS', 0, 0) : null,
    pendingHoldSeconds,
    trustedProxies: Object.freeze(trustedProxies),
    ipv6LimitPrefix,
    publicUrl: new URL(publicUrl).origin,
    errorsDocBaseUrl,
    apiDocs: apiDocsRaw === 'on',
    logLevel,
    metricsPort,
    metricsToken,
    retentionDays,
  });
}

function retentionFrom(env: Env, sessionMaxAgeSeconds: number): Readonly<Record<RetentionKind, number>> {
  const days = Object.fromEntries(
    Object.entries(RETENTION_SETTINGS).map(([kind, setting]) => [kind, integer(env, setting.env, setting.days, 1)]),
  ) as Record<RetentionKind, number>;
  // The console tells a shopper's story from audit rows: how each kept session and link began
  // (sign_in_requested, link_consumed). A session, and the link it was made by, are kept up to
  // SESSION_MAX_AGE plus RETENTION_SESSIONS_DAYS after sign-in; an unused link RETENTION_MAGIC_LINKS_DAYS
  // after it expired. The audit rows must outlive both (a day more: a link may be used hours after it was asked for).
  const needed = Math.max(Math.ceil(sessionMaxAgeSeconds / 86_400) + days.sessions, days.magicLinks) + 1;
  if (days.auditEvents < needed) {
    throw new ConfigError(
      'RETENTION_AUDIT_DAYS',
      `must be ≥ ${needed} (the longer of SESSION_MAX_AGE in days + RETENTION_SESSIONS_DAYS and RETENTION_MAGIC_LINKS_DAYS, plus a day), got ${days.auditEvents}`,
    );
  }
  return Object.freeze(days);
}
