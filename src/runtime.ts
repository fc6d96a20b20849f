// Assembles the service from config: database (migrated), keys, mail transport, outbox, tenants.
// Shared by the Bun and Deno entry points and by tests (which override the clock, db or transport).
import { readFileSync, writeFileSync } from 'node:fs';
import { buildApp, type App } from './app.ts';
import { RequestLog } from './audit/request-log.ts';
import type { AppDeps } from './app-deps.ts';
import { systemClock, type Clock } from './clock.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import type { Db } from './db/db.ts';
import { makeDataDirPrivate } from './db/data-dir.ts';
import { migrate } from './db/migrate.ts';
import { DataDirBusyError, openDatabase, openReplicas, openSidePools, sharedPools, type SidePools } from './db/open.ts';
import { primaryOnly } from './db/replicas.ts';
import { seedDemoTenant } from './demo-seed.ts';
import { createLogger, type Logger } from './log.ts';
import { RateLimiter } from './limits/limiter.ts';
import { MailOutbox } from './mail/outbox.ts';
import { signInPressing } from './magic-link/admission.ts';
import { mailKinds } from './magic-link/mail-kind.ts';
import { ERASURE_CODE_MAIL } from './privacy/erasure-codes.ts';
import { erasureCodeMailKind } from './privacy/erasure-mail.ts';
import { visitorMailKinds } from './visitors/mail-kind.ts';
import { createSmtpTransport, DevMailbox, type MailTransport } from './mail/transport.ts';
import { countPoolUse } from './metrics/db-pool.ts';
import { Metrics } from './metrics/metrics.ts';
import { Janitor } from './ops/janitor.ts';
import { TenantDirectory } from './tenants/tenants.ts';
import { deriveKeyRing } from './tokens/keys.ts';
import { systemResolver, type Resolver } from './webhooks/url-policy.ts';
import type { WebhookTransport } from './webhooks/transport.ts';
import { WebhookWorker, type WebhookWorkerOptions } from './webhooks/worker.ts';

export type Runtime = {
  deps: AppDeps;
  app: App;
  transport: MailTransport;
  janitor: Janitor;
  /** Background work: the mail outbox worker, the webhook worker and the janitor. */
  startWorkers(): void;
  close(): Promise<void>;
};

export type RuntimeOverrides = {
  db?: Db;
  clock?: Clock;
  transport?: MailTransport;
  logger?: Logger;
  seedDemo?: boolean;
  /** How webhook hosts are resolved (tests answer for names they make up). */
  resolveHost?: Resolver;
  /** Webhook worker settings (tests: a short timeout, pinned jitter). */
  webhooks?: Pick<WebhookWorkerOptions, 'timeoutMs' | 'random' | 'perEndpoint' | 'yieldFloorMs' | 'maxYieldMs'>;
  /** How webhook deliveries are POSTed (the Bun entry gives its fetch-based one). */
  webhookTransport?: WebhookTransport;
};

/** Development only: a generated secret kept in DATA_DIR (mode 0600), so links survive restarts. */
export function devTokenSecret(dataDir: string): string {
  const file = `${dataDir}/token-secret`;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    makeDataDirPrivate(dataDir);
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}

