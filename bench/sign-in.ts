// Sign-in side by side (part of `bun run bench`; alone: `bun bench/sign-in.ts`): the service against
// Better Auth's magic-link plugin (bench/peers/, its production configuration and its defaults), on
// the same PostgreSQL, each in its own fresh database, loaded by wrk one at a time:
//   request-link  ours: POST /v2/visitor/auth/magic-link → 202, mail queued; peer: POST
//                 /sign-in/magic-link → 200, its sendMagicLink captures the link in process. A
//                 distinct address per request. Ours twice: queued with delivery deferred (like the
//                 peer's capture: see requestOurs), and with the worker delivering meanwhile.
//   consume       one fresh, pre-minted link per request. Ours twice: the link page's button
//                 (POST /_edge/visitor/access/t/{token} → 303 + cookie) and the API
//                 (POST /v2/visitor/auth/verify {token, delivery: "bearer"} → vs_ token); peer:
//                 GET /magic-link/verify?token= → session + cookie.
//   session       ours: GET /v2/visitor/me; peer: GET /get-session.
// Every request carries X-Forwarded-For: 127.0.0.1 (as behind a proxy): both sides key their
// per-IP limits on it. Our limits are on, with the bench tenant's quotas raised via setOverride; the
// peer's are raised in its config. Plus the mail section: ours-request-mail, request-link with the
// outbox worker sending to a local SMTP sink (bench/servers/smtp-sink.ts, its own process, on wrk's
// CPU): delivered/s vs accepted/s, and the backlog every 250 ms until it drains. And the webhooks
// variant: ours-request-hooks-off and ours-request-hooks, request-link with the mail delivered as
// in ours-request-mail, without and with one webhook endpoint subscribed to every event (a local
// receiver answering 204, bench/servers/webhook-receiver.ts, on wrk's CPU), in BENCH_HOOKS_PAIRS
// pairs (default 3) run back to back in alternating order, each followed by a VACUUM and a
// CHECKPOINT, so no run pays for the one before: the median pair's req/s with ≥ 90 % of without,
// and in every pair every event (one magic_link.sent per mail) delivered once the load stops.
// Both run with NODE_ENV=test, whose URL rules let a loopback receiver in (production's refuse
// it); request-link takes the same path either way.
//
// Env: as bench/edge.ts (BENCH_SECONDS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_THREADS,
// BENCH_DATABASE_URL, BENCH_PIN, BENCH_QUIET_WAIT, BENCH_RETRIES, BENCH_VERBOSE, BENCH_OUT,
// BENCH_CPU_PROF), and BENCH_ONLY: comma-separated scenario ids; BENCH_SECTIONS=sign-in,mail
// (default both; `mail` alone runs only ours-request-mail, `webhooks` alone only the webhooks
// pair), BENCH_MAIL_WAIT (seconds to wait for the backlog to drain after the load, default 30; the
// target is 10), BENCH_HOOKS_WAIT (the same for the webhook events, default 60), BENCH_HOOKS_PAIRS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { seed, type BenchDatabase, type Seed } from './lib/database.ts';
import { backlogCurve, mailMonitor, type MailReport } from './lib/mail-monitor.ts';
import { cpuTimeMs, findTool, freePort, loadAverage, pinned, start, waitForHttp, type Child } from './lib/process.ts';
import {
  BenchError,
  COLUMN_NOTES,
  envNumber,
  fmt,
  markdown,
  newBenchDatabase,
  NOISY,
  printHeader,
  printVerdicts,
  resultRows,
  RSS_LIMIT_MIB,
  runWithRetries,
  settingsFromEnv,
  stopLive,
  table,
  type Load,
  type Result,
  type Scenario,
  type Settings,
  type Verdict,
} from './lib/runner.ts';
import { addWebhookEndpoint, mintLinks, raiseLimits, RAISED_QUOTA } from './lib/sign-in-data.ts';
import { serviceCommand, serviceEnv } from './lib/service.ts';
import { webhookMonitor, type WebhookReport } from './lib/webhook-monitor.ts';
import { WRK_INSTALL_HINT } from './lib/wrk.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEERS = fileURLToPath(new URL('./peers/', import.meta.url));
const bun = process.execPath;
const FORWARDED = { 'X-Forwarded-For': '127.0.0.1' };

type PeerConfig = 'production' | 'defaults';

type Context = {
  ours: BenchDatabase;
  seed: Seed;
  tokenSecret: string;
  dataDir: string;
  tmp: string;
  sink: { smtpPort: number; httpPort: number; child: Child };
  receiver: { port: number; child: Child };
  peers: Record<PeerConfig, { database: BenchDatabase; secret: string }>;
  /** Peer session cookies, obtained by signing in through the running peer. */
  peerCookies: Partial<Record<PeerConfig, string>>;
  mailWaitSeconds: number;
  hooksWaitSeconds: number;
};

// ---------------------------------------------------------------------------------------------
// Small helpers

const clients = new Map<string, postgres.Sql>();
function client(url: string): postgres.Sql {
  let sql = clients.get(url);
  if (!sql) {
    sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'va-bench-check' } });
    clients.set(url, sql);
  }
  return sql;
}
async function countRows(url: string, table: string): Promise<number> {
  const [row] = (await client(url).unsafe(`select count(*)::int as n from ${table}`)) as unknown as [{ n: number }];
  return row.n;
}

