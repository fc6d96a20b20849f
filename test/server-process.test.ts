// The real entry point as a process: start-up checks, the DATA_DIR lock, graceful shutdown.
import { afterAll, beforeAll, describe, expect, it, spyOn } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import postgres from 'postgres';
import type { AppDeps } from '../src/app-deps.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { DevMailbox } from '../src/mail/transport.ts';
import { announceListening } from '../src/runtime.ts';
import { freshDatabase, preparedStatements, usingPostgres, type TestDatabase } from './support/database.ts';
import { MEMORY_ENV } from '../bench/lib/service.ts';
import { MailCapture } from './support/mail-capture.ts';
import { startService } from './support/service-process.ts';

let mail: MailCapture;
let dataDir: string;
let database: TestDatabase | null = null;

beforeAll(async () => {
  mail = await new MailCapture().start();
  dataDir = mkdtempSync(`${tmpdir()}/va-server-`);
  if (usingPostgres) database = await freshDatabase();
});
afterAll(async () => {
  await mail.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'development',
    PORT: '0',
    PUBLIC_URL: 'http://localhost',
    DATA_DIR: dataDir,
    SMTP_URL: mail.url,
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
    ...extra,
  };
}

async function start(extra: Record<string, string> = {}) {
  return startService(env(extra));
}

describe('the start banner in development', () => {
  /** What announceListening prints to the console, for a service with or without a dev mailbox. */
  function banner(devMailbox: DevMailbox | null): string {
    const printed: string[] = [];
    const print = spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    try {
      const deps = {
        config: loadConfig({ NODE_ENV: 'development' }),
        logger: createLogger('error', () => {}),
        db: { kind: 'pglite' },
        devMailbox,
      };
      announceListening(deps as unknown as AppDeps, 3000, 'bun');
    } finally {
      print.mockRestore();
    }
    return printed.join('\n');
  }

  it('points to the dev mailbox when SMTP_URL is unset', () => {
    expect(banner(new DevMailbox())).toContain("curl -s 'http://localhost:3000/_dev/mailbox?to=demo@example.com'");
  });

  it('never points to the dev mailbox when SMTP_URL is set (there is none)', () => {
    const printed = banner(null);
    expect(printed).toContain('Visitor Access is running on http://localhost:3000');
    expect(printed).not.toContain('/_dev/mailbox');
    expect(printed).toContain('where SMTP_URL delivers it');
  });
});