export async function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const seedDemo = overrides.seedDemo ?? config.nodeEnv === 'development';
  // Before anything is written there (token secret, embedded database, dev credentials).
  if (!config.tokenSecrets || (!overrides.db && !config.databaseUrl) || seedDemo) makeDataDirPrivate(config.dataDir);
  const secrets = config.tokenSecrets ?? [devTokenSecret(config.dataDir)];
  const keys = await deriveKeyRing(secrets);
  // The queue gauges' 5 s cache runs on the injected clock (tests move it).
  const metricsClock = overrides.clock ?? systemClock;
  const metrics = new Metrics({ processMetrics: true, now: () => metricsClock.now().getTime() });
  const opened = overrides.db ?? (await openDatabase(config));
  // A database handed in (tests) serves every purpose; otherwise side pools for counters, mail and webhooks.
  // Every pool's statements are counted for va_db_pool_* (a shared pool once, as `main`).
  const db = countPoolUse(opened, metrics.trackPool('main', opened.poolSize ?? null));
  const counted = (pool: Db, name: string) => (pool === opened ? db : countPoolUse(pool, metrics.trackPool(name, pool.poolSize ?? null)));
  const countedPools = (side: SidePools): SidePools => ({
    counters: counted(side.counters, 'counters'),
    outbox: counted(side.outbox, 'outbox'),
    webhooks: counted(side.webhooks, 'webhooks'),
    close: () => side.close(),
  });
  let pools: SidePools = countedPools(sharedPools(opened));
  const replicas = openReplicas(config, db, logger);
  try {
    if (!overrides.db) pools = countedPools(await openSidePools(config, opened));
    replicas?.start();
    const applied = await migrate(db);
    if (applied.length) logger.info('migrations applied', { applied });
    const clock = overrides.clock ?? systemClock;
    const devMailbox = !config.smtpUrl && !overrides.transport ? new DevMailbox() : null;
    let transport: MailTransport;
    if (overrides.transport || devMailbox) {
      transport = overrides.transport ?? devMailbox!;
    } else {
      const smtp = createSmtpTransport(config.smtpUrl!);
      // What the operator's SMTP_URL amounts to (no credentials): pool size matters for delivery rate.
      logger.info('mail transport', { ...smtp.settings });
      transport = smtp;
    }
    if (devMailbox) logger.warn('SMTP_URL is unset: mail goes to the in-memory dev mailbox at /_dev/mailbox (loopback only)');
    const outbox = new MailOutbox({
      db: pools.outbox,
      keys,
      clock,
      transport,
      logger,
      defaultFrom: config.mailFrom,
      kinds: { ...mailKinds(config.magicLinkTtlSeconds), [ERASURE_CODE_MAIL]: erasureCodeMailKind(), ...visitorMailKinds() },
      leaseSeconds: config.outboxLeaseSeconds,
      counts: metrics.mail,
    });
    const webhookUrlPolicy = { production: config.nodeEnv === 'production', resolve: overrides.resolveHost ?? systemResolver };
    // Deliveries yield while sign-ins queue (worker.ts); the deps they are counted on come below,
    // and the worker starts after them.
    let signInPresses = () => false;
    const webhooks = new WebhookWorker({
      db: pools.webhooks,
      keys,
      clock,
      logger,
      urlPolicy: webhookUrlPolicy,
      counts: metrics.webhooks,
      transport: overrides.webhookTransport,
      pressing: () => signInPresses(),
      ...overrides.webhooks,
    });
    metrics.setQueueProbe(async () => {
      const [mail, deliveries] = await Promise.all([outbox.state(), webhooks.state()]);
      return { mail, webhooks: deliveries };
    });
    const deps: AppDeps = {
      config,
      db,
      reads: replicas ?? primaryOnly(db),
      keys,
      clock,
      logger,
      outbox,
      devMailbox,
      tenants: new TenantDirectory(db),
      limiter: new RateLimiter(pools.counters, clock, {
        ipv6Prefix: config.ipv6LimitPrefix,
        onRefused: (policy) => metrics.refused(policy),
      }),
      requestLog: new RequestLog(pools.counters, logger),
      webhookUrlPolicy,
      webhooks,
      metrics,
    };
    signInPresses = () => signInPressing(deps);
    if (seedDemo) await seedDemoTenant(db, config, logger);
    const janitor = new Janitor(deps);
    return {
      deps,
      app: buildApp(deps),
      transport,
      janitor,
      startWorkers() {
        outbox.start();
        webhooks.start();
        janitor.start();
      },
      async close() {
        await outbox.stop();
        await webhooks.stop();
        await janitor.stop();
        await deps.requestLog.flush();
        transport.close();
        await replicas?.close();
        await pools.close();
        await db.close();
      },
    };
  } catch (error) {
    await replicas?.close();
    await pools.close();
    await db.close();
    throw error;
  }
}

/** For entry points: config and runtime from the environment, or one line on stderr and exit 1. */
export async function runtimeFromEnv(
  env: Record<string, string | undefined>,
  exit: (code: number) => never,
  overrides: Pick<RuntimeOverrides, 'webhookTransport'> = {},
): Promise<Runtime> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return exit(1);
  }
  try {
    return await createRuntime(config, overrides);
  } catch (error) {
    console.error(error instanceof DataDirBusyError ? error.message : `start-up failed: ${(error as Error).message}`);
    return exit(1);
  }
}

/** The start-up log line, and in development how to try the service. */
export function announceListening(deps: AppDeps, port: number, runtimeName: 'bun' | 'deno'): void {
  deps.logger.info('listening', {
    url: `http://localhost:${port}`,
    database: deps.db.kind,
    nodeEnv: deps.config.nodeEnv,
    runtime: runtimeName,
  });
  if (deps.config.nodeEnv !== 'development') return;
  console.log(`\nVisitor Access is running on http://localhost:${port} (demo storefront "gharart").
Open: http://localhost:${port} in a browser, open the course and sign in as demo@example.com
Try:  curl -s -X POST http://localhost:${port}/v2/visitor/auth/magic-link -H 'content-type: application/json' -d '{"email":"demo@example.com"}'
Then: ${whereTheMailIs(deps, port)}\n`);
}

/** The dev mailbox exists only without SMTP_URL: with it, the mail is at the SMTP server. */
function whereTheMailIs(deps: AppDeps, port: number): string {
  if (deps.devMailbox) return `curl -s 'http://localhost:${port}/_dev/mailbox?to=demo@example.com'`;
  return 'read the mail to demo@example.com where SMTP_URL delivers it (the dev mailbox is off when SMTP_URL is set)';
}