function expectStatus(response: Response, status: number, what: string, body?: string): void {
  if (response.status !== status)
    throw new BenchError(`${what} answered ${response.status}, expected ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
}

/** Runs a command to completion (peer migrate/mint); throws with its output on failure. */
async function run(argv: string[], env: Record<string, string>, cwd: string): Promise<void> {
  const child = Bun.spawn(argv, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new BenchError(`${argv.slice(1).join(' ')} failed (${code}):\n${err.trim() || out.trim()}`);
}

/** bench/peers is its own package: install it (from its lockfile) before the first use. */
async function installPeers(): Promise<void> {
  await run([bun, 'install', '--frozen-lockfile', '--no-progress'], {}, PEERS);
}

function peerEnv(ctx: Context, config: PeerConfig, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: ctx.peers[config].database.url,
    BETTER_AUTH_SECRET: ctx.peers[config].secret,
    PEER_CONFIG: config,
  };
}

async function mintPeerTokens(ctx: Context, config: PeerConfig, count: number, file: string): Promise<void> {
  await run([bun, 'better-auth.ts', 'mint', String(count), file], peerEnv(ctx, config, 0), PEERS);
}

let fileSeq = 0;
function tokenFile(ctx: Context, id: string): string {
  return `${ctx.tmp}/${id}-${++fileSeq}.txt`;
}

// ---------------------------------------------------------------------------------------------
// What is measured

function oursEnv(ctx: Context, port: number): Record<string, string> {
  return serviceEnv({
    port,
    tokenSecret: ctx.tokenSecret,
    databaseUrl: ctx.ours.url,
    dataDir: ctx.dataDir,
    smtpUrl: `smtp://127.0.0.1:${ctx.sink.smtpPort}`,
  });
}

const OUR_HOST = { Host: 'localhost', ...FORWARDED };

function ours(
  id: string,
  label: string,
  rest: Omit<Scenario<Context>, 'id' | 'label' | 'argv' | 'env' | 'cwd' | 'database'>,
): Scenario<Context> {
  return { id, label, argv: () => serviceCommand(id), env: oursEnv, cwd: ROOT, database: (ctx) => ctx.ours, ...rest };
}

function peer(
  config: PeerConfig,
  id: string,
  label: string,
  rest: Omit<Scenario<Context>, 'id' | 'label' | 'argv' | 'env' | 'cwd' | 'database'>,
): Scenario<Context> {
  return {
    id,
    label,
    argv: () => [bun, 'better-auth.ts', 'serve'],
    env: (ctx, port) => peerEnv(ctx, config, port),
    cwd: PEERS,
    database: (ctx) => ctx.peers[config].database,
    ...rest,
  };
}

const run8 = () => crypto.randomUUID().slice(0, 8);

function requestOursBase(): Omit<Scenario<Context>, 'id' | 'label' | 'argv' | 'env' | 'cwd' | 'database'> {
  return {
    async sample(_ctx, base) {
      const response = await fetch(`${base}/v2/visitor/auth/magic-link`, {
        method: 'POST',
        headers: { ...OUR_HOST, 'content-type': 'application/json' },
        body: JSON.stringify({ email: `sample-${run8()}@example.com` }),
      });
      const body = await response.text();
      expectStatus(response, 202, 'request-link', body);
      if (!response.headers.get('ratelimit-policy'))
        throw new BenchError('request-link answered without RateLimit-Policy: are the limits off?');
    },
    load: async (): Promise<Load> => ({
      path: '/v2/visitor/auth/magic-link',
      headers: { ...OUR_HOST, 'Content-Type': 'application/json' },
      dynamic: { method: 'POST', path: '/v2/visitor/auth/magic-link', body: '{"email":"{v}"}', source: `email:${run8()}` },
    }),
    work: { label: 'mail queued', count: (ctx) => countRows(ctx.ours.url, 'mail_outbox') },
  };
}

/**
 * Side by side: accepted + queued, as the peer's captured "send". The outbox row is written exactly
 * as in production; a trigger in the bench database moves its due time 10 minutes on, so the
 * in-process worker (woken by every request, as always) finds nothing to render and send during the
 * window. Afterwards the deferred mail is deleted. Delivery under load is ours-request-mail.
 */
function requestOurs(): Scenario<Context> {
  return ours('ours-request', 'ours: POST /v2/visitor/auth/magic-link (limits on) → 202, mail queued (delivery deferred)', {
    ...requestOursBase(),
    async prepare(ctx) {
      await client(ctx.ours.url).unsafe(`
        create or replace function bench_defer_mail() returns trigger language plpgsql as
          $$ begin new.next_attempt_at := new.next_attempt_at + interval '10 minutes'; return new; end $$;
        create trigger bench_defer_mail before insert on mail_outbox for each row execute function bench_defer_mail();`);
    },
    async cleanup(ctx) {
      await client(ctx.ours.url).unsafe(
        `drop trigger if exists bench_defer_mail on mail_outbox; delete from mail_outbox where status = 'pending';`,
      );
    },
  });
}

/** The production shape: the worker renders and sends every mail to the SMTP sink during the load. */
function requestOursMail(): Scenario<Context> {
  return ours('ours-request-mail', 'ours: the same, with the outbox worker delivering to the SMTP sink meanwhile (mail section)', {
    ...requestOursBase(),
    monitor: (ctx) =>
      mailMonitor({
        databaseUrl: ctx.ours.url,
        sinkHttpPort: ctx.sink.httpPort,
        sinkCpuMs: () => cpuTimeMs(ctx.sink.child.pid),
        waitSeconds: ctx.mailWaitSeconds,
      }),
  });
}