describe('the service process', () => {
  it('refuses to start in production without its secrets, naming the variable in one line', async () => {
    const child = Bun.spawn(['bun', 'src/server.ts'], {
      env: env({ NODE_ENV: 'production', SMTP_URL: '', DATABASE_URL: '' }),
      stdout: 'pipe',
      stderr: 'pipe',
    });
    expect(await child.exited).toBe(1);
    const stderr = (await new Response(child.stderr as ReadableStream).text()).trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toContain('TOKEN_SECRET');
  });

  it('refuses to start in production without PUBLIC_URL (console links would point to localhost)', async () => {
    const production = {
      NODE_ENV: 'production',
      TOKEN_SECRET: 'x'.repeat(32),
      DATABASE_URL: 'postgres://127.0.0.1:1/none',
      PUBLIC_URL: '',
    };
    const child = Bun.spawn(['bun', 'src/server.ts'], { env: env(production), stdout: 'pipe', stderr: 'pipe' });
    expect(await child.exited).toBe(1);
    const stderr = (await new Response(child.stderr as ReadableStream).text()).trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toContain('PUBLIC_URL');
  });

  it('finishes in-flight requests on SIGTERM and loses no accepted sign-in', async () => {
    const server = await start();
    const { base } = server;
    // The start-up log says what SMTP_URL amounts to (defaults merged), without credentials.
    expect(server.output()).toMatch(
      /"msg":"mail transport","host":"127\.0\.0\.1","port":\d+,"secure":false,"maxConnections":40,"maxMessages":500/,
    );
    if (!usingPostgres) {
      // Only one process may hold the embedded database.
      const second = Bun.spawn(['bun', 'src/server.ts'], { env: env(), stdout: 'pipe', stderr: 'pipe' });
      expect(await second.exited).toBe(1);
      expect(await new Response(second.stderr as ReadableStream).text()).toContain('in use by process');
    }
    // The start banner (printed right after "listening"; the pipe may deliver it a moment later)
    // sends a newcomer to the mail: with SMTP_URL set that is the SMTP server, never the dev
    // mailbox (not mounted then).
    const bannerBy = Date.now() + 5_000;
    while (!server.output().includes('Then: ') && Date.now() < bannerBy) await Bun.sleep(20);
    expect(server.output()).toContain('Visitor Access is running on');
    expect(server.output()).toContain('where SMTP_URL delivers it');
    expect(server.output()).not.toContain('/_dev/mailbox');
    expect((await fetch(`${base}/_dev/mailbox?to=demo@example.com`)).status).toBe(404);
    // Development: the demo tenant's PATs are written for the newcomer (0600) and work.
    const credentialsFile = `${dataDir}/dev-credentials.json`;
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const { tenantPat } = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { tenantPat: string };
    const grants = await fetch(`${base}/v2/access/grants?email=demo@example.com`, { headers: { authorization: `Bearer ${tenantPat}` } });
    expect(((await grants.json()) as { items: { resource: string }[] }).items.map((g) => g.resource)).toEqual(['/content/demo/*']);
    const requests = Array.from({ length: 25 }, (_, i) =>
      fetch(`${base}/v2/visitor/auth/magic-link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `graceful${i}@example.com` }),
      }).then((r) => r.status),
    );
    await Promise.race(requests); // the others are in flight now
    server.process.kill('SIGTERM');
    const statuses = await Promise.all(requests.map((p) => p.catch(() => 'refused')));
    expect(await server.process.exited).toBe(0);
    expect(server.output()).toContain('"msg":"shutting down"');
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted).toBeGreaterThan(0);
    // Anything not answered was refused at connect time, never cut off with a 5xx.
    expect(statuses.every((s) => s === 202 || s === 'refused')).toBe(true);
    if (!usingPostgres) expect(existsSync(`${dataDir}/pglite.pid`)).toBe(false);
    // After a restart, every accepted request has its mail: nothing accepted is lost.
    const again = await start();
    const deadline = Date.now() + 15_000;
    const delivered = () => new Set(mail.messages.filter((m) => m.to.startsWith('graceful')).map((m) => m.to)).size;
    while (delivered() < accepted && Date.now() < deadline) await Bun.sleep(100);
    expect(delivered()).toBe(accepted);
    again.process.kill('SIGTERM');
    expect(await again.process.exited).toBe(0);
  });

  // Not behind PgBouncer (DATABASE_PREPARE=false): there the pools are PgBouncer's clients, and it
  // shares its server connections among them, so pg_stat_activity cannot tell the pools apart.
  it.skipIf(!usingPostgres || !preparedStatements)(
    'on PostgreSQL, counters, the outbox and the webhook worker have their own connections beside the main pool',
    async () => {
      const server = await start({ NODE_ENV: 'test', TOKEN_SECRET: 'server-process-secret-0123456789abcdefghij' });
      try {
        const response = await fetch(`${server.base}/v2/visitor/auth/magic-link`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'pools@example.com' }),
        });
        expect(response.status).toBe(202);
        const admin = postgres(database!.url!, { max: 1, onnotice: () => {} });
        try {
          const name = new URL(database!.url!).pathname.slice(1);
          const deadline = Date.now() + 10_000;
          // Each pool's connections' latest statements, gathered over the samples (a connection's
          // `query` is replaced by its next statement), and the most connections seen at once.
          const queries = new Map<string, string>();
          const most = new Map<string, number>();
          const byApp = (app: string) => queries.get(app) ?? '';
          for (;;) {
            const rows: { application_name: string; query: string }[] = await admin.unsafe(
              `select application_name, query from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
              [name],
            );
            const count = new Map<string, number>();
            for (const row of rows) {
              queries.set(row.application_name, `${byApp(row.application_name)}\n${row.query}`);
              count.set(row.application_name, (count.get(row.application_name) ?? 0) + 1);
            }
            for (const [app, n] of count) most.set(app, Math.max(most.get(app) ?? 0, n));
            if (
              (byApp('visitor-access-counters').includes('rate_limit_counters') &&
                byApp('visitor-access-outbox').includes('mail_outbox') &&
                byApp('visitor-access-webhooks').includes('webhook_deliveries')) ||
              Date.now() > deadline
            )
              break;
            await Bun.sleep(100);
          }
          // The limiter's statement ran on the asynchronously committing pool, each worker's on its own
          // (the webhook worker claims every poll, with or without endpoints).
          expect(byApp('visitor-access-counters')).toContain('rate_limit_counters');
          expect(byApp('visitor-access-outbox')).toContain('mail_outbox');
          expect(byApp('visitor-access-webhooks')).toContain('webhook_deliveries');
          expect(byApp('visitor-access')).not.toContain('rate_limit_counters');
          expect(byApp('visitor-access')).not.toContain('partition by due.endpoint_id'); // the webhook claim
          expect(most.get('visitor-access-counters') ?? 0).toBeLessThanOrEqual(4);
          expect(most.get('visitor-access-outbox') ?? 0).toBeLessThanOrEqual(2);
          expect(most.get('visitor-access-webhooks') ?? 0).toBeLessThanOrEqual(2);
        } finally {
          await admin.end();
        }
      } finally {
        await server.stop();
      }
    },
  );
});

describe('the memory settings (docs/performance.md, "RSS")', () => {
  /** The BUN_JSC_* and MIMALLOC_* assignments in a piece of text, as name → value. */
  function memoryFlags(text: string): Record<string, string> {
    return Object.fromEntries(
      [...text.matchAll(/\b((?:BUN_JSC|MIMALLOC)_\w+)=(\S+?)(?=[\s\\]|$)/g)].map(([, name, value]) => [name, value!]),
    );
  }
  const root = new URL('../', import.meta.url);

  it('are the same in the image, `bun run start` and the bench: no concurrent marking, freed pages returned at once', () => {
    const image = memoryFlags(readFileSync(new URL('Dockerfile', root), 'utf8'));
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: { start: string } };
    expect(memoryFlags(pkg.scripts.start)).toEqual(image);
    expect({ ...MEMORY_ENV }).toEqual(image);
    // Concurrent marking lets the JS allocate on while a collection marks: ~2 MiB more RSS at the peak.
    expect(image.BUN_JSC_useConcurrentGC).toBe('0');
    // mimalloc's default keeps freed pages 100 ms before giving them back: ~1 MiB more at the peak.
    expect(image.MIMALLOC_PURGE_DELAY).toBe('0');
  });
});
