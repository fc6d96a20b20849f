// The whole deployment of docs/deploy.md on one machine: real nginx (configured from the guide) in
// front of the real service process and a stand-in storefront back end, with mail captured over
// real SMTP. Embedded PGlite in a temporary DATA_DIR, or a fresh PostgreSQL database when
// DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upsertGrant } from '../../../src/access/grants.ts';
import { loadConfig } from '../../../src/config.ts';
import { openDatabase } from '../../../src/db/open.ts';
import { findTenantByHandle } from '../../../src/tenants/tenants.ts';
import { freshDatabase, usingPostgres, type TestDatabase } from '../../support/database.ts';
import { MailCapture } from '../../support/mail-capture.ts';
import { deployDocConfig, renderConfig, startNginx, type Nginx } from './nginx.ts';
import { cli, reservePort, startService, startStorefront, type CliRun, type Service, type StorefrontRoutes } from './processes.ts';

export const HANDLE = 'gharart';
export const EMAIL = 'demo@example.com';
export const GRANTED = '/content/demo/*';

export type Stack = {
  /** http://localhost:<nginx port> — the storefront's origin; every request of the test goes here. */
  origin: string;
  nginx: Nginx;
  service: Service;
  storefront: ReturnType<typeof startStorefront>;
  mail: MailCapture;
  /** How the grant was written: the CLI, or upsertGrant while `grant add` did not exist yet. */
  grantedWith: 'cli' | 'upsertGrant';
  stop(): Promise<void>;
};

function must(run: CliRun, what: string): CliRun {
  if (run.code !== 0) throw new Error(`${what} failed (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  return run;
}

/** `grant add` through the CLI; falls back to upsertGrant only when the verb does not exist yet. */
async function addGrant(env: Record<string, string>, database: TestDatabase | null, email = EMAIL): Promise<'cli' | 'upsertGrant'> {
  const run = await cli(env, 'grant', 'add', '--handle', HANDLE, '--email', email, '--resource', GRANTED, '--kind', 'content');
  if (run.code === 0) return 'cli';
  const error = (run.json?.error ?? {}) as { code?: string; message?: string };
  if (!(error.code === 'invalid_argument' && /unknown verb "grant"/.test(error.message ?? ''))) must(run, 'cli grant add');
  const db = database?.db ?? (await openDatabase(loadConfig(env)));
  try {
    const tenant = await findTenantByHandle(db, HANDLE);
    if (!tenant) throw new Error(`tenant ${HANDLE} was not created`);
    await upsertGrant(
      db,
      tenant.id,
      { email, resource: GRANTED, kind: 'content', title: null, orderId: null, expiresAt: null },
      new Date(),
    );
  } finally {
    if (!database) await db.close();
  }
  return 'upsertGrant';
}

export type StackOptions = {
  /** Extra environment for the service process (e.g. a short MAGIC_LINK_TTL); wins over the defaults. */
  serviceEnv?: Record<string, string>;
  /** More shoppers granted GRANTED besides EMAIL (distinct addresses keep tests clear of the per-email mail limit). */
  grantEmails?: string[];
  /** CLI work before the service starts (it then holds an embedded DATA_DIR): more grants, a PAT. */
  beforeStart?: (env: Record<string, string>) => Promise<void>;
  /** The storefront's own pages, answered before its echo. */
  storefrontRoutes?: StorefrontRoutes;
};

export async function startStack(nginxBinary: string, options: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => unknown)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('e2e cleanup:', error);
      }
    }
    cleanups.length = 0;
  };
  try {
    const mail = await new MailCapture().start();
    cleanups.push(() => mail.close());
    const dir = mkdtempSync(join(tmpdir(), 'va-nginx-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const database = usingPostgres ? await freshDatabase() : null;
    if (database) cleanups.push(() => database.drop());

    // nginx's port is chosen first: it is the storefront's origin, which the tenant must know.
    const reserved = reservePort();
    cleanups.push(() => reserved.release());
    const origin = `http://localhost:${reserved.port}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'development',
      PORT: '0',
      DATA_DIR: join(dir, 'data'),
      SMTP_URL: mail.url,
      PUBLIC_URL: origin,
      EDGE_CACHE_SECONDS: '1',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
      ...options.serviceEnv,
    };

    // Tenant and grant before the service starts: it holds an embedded DATA_DIR exclusively, and
    // the development seed leaves an existing "gharart" alone.
    must(await cli(env, 'migrate'), 'cli migrate');
    must(
      await cli(
        env,
        'tenant',
        'add',
        HANDLE,
        '--name',
        'Gharart',
        '--origin',
        origin,
        '--host',
        'localhost',
        '--gated',
        '/content/',
        '--gated',
        '/orders/',
      ),
      'cli tenant add',
    );
    const grantedWith = await addGrant(env, database);
    for (const email of options.grantEmails ?? []) await addGrant(env, database, email);
    await options.beforeStart?.(env);

    const service = await startService(env);
    cleanups.push(() => service.stop());
    const storefront = startStorefront(options.storefrontRoutes);
    cleanups.push(() => storefront.stop());

    const site = renderConfig(deployDocConfig(), {
      HOST: 'localhost',
      LISTEN: `127.0.0.1:${reserved.port}`,
      SERVICE: `127.0.0.1:${service.port}`,
      STOREFRONT: `127.0.0.1:${storefront.port}`,
      LOG_DIR: join(dir, 'nginx'),
    });
    reserved.release();
    const nginx = await startNginx(nginxBinary, join(dir, 'nginx'), reserved.port, site);
    cleanups.push(() => nginx.stop());
    return { origin, nginx, service, storefront, mail, grantedWith, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