/**
 * The webhooks variant: ours-request-mail under NODE_ENV=test (a loopback receiver passes its URL
 * rules), without and with one endpoint subscribed to every event. The endpoint is registered
 * before the sample request, so every mail of the run reports `magic_link.sent`.
 */
function requestOursHooks(withEndpoint: boolean): Scenario<Context> {
  const id = withEndpoint ? 'ours-request-hooks' : 'ours-request-hooks-off';
  const label = withEndpoint
    ? 'ours: the same (NODE_ENV=test), one webhook endpoint taking every event, a local receiver answering 204'
    : 'ours: request-link with the mail delivered (NODE_ENV=test), no webhook endpoint: the webhooks baseline';
  const mail = (ctx: Context) =>
    mailMonitor({
      databaseUrl: ctx.ours.url,
      sinkHttpPort: ctx.sink.httpPort,
      sinkCpuMs: () => cpuTimeMs(ctx.sink.child.pid),
      waitSeconds: ctx.mailWaitSeconds,
    });
  const scenario = ours(id, label, {
    ...requestOursBase(),
    async prepare(ctx) {
      if (!withEndpoint) return;
      await fetch(`http://127.0.0.1:${ctx.receiver.port}/`, { method: 'DELETE' }); // what an earlier pair's run delivered
      await addWebhookEndpoint(ctx.ours.url, ctx.tokenSecret, 'bench', `http://127.0.0.1:${ctx.receiver.port}/hooks`);
    },
    monitor: (ctx) =>
      withEndpoint
        ? webhookMonitor({ databaseUrl: ctx.ours.url, receiverPort: ctx.receiver.port, waitSeconds: ctx.hooksWaitSeconds, mail: mail(ctx) })
        : mail(ctx),
    async cleanup(ctx) {
      await client(ctx.ours.url).unsafe('delete from webhook_endpoints'); // its deliveries go with it
      // What this load left to autovacuum and the checkpointer is done now, not during the next run.
      // (Not before a run: on a freshly seeded database, ANALYZE of still-empty tables leads the
      // planner astray once they fill during the load.)
      await client(ctx.ours.url).unsafe('vacuum (analyze)');
      await client(ctx.ours.url).unsafe('checkpoint');
    },
  });
  return { ...scenario, env: (ctx, port) => ({ ...oursEnv(ctx, port), NODE_ENV: 'test' }) };
}

function consumeOursLink(): Scenario<Context> {
  const headers = {
    ...OUR_HOST,
    Origin: 'http://localhost',
    Cookie: '__Host-visitor_check=1',
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  return ours('ours-consume-link', "ours: POST /_edge/visitor/access/t/{token} (the link page's button) → 303 + session cookie", {
    guessRps: 6000,
    async sample(ctx, base) {
      const file = tokenFile(ctx, 'sample');
      await mintLinks(ctx.ours.url, ctx.tokenSecret, 'bench', 1, file);
      const token = (await Bun.file(file).text()).trim();
      const response = await fetch(`${base}/_edge/visitor/access/t/${token}`, { method: 'POST', headers, body: '', redirect: 'manual' });
      expectStatus(response, 303, 'link confirm', await response.text());
      if (!response.headers.getSetCookie().some((c) => c.startsWith('__Host-visitor_session=vs_')))
        throw new BenchError('link confirm set no session cookie');
    },
    async load(ctx, _phase, expected) {
      const file = tokenFile(ctx, 'ours-links');
      await mintLinks(ctx.ours.url, ctx.tokenSecret, 'bench', expected, file);
      return {
        path: '/_edge/visitor/access/t/x',
        headers,
        dynamic: { method: 'POST', path: '/_edge/visitor/access/t/{v}', body: '', source: `once:${file}` },
      };
    },
    work: { label: 'session', count: (ctx) => countRows(ctx.ours.url, 'sessions') },
  });
}

function consumeOursApi(): Scenario<Context> {
  const headers = { ...OUR_HOST, 'Content-Type': 'application/json' };
  return ours('ours-consume-api', 'ours: POST /v2/visitor/auth/verify {token, delivery: "bearer"} (limits on) → 200 + vs_ token', {
    guessRps: 6000,
    async sample(ctx, base) {
      const file = tokenFile(ctx, 'sample');
      await mintLinks(ctx.ours.url, ctx.tokenSecret, 'bench', 1, file);
      const token = (await Bun.file(file).text()).trim();
      const response = await fetch(`${base}/v2/visitor/auth/verify`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ token, delivery: 'bearer' }),
      });
      const body = await response.text();
      expectStatus(response, 200, 'verify', body);
      if (!(JSON.parse(body) as { sessionToken?: string }).sessionToken?.startsWith('vs_'))
        throw new BenchError(`verify returned no vs_ token: ${body}`);
      if (!response.headers.get('ratelimit-policy')) throw new BenchError('verify answered without RateLimit-Policy: are the limits off?');
    },
    async load(ctx, _phase, expected) {
      const file = tokenFile(ctx, 'ours-api');
      await mintLinks(ctx.ours.url, ctx.tokenSecret, 'bench', expected, file);
      return {
        path: '/v2/visitor/auth/verify',
        headers,
        dynamic: { method: 'POST', path: '/v2/visitor/auth/verify', body: '{"token":"{v}","delivery":"bearer"}', source: `once:${file}` },
      };
    },
    work: { label: 'session', count: (ctx) => countRows(ctx.ours.url, 'sessions') },
  });
}

function sessionOurs(): Scenario<Context> {
  const headers = (ctx: Context) => ({ ...OUR_HOST, Cookie: `__Host-visitor_session=${ctx.seed.sessionToken}` });
  return ours('ours-session', 'ours: GET /v2/visitor/me (session cookie on the storefront host)', {
    async sample(ctx, base) {
      const response = await fetch(`${base}/v2/visitor/me`, { headers: headers(ctx) });
      const body = await response.text();
      expectStatus(response, 200, '/me', body);
      if ((JSON.parse(body) as { visitor?: { id?: string } }).visitor?.id !== ctx.seed.visitorId)
        throw new BenchError(`/me answered another visitor: ${body}`);
    },
    load: async (ctx) => ({ path: '/v2/visitor/me', headers: headers(ctx) }),
  });
}

function requestPeer(config: PeerConfig): Scenario<Context> {
  const headers = { 'Content-Type': 'application/json', ...FORWARDED };
  return peer(
    config,
    `peer-${config}-request`,
    `Better Auth (${config}): POST /api/auth/sign-in/magic-link → 200, link "sent" (captured)`,
    {
      async sample(_ctx, base) {
        const email = `sample-${run8()}@example.com`;
        const response = await fetch(`${base}/api/auth/sign-in/magic-link`, { method: 'POST', headers, body: JSON.stringify({ email }) });
        expectStatus(response, 200, 'sign-in/magic-link', await response.text());
        const mail = (await (await fetch(`${base}/_bench/mail?email=${encodeURIComponent(email)}`)).json()) as { token: string | null };
        if (!mail.token) throw new BenchError('the peer captured no magic link');
      },
      load: async (): Promise<Load> => ({
        path: '/api/auth/sign-in/magic-link',
        headers,
        dynamic: { method: 'POST', path: '/api/auth/sign-in/magic-link', body: '{"email":"{v}"}', source: `email:${run8()}` },
      }),
      work: { label: 'token stored', count: (ctx) => countRows(ctx.peers[config].database.url, 'verification') },
    },
  );
}

function consumePeer(config: PeerConfig): Scenario<Context> {
  return peer(config, `peer-${config}-consume`, `Better Auth (${config}): GET /api/auth/magic-link/verify?token= → 200 + session cookie`, {
    guessRps: 2500,
    async sample(ctx, base) {
      const file = tokenFile(ctx, 'sample');
      await mintPeerTokens(ctx, config, 1, file);
      const token = (await Bun.file(file).text()).trim();
      const response = await fetch(`${base}/api/auth/magic-link/verify?token=${token}`, { headers: FORWARDED, redirect: 'manual' });
      const body = await response.text();
      expectStatus(response, 200, 'magic-link/verify', body);
      if (!response.headers.getSetCookie().some((c) => c.startsWith('better-auth.session_token=')))
        throw new BenchError('verify set no session cookie');
    },
    async load(ctx, _phase, expected) {
      const file = tokenFile(ctx, `peer-${config}`);
      await mintPeerTokens(ctx, config, expected, file);
      return {
        path: '/api/auth/magic-link/verify',
        headers: FORWARDED,
        dynamic: { method: 'GET', path: '/api/auth/magic-link/verify?token={v}', source: `once:${file}` },
      };
    },
    // A bad token is answered with a 302 to the error URL, which wrk does not count as an error:
    // counting the sessions created catches it.
    work: { label: 'session', count: (ctx) => countRows(ctx.peers[config].database.url, 'session') },
  });
}

function sessionPeer(config: PeerConfig): Scenario<Context> {
  const headers = (ctx: Context) => ({ Cookie: ctx.peerCookies[config]!, ...FORWARDED });
  return peer(config, `peer-${config}-session`, `Better Auth (${config}): GET /api/auth/get-session (session cookie)`, {
    async prepare(ctx, base) {
      // Sign in once through the peer's own routes: request a link, read it from the capture, open it.
      const email = `session-${run8()}@example.com`;
      const requested = await fetch(`${base}/api/auth/sign-in/magic-link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...FORWARDED },
        body: JSON.stringify({ email }),
      });
      expectStatus(requested, 200, 'sign-in/magic-link', await requested.text());
      const { token } = (await (await fetch(`${base}/_bench/mail?email=${encodeURIComponent(email)}`)).json()) as { token: string };
      const verified = await fetch(`${base}/api/auth/magic-link/verify?token=${token}`, { headers: FORWARDED, redirect: 'manual' });
      expectStatus(verified, 200, 'magic-link/verify', await verified.text());
      const cookie = verified.headers.getSetCookie().find((c) => c.startsWith('better-auth.session_token='));
      if (!cookie) throw new BenchError('the peer set no session cookie');
      ctx.peerCookies[config] = cookie.split(';')[0]!;
    },
    async sample(ctx, base) {
      const response = await fetch(`${base}/api/auth/get-session`, { headers: headers(ctx) });
      const body = await response.text();
      expectStatus(response, 200, 'get-session', body);
      if (!(JSON.parse(body) as { session?: unknown } | null)?.session) throw new BenchError(`get-session returned no session: ${body}`);
    },
    load: async (ctx) => ({ path: '/api/auth/get-session', headers: headers(ctx) }),
  });
}

const SCENARIOS: Scenario<Context>[] = [
  requestOurs(),
  requestOursMail(),
  requestOursHooks(false),
  requestOursHooks(true),
  requestPeer('production'),
  requestPeer('defaults'),
  consumeOursLink(),
  consumeOursApi(),
  consumePeer('production'),
  consumePeer('defaults'),
  sessionOurs(),
  sessionPeer('production'),
  sessionPeer('defaults'),
];

/** Ours against the peer's production configuration (the target), and against its defaults (for the record). */
type Ratio = { label: string; ours: string; peer: string; target: number; p99: boolean };
const RATIOS: Ratio[] = [
  { label: 'request-link', ours: 'ours-request', peer: 'peer-production-request', target: 2, p99: true },
  { label: 'consume (link page)', ours: 'ours-consume-link', peer: 'peer-production-consume', target: 2, p99: true },
  { label: 'consume (API verify)', ours: 'ours-consume-api', peer: 'peer-production-consume', target: 2, p99: true },
  { label: 'session read', ours: 'ours-session', peer: 'peer-production-session', target: 2, p99: false },
  {
    label: 'request-link, our mail delivered meanwhile',
    ours: 'ours-request-mail',
    peer: 'peer-production-request',
    target: 0,
    p99: false,
  },
  { label: 'request-link vs defaults', ours: 'ours-request', peer: 'peer-defaults-request', target: 0, p99: false },
  { label: 'consume (link) vs defaults', ours: 'ours-consume-link', peer: 'peer-defaults-consume', target: 0, p99: false },
  { label: 'consume (API) vs defaults', ours: 'ours-consume-api', peer: 'peer-defaults-consume', target: 0, p99: false },
  { label: 'session read vs defaults', ours: 'ours-session', peer: 'peer-defaults-session', target: 0, p99: false },
];

// ---------------------------------------------------------------------------------------------
// Report

function ratios(results: Result[]): Verdict[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const out: Verdict[] = [];
  const cpuOf = (r: Result) => (r.serverCpuUsPerRequest ?? 0) + (r.pgCpuUsPerRequest ?? 0);
  for (const ratio of RATIOS) {
    const a = byId.get(ratio.ours);
    const b = byId.get(ratio.peer);
    if (!a || !b) continue;
    const value = a.rps / b.rps;
    const p99ok = a.p99Us <= b.p99Us;
    const clean = [a, b].every((r) => r.non2xx + r.socketErrors === 0 && (r.workPerRequest === null || r.workPerRequest >= 0.99));
    const pass = ratio.target === 0 ? null : value >= ratio.target && (!ratio.p99 || p99ok) && clean;
    const notes = [
      `p99 ${fmt.us(a.p99Us)} vs ${fmt.us(b.p99Us)}`,
      `by CPU µs/req (srv+pg) ${fmt.num(cpuOf(b), 0)} / ${fmt.num(cpuOf(a), 0)} = ${(cpuOf(b) / cpuOf(a)).toFixed(2)}×`,
    ];
    if (!clean) notes.push('errors in a run: not a clean number');
    const disturbed = [a, b].filter((r) => r.otherCpuPercent > NOISY);
    if (disturbed.length)
      notes.push(`unreliable: other processes took ${disturbed.map((r) => `${r.otherCpuPercent.toFixed(0)} % during ${r.id}`).join(', ')}`);
    out.push({
      label: `${ratio.label}: ours / Better Auth ${ratio.peer.includes('production') ? 'production' : 'defaults'}`,
      value: `${value.toFixed(2)}×`,
      target: ratio.target === 0 ? '(info)' : `≥ ${ratio.target}×${ratio.p99 ? ', p99 ≤ peer' : ''}`,
      pass,
      note: notes.join('; '),
    });
  }
  const mine = results.filter((r) => r.id.startsWith('ours-'));
  if (mine.length) {
    const worst = mine.reduce((a, b) => ((a.peakRssMiB ?? 0) >= (b.peakRssMiB ?? 0) ? a : b));
    const endWorst = Math.max(...mine.map((r) => r.rssMiB ?? 0));
    out.push({
      label: 'our RSS under load (peak VmHWM over the sign-in scenarios)',
      value: `${fmt.mib(worst.peakRssMiB)} MiB`,
      target: `≤ ${RSS_LIMIT_MIB} MiB`,
      pass: (worst.peakRssMiB ?? Infinity) <= RSS_LIMIT_MIB,
      note: `in ${worst.id}; VmRSS at the end of the loads at most ${endWorst.toFixed(1)} MiB`,
    });
  }
  return out;
}

function mailSection(result: Result): { verdicts: Verdict[] } {
  const mail = result.monitor as MailReport;
  const keepsUp = mail.deliveredPerSecondMeasured >= 0.99 * mail.queuedPerSecondMeasured;
  console.log('\nmail keeps up (ours-request-mail: the outbox worker sends to a local SMTP sink while the load runs)');
  console.log(
    `  accepted ${fmt.int(result.rps)} req/s (wrk) — queued ${fmt.int(mail.queuedPerSecondMeasured)}/s, delivered ${fmt.int(mail.deliveredPerSecondMeasured)}/s in the measured window`,
  );
  console.log(
    `  queued ${fmt.int(mail.queued)} in all, delivered ${fmt.int(mail.delivered)}, failed ${mail.failed}; backlog at the end of the load ${fmt.int(mail.backlogAtLoadEnd)}; ` +
      `drained ${mail.drainMs === null ? `NOT within ${fmt.int(envNumber('BENCH_MAIL_WAIT', 30, 1))} s` : `${(mail.drainMs / 1000).toFixed(2)} s after the load stopped`}`,
  );
  console.log(
    `  sink CPU ${fmt.num(mail.sinkCpuUsPerMail, 1)} µs/mail; last mail's link: ${mail.linkOk ? 'ok' : 'MISSING'} (${mail.linkExample ?? '-'})`,
  );
  console.log("  backlog curve (`select count(*) from mail_outbox where status <> 'sent'`, every 250 ms; one line per second here):");
  for (const line of backlogCurve(mail)) console.log(line);
  const verdicts: Verdict[] = [
    {
      label: 'mail: delivered/s vs queued/s during the load',
      value: `${fmt.int(mail.deliveredPerSecondMeasured)} / ${fmt.int(mail.queuedPerSecondMeasured)}`,
      target: '≥ 99 %',
      pass: keepsUp,
      note: `${((100 * mail.deliveredPerSecondMeasured) / Math.max(1, mail.queuedPerSecondMeasured)).toFixed(0)} %`,
    },
    {
      label: 'mail: backlog drained after the load stopped',
      value: mail.drainMs === null ? 'never' : `${(mail.drainMs / 1000).toFixed(2)} s`,
      target: '≤ 10 s',
      pass: mail.drainMs !== null && mail.drainMs <= 10_000 && mail.delivered >= mail.queued && mail.failed === 0 && mail.linkOk,
      note: `${fmt.int(mail.delivered)} of ${fmt.int(mail.queued)} delivered, ${mail.failed} failed`,
    },
  ];
  return { verdicts };
}

/** A webhooks pair: the run without an endpoint and the run with one, whichever came first. */
type HooksPair = { without: Result; withHooks: Result; endpointFirst: boolean };

/** Pairs the webhooks runs in the order they ran (each pair's two ids end in the same `#n`). */
function hooksPairs(results: Result[]): HooksPair[] {
  const pairs: HooksPair[] = [];
  for (const withHooks of results.filter((r) => r.id.startsWith('ours-request-hooks') && !r.id.startsWith('ours-request-hooks-off'))) {
    const without = results.find((r) => r.id === withHooks.id.replace('ours-request-hooks', 'ours-request-hooks-off'));
    if (without && withHooks.monitor)
      pairs.push({ without, withHooks, endpointFirst: results.indexOf(withHooks) < results.indexOf(without) });
  }
  return pairs;
}

function allDelivered(hooks: WebhookReport): boolean {
  return (
    hooks.events > 0 &&
    hooks.events === hooks.mailsSent &&
    hooks.delivered === hooks.events &&
    hooks.receiverDistinct === hooks.events &&
    hooks.dead === 0 &&
    hooks.drainMs !== null
  );
}

function webhooksSection(pairs: HooksPair[]): Verdict[] {
  console.log(
    `\nwebhooks (ours-request-hooks vs ours-request-hooks-off: one endpoint taking every event, a local receiver answering 204; ${pairs.length} pair(s), alternating which runs first)`,
  );
  const rows = pairs.map(({ without, withHooks, endpointFirst }, i) => {
    const hooks = withHooks.monitor as WebhookReport;
    const ratio = withHooks.rps / without.rps;
    const first = endpointFirst ? 'with the endpoint' : 'without';
    console.log(
      `  pair ${i + 1} (${first} first): request-link ${fmt.int(withHooks.rps)} req/s with the endpoint, ${fmt.int(without.rps)} without: ${(100 * ratio).toFixed(1)} %; ` +
        `p99 ${fmt.us(withHooks.p99Us)} vs ${fmt.us(without.p99Us)}; CPU µs/req (srv+pg) ${fmt.num((withHooks.serverCpuUsPerRequest ?? 0) + (withHooks.pgCpuUsPerRequest ?? 0), 0)} vs ${fmt.num((without.serverCpuUsPerRequest ?? 0) + (without.pgCpuUsPerRequest ?? 0), 0)}`,
    );
    console.log(
      `    mails sent since the endpoint was added ${fmt.int(hooks.mailsSent)}; events ${fmt.int(hooks.events)}: delivered ${fmt.int(hooks.delivered)}, dead ${hooks.dead}, pending ${hooks.pending}; ` +
        `undelivered at the end of the load ${fmt.int(hooks.backlogAtLoadEnd)}, all delivered ${hooks.drainMs === null ? `NOT within ${fmt.int(envNumber('BENCH_HOOKS_WAIT', 60, 1))} s` : `${(hooks.drainMs / 1000).toFixed(2)} s after the load stopped`}; ` +
        `the receiver got ${fmt.int(hooks.receiverRequests)} requests, ${fmt.int(hooks.receiverDistinct)} distinct webhook-ids`,
    );
    return { ratio, hooks, without, withHooks };
  });
  const sorted = [...rows].sort((a, b) => a.ratio - b.ratio);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!; // the lower middle of an even count
  const runs = rows.flatMap((r) => [r.without, r.withHooks]);
  const clean = runs.every((r) => r.non2xx + r.socketErrors === 0);
  const disturbed = runs.filter((r) => r.otherCpuPercent > NOISY);
  const notes = [
    `pairs ${rows.map((r) => `${(100 * r.ratio).toFixed(1)} %`).join(', ')}; the median's p99 ${fmt.us(median.withHooks.p99Us)} vs ${fmt.us(median.without.p99Us)}`,
  ];
  if (!clean) notes.push('errors in a run: not a clean number');
  if (disturbed.length)
    notes.push(`unreliable: other processes took ${disturbed.map((r) => `${r.otherCpuPercent.toFixed(0)} % during ${r.id}`).join(', ')}`);
  const total = (count: (hooks: WebhookReport) => number) => rows.reduce((n, r) => n + count(r.hooks), 0);
  const slowest = Math.max(...rows.map((r) => r.hooks.drainMs ?? Infinity));
  return [
    {
      label: 'webhooks: request-link req/s with an endpoint taking every event / without (median pair)',
      value: `${(100 * median.ratio).toFixed(1)} %`,
      target: '≥ 90 %',
      pass: median.ratio >= 0.9 && clean,
      note: notes.join('; '),
    },
    {
      label: 'webhooks: every event delivered once the load stopped (every pair)',
      value: `${fmt.int(total((h) => h.delivered))} / ${fmt.int(total((h) => h.events))}`,
      target: 'all, one per mail sent',
      pass: rows.every((r) => allDelivered(r.hooks)),
      note: `${fmt.int(total((h) => h.mailsSent))} mails sent; ${Number.isFinite(slowest) ? `each pair's drained within ${(slowest / 1000).toFixed(2)} s after its load` : 'not all drained'}; receiver: ${fmt.int(total((h) => h.receiverDistinct))} distinct webhook-ids in ${fmt.int(total((h) => h.receiverRequests))} requests`,
    },
  ];
}

function report(results: Result[], settings: Settings): Verdict[] {
  const rows = resultRows(results);
  console.log(`\n${table(rows)}\n`);
  for (const r of results) console.log(`  ${r.id.padEnd(26)} ${r.label}`);
  console.log(COLUMN_NOTES);
  const verdicts: Verdict[] = [];
  const mailRun = results.find((r) => r.id === 'ours-request-mail' && r.monitor);
  if (mailRun) verdicts.push(...mailSection(mailRun).verdicts);
  const pairs = hooksPairs(results);
  if (pairs.length) {
    const hooks = webhooksSection(pairs);
    printVerdicts(hooks);
    verdicts.push(...hooks);
  }
  const side = ratios(results);
  if (side.length) {
    console.log('\ntargets (req/s ratios, same run)');
    printVerdicts(side);
  }
  verdicts.push(...side);
  const bad = results.filter((r) => r.non2xx > 0 || r.socketErrors > 0 || (r.workPerRequest !== null && r.workPerRequest < 0.99));
  if (bad.length)
    console.log(`\nwarning: errors (or work not done) in ${bad.map((r) => r.id).join(', ')} — their req/s is not a clean number`);
  console.log(
    `\npinning: ${settings.pinning.pinned ? `yes — ${settings.pinning.why}; server affinity seen: ${[...new Set(results.map((r) => r.affinity))].join(', ')}; the SMTP sink shares wrk's CPU` : `no — ${settings.pinning.why}`}` +
      '\n         (PostgreSQL is not pinned: its backends run on whichever core is free, usually competing with one of ours)',
  );
  console.log(`\nmarkdown:\n\n${markdown(rows)}\n`);
  return verdicts;
}

// ---------------------------------------------------------------------------------------------

/**
 * The webhooks pair, when both of its runs are in, repeated `count` times in alternating order
 * (without the endpoint first, then with it first, …); the runs after the first pair get `#n`.
 */
function alternatingHooksPairs(scenarios: Scenario<Context>[], count: number): Scenario<Context>[] {
  const off = scenarios.find((s) => s.id === 'ours-request-hooks-off');
  const on = scenarios.find((s) => s.id === 'ours-request-hooks');
  if (!off || !on) return scenarios;
  const runs: Scenario<Context>[] = [];
  for (let n = 1; n <= count; n++) {
    const tag = n === 1 ? '' : `#${n}`;
    const pair = [
      { ...off, id: `${off.id}${tag}` },
      { ...on, id: `${on.id}${tag}` },
    ];
    runs.push(...(n % 2 === 1 ? pair : pair.reverse()));
  }
  const rest = scenarios.filter((s) => s !== off && s !== on);
  rest.splice(scenarios.indexOf(off), 0, ...runs);
  return rest;
}

async function main(): Promise<number> {
  if (!findTool('wrk')) {
    console.error(WRK_INSTALL_HINT);
    return 2;
  }
  const settings = settingsFromEnv();
  const sections = (process.env.BENCH_SECTIONS ?? 'sign-in,mail').split(',').map((s) => s.trim());
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let scenarios = SCENARIOS.filter((s) =>
    s.id === 'ours-request-mail'
      ? sections.includes('mail')
      : s.id.startsWith('ours-request-hooks')
        ? sections.includes('sign-in') || sections.includes('webhooks')
        : sections.includes('sign-in'),
  );
  if (only) {
    scenarios = SCENARIOS.filter((s) => only.includes(s.id));
    if (scenarios.length !== only.length)
      throw new BenchError(`BENCH_ONLY names unknown scenarios; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  }
  scenarios = alternatingHooksPairs(scenarios, envNumber('BENCH_HOOKS_PAIRS', 3, 1));
  const needsPeer = (config: PeerConfig) => scenarios.some((s) => s.id.startsWith(`peer-${config}-`));

  printHeader('sign-in');
  console.log(
    `load: wrk -t${settings.threads} -c${settings.connections}, ${settings.warmup} s warm-up + ${settings.seconds} s measured per scenario; ` +
      `pinning: ${settings.pinning.pinned ? settings.pinning.why : `off (${settings.pinning.why})`}`,
  );
  if (needsPeer('production') || needsPeer('defaults')) {
    process.stdout.write('installing bench/peers (bun install --frozen-lockfile) … ');
    await installPeers();
    const version = ((await Bun.file(`${PEERS}node_modules/better-auth/package.json`).json()) as { version: string }).version;
    const pg = ((await Bun.file(`${PEERS}node_modules/pg/package.json`).json()) as { version: string }).version;
    console.log(`better-auth ${version}, pg ${pg}`);
  }

  const databases: BenchDatabase[] = [];
  const tmp = mkdtempSync(`${tmpdir()}/va-bench-sign-in-`);
  const dataDir = `${tmp}/data`;
  let sink: Child | null = null;
  let receiver: Child | null = null;
  const cleanup = async () => {
    await stopLive();
    await sink?.stop();
    await receiver?.stop();
    for (const sql of clients.values()) await sql.end({ timeout: 2 });
    clients.clear();
    for (const db of databases) await db.drop().catch((error) => console.error(`could not drop ${db.name}: ${(error as Error).message}`));
    databases.length = 0;
    rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    console.error('\ninterrupted: stopping servers and dropping the bench databases');
    void cleanup().then(() => process.exit(130));
  });

  try {
    const create = async () => {
      const db = await newBenchDatabase();
      databases.push(db);
      return db;
    };
    const oursDb = await create();
    const tokenSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
    const seeded = await seed(oursDb.url, tokenSecret);
    await raiseLimits(oursDb.url, 'bench');
    console.log(
      `databases: ours ${oursDb.name} on PostgreSQL ${oursDb.serverVersion} (bench tenant quotas raised to ${fmt.int(RAISED_QUOTA)} per window)`,
    );

    const peers = {} as Context['peers'];
    for (const config of ['production', 'defaults'] as const) {
      if (!needsPeer(config)) continue;
      const database = await create();
      const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      peers[config] = { database, secret };
      await run(
        [bun, 'better-auth.ts', 'migrate'],
        { DATABASE_URL: database.url, BETTER_AUTH_SECRET: secret, PEER_CONFIG: config, NODE_ENV: 'production' },
        PEERS,
      );
      console.log(`           Better Auth (${config}) ${database.name}, migrated`);
    }

    const smtpPort = freePort();
    const httpPort = freePort();
    sink = start(
      pinned(settings.pinning.loadCpu, [bun, 'bench/servers/smtp-sink.ts']),
      { PATH: process.env.PATH ?? '', SMTP_PORT: String(smtpPort), HTTP_PORT: String(httpPort) },
      ROOT,
    );
    await waitForHttp(`http://127.0.0.1:${httpPort}/stats`, sink);
    const receiverPort = freePort();
    receiver = start(
      pinned(settings.pinning.loadCpu, [bun, 'bench/servers/webhook-receiver.ts']),
      { PATH: process.env.PATH ?? '', PORT: String(receiverPort) },
      ROOT,
    );
    await waitForHttp(`http://127.0.0.1:${receiverPort}/`, receiver);

    const ctx: Context = {
      ours: oursDb,
      seed: seeded,
      tokenSecret,
      dataDir,
      tmp,
      sink: { smtpPort, httpPort, child: sink },
      receiver: { port: receiverPort, child: receiver },
      peers,
      peerCookies: {},
      mailWaitSeconds: envNumber('BENCH_MAIL_WAIT', 30, 1),
      hooksWaitSeconds: envNumber('BENCH_HOOKS_WAIT', 60, 1),
    };
    const results: Result[] = [];
    for (const scenario of scenarios) results.push(await runWithRetries(scenario, ctx, settings, new Set([sink.pid, receiver.pid])));
    const verdicts = report(results, settings);
    if (process.env.BENCH_OUT) {
      const out = {
        date: new Date().toISOString(),
        bun: Bun.version,
        postgres: oursDb.serverVersion,
        settings,
        results: results.map(({ raw: _raw, ...r }) => r),
        verdicts,
      };
      writeFileSync(process.env.BENCH_OUT, `${JSON.stringify(out, null, 2)}\n`);
    }
    console.log(`load average at the end: ${loadAverage()}`);
    const misses = verdicts.filter((v) => v.pass === false).length;
    const judged = verdicts.filter((v) => v.pass !== null).length;
    console.log(
      misses ? `\n${misses} of ${judged} target(s) missed — this is a report; see docs/performance.md` : `\nall ${judged} targets met`,
    );
    return 0;
  } finally {
    await cleanup();
  }
}

if (import.meta.main) {
  try {
    process.exit(await main());
  } catch (error) {
    console.error(`\nbench failed: ${error instanceof BenchError ? error.message : ((error as Error)?.stack ?? String(error))}`);
    await stopLive();
    process.exit(1);
  }
}
