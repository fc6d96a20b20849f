// GET /metrics, black-box: the exposition parses, counters move after real requests, only a holder
// of METRICS_TOKEN gets it on the main listener and never on a storefront's host, the METRICS_PORT
// listener of the real server process serves it, and no email or raw path ever becomes a label.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { upsertGrant } from '../src/access/grants.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { setOverride } from '../src/limits/policies.ts';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';
import { type CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';
import { MailCapture } from './support/mail-capture.ts';
import { startService } from './support/service-process.ts';
import { insertTestTenant } from './support/tenants.ts';

const TOKEN = 'metrics-token-0123456789abcdefghijklmnop';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start({ env: { METRICS_TOKEN: TOKEN } });
});
afterAll(() => h.close());

type Sample = { name: string; labels: Record<string, string>; value: number };

/**
 * A strict reader of the text exposition format 0.0.4: every line is a HELP, a TYPE or a sample of
 * a family declared by a TYPE line before it; label values are quoted and escaped; values are numbers.
 */
function parseExposition(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]!)) bad.push(line);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    // Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case; prom-client writes `Nan`).
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|nan|[+-]inf))$/i.exec(line);
    if (!sample) {
      bad.push(line);
      continue;
    }
    const [, name, labelText, value] = sample as unknown as [string, string, string | undefined, string];
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(family)) bad.push(`no TYPE: ${line}`);
    const labels: Record<string, string> = {};
    if (labelText) {
      const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (const m of labelText.matchAll(pair)) {
        labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = (m.index ?? 0) + m[0].length;
      }
      if (consumed !== labelText.length) bad.push(`labels: ${line}`);
    }
    samples.push({ name, labels, value: Number(value) });
  }
  expect(bad).toEqual([]);
  return samples;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const response = await h.fetch('/metrics', { host: SERVICE_HOST, headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toStartWith('text/plain');
  const text = await response.text();
  return { text, samples: parseExposition(text) };
}

/** The sum of a family's samples whose labels include `labels` (0 when none). */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function has(samples: Sample[], name: string, labels: Record<string, string> = {}): boolean {
  return samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function edge(uri: string, jar?: CookieJar) {
  const headers: Record<string, string> = { 'x-original-uri': uri };
  if (jar) headers.cookie = jar.header();
  return h.fetch('/_edge/visitor/access', { headers });
}

describe('GET /metrics exposition', () => {
  it('parses as Prometheus text, with process memory, event-loop lag and the pool gauges', async () => {
    const { samples } = await scrape();
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(has(samples, 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(has(samples, 'va_db_pool_in_use', { pool: 'main' })).toBe(true);
    expect(has(samples, 'va_db_pool_waiting')).toBe(true);
    for (const reason of ['granted', 'not_gated', 'not_signed_in', 'no_grant', 'unknown_host', 'bad_path', 'unavailable'])
      expect([reason, has(samples, 'va_edge_decisions_total', { reason })]).toEqual([reason, true]);
  });

  it('counts requests by route template and status after a real sign-in, with latency', async () => {
    const before = (await scrape()).samples;
    const route = { route: '/v2/visitor/auth/magic-link', method: 'POST', status: '202' };
    const { jar } = await h.signIn('metrics-sign-in@example.com');
    await h.fetch('/v2/visitor/me', { jar });
    const after = (await scrape()).samples;
    expect(sampleValue(after, 'va_http_requests_total', route) - sampleValue(before, 'va_http_requests_total', route)).toBe(1);
    expect(
      sampleValue(after, 'va_http_request_duration_seconds_count', route) -
        sampleValue(before, 'va_http_request_duration_seconds_count', route),
    ).toBe(1);
    const link = { route: '/_edge/visitor/access/t/:token', method: 'POST', status: '303' };
    expect(sampleValue(after, 'va_http_requests_total', link) - sampleValue(before, 'va_http_requests_total', link)).toBe(1);
    expect(sampleValue(after, 'va_http_requests_total', { route: '/v2/visitor/me', status: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('counts an idempotent replay (answered before routing) under its route, not as unmatched', async () => {
    const before = (await scrape()).samples;
    const send = () =>
      h.json(
        '/v2/visitor/auth/magic-link',
        { email: 'metrics-replay@example.com' },
        { headers: { 'idempotency-key': 'metrics-replay-1' } },
      );
    expect((await send()).status).toBe(202);
    const replay = await send();
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([202, 'true']);
    const after = (await scrape()).samples;
    const route = { route: '/v2/visitor/auth/magic-link', status: '202' };
    expect(sampleValue(after, 'va_http_requests_total', route) - sampleValue(before, 'va_http_requests_total', route)).toBe(2);
    const unmatched = { route: 'unmatched', status: '202' };
    expect(sampleValue(after, 'va_http_requests_total', unmatched)).toBe(sampleValue(before, 'va_http_requests_total', unmatched));
    await h.deliver();
  });

  it('counts a refused body (400 before the handler) under its route', async () => {
    const before = (await scrape()).samples;
    const response = await h.fetch('/v2/visitor/auth/magic-link', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(response.status).toBe(400);
    const after = (await scrape()).samples;
    const route = { route: '/v2/visitor/auth/magic-link', status: '400' };
    expect(sampleValue(after, 'va_http_requests_total', route) - sampleValue(before, 'va_http_requests_total', route)).toBe(1);
  });

  it('counts an outbox send, and reads the outbox state at most every 5 s', async () => {
    const before = (await scrape()).samples;
    const response = await h.json('/v2/visitor/auth/magic-link', { email: 'metrics-outbox@example.com' });
    expect(response.status).toBe(202);
    // Within the 5 s the state was read in: the cached numbers.
    expect(sampleValue((await scrape()).samples, 'va_mail_outbox_pending')).toBe(sampleValue(before, 'va_mail_outbox_pending'));
    h.clock.advance(5);
    const waiting = (await scrape()).samples;
    expect(sampleValue(waiting, 'va_mail_outbox_pending')).toBe(1);
    expect(sampleValue(waiting, 'va_mail_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(5);
    await h.deliver();
    h.clock.advance(5);
    const after = (await scrape()).samples;
    expect(sampleValue(after, 'va_mail_outbox_pending')).toBe(0);
    expect(sampleValue(after, 'va_mail_outbox_oldest_age_seconds')).toBe(0);
    expect(
      sampleValue(after, 'va_mail_sends_total', { outcome: 'sent' }) - sampleValue(before, 'va_mail_sends_total', { outcome: 'sent' }),
    ).toBe(1);
    expect(has(after, 'va_webhook_deliveries_pending')).toBe(true);
  });

  it('counts edge decisions by reason and the edge cache’s hits and misses', async () => {
    await upsertGrant(
      h.db,
      h.gharart.id,
      { email: 'metrics-edge@example.com', resource: '/content/course/*', kind: 'content', title: null, orderId: null, expiresAt: null },
      h.clock.now(),
    );
    const { jar } = await h.signIn('metrics-edge@example.com');
    const before = (await scrape()).samples;
    expect((await edge('/content/course/1', jar)).status).toBe(204); // a miss: looked up, then cached
    expect((await edge('/content/course/2', jar)).status).toBe(204); // a hit
    expect((await edge('/content/other/', jar)).status).toBe(403); // a hit, no grant
    expect((await edge('/content/course/1')).status).toBe(401);
    expect((await edge('/about')).status).toBe(204);
    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('va_edge_decisions_total', { reason: 'granted', status: '204' })).toBe(2);
    expect(delta('va_edge_decisions_total', { reason: 'no_grant', status: '403' })).toBe(1);
    expect(delta('va_edge_decisions_total', { reason: 'not_signed_in', status: '401' })).toBe(1);
    expect(delta('va_edge_decisions_total', { reason: 'not_gated', status: '204' })).toBe(1);
    expect(delta('va_edge_cache_lookups_total', { result: 'miss' })).toBe(1);
    expect(delta('va_edge_cache_lookups_total', { result: 'hit' })).toBe(2);
  });

  it('counts a rate-limit refusal by policy', async () => {
    const limited = await insertTestTenant(h.db, 'limited');
    await setOverride(h.db, limited.id, 'magic-link:per-tenant', 1);
    const before = (await scrape()).samples;
    const ask = (email: string) => h.json('/v2/visitor/auth/magic-link', { email }, { host: 'limited.test', ip: '198.51.100.7' });
    expect((await ask('metrics-limit-1@example.com')).status).toBe(202);
    expect((await ask('metrics-limit-2@example.com')).status).toBe(429);
    const after = (await scrape()).samples;
    const policy = { policy: 'magic-link:per-tenant' };
    expect(sampleValue(after, 'va_rate_limit_refusals_total', policy) - sampleValue(before, 'va_rate_limit_refusals_total', policy)).toBe(
      1,
    );
    const status = { route: '/v2/visitor/auth/magic-link', status: '429' };
    expect(sampleValue(after, 'va_http_requests_total', status) - sampleValue(before, 'va_http_requests_total', status)).toBe(1);
    await h.deliver();
  });

  it('counts database work in flight as pool use, and what exceeds the pool size as waiting', async () => {
    await scrape(); // the queue state is read now: within 5 s a scrape runs no statement of its own
    const size = h.deps.db.poolSize!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // One transaction more than the pool has connections: the last waits for one.
    const held = Array.from({ length: size + 1 }, () => h.deps.db.transaction(() => gate));
    try {
      const during = parseExposition(await h.deps.metrics.exposition());
      expect(sampleValue(during, 'va_db_pool_size', { pool: 'main' })).toBe(size);
      expect(sampleValue(during, 'va_db_pool_in_use', { pool: 'main' })).toBe(size);
      expect(sampleValue(during, 'va_db_pool_waiting', { pool: 'main' })).toBe(1);
    } finally {
      release();
      await Promise.all(held);
    }
    const after = parseExposition(await h.deps.metrics.exposition());
    expect(sampleValue(after, 'va_db_pool_waiting', { pool: 'main' })).toBe(0);
  });

  it('labels no email and no raw path: unmatched paths are "unmatched", matched ones their template', async () => {
    await h.fetch('/v2/visitor/sessions/leak-1%40example.com', { method: 'DELETE', headers: { origin: 'http://localhost' } });
    await h.fetch('/nowhere/leak-2@example.com?email=leak-3@example.com', { host: SERVICE_HOST });
    await h.fetch('/_edge/visitor/sign-in?returnTo=%2Fcontent%2Fleak-4%40example.com');
    await h.json('/v2/visitor/auth/magic-link', { email: 'leak-5@example.com', returnTo: '/content/leak-6' });
    await h.fetch('/v2/visitor/me', { method: 'PROPFIND' as string });
    await h.deliver();
    const { text, samples } = await scrape();
    expect(text).not.toContain('@');
    expect(text).not.toContain('leak');
    expect(text).not.toContain('nowhere');
    expect(has(samples, 'va_http_requests_total', { route: 'unmatched', status: '404' })).toBe(true);
    expect(has(samples, 'va_http_requests_total', { route: '/v2/visitor/sessions/:id', method: 'DELETE' })).toBe(true);
    // Methods are a fixed set: anything else is `other`.
    expect(samples.filter((s) => s.name === 'va_http_requests_total').map((s) => s.labels.method)).not.toContain('PROPFIND');
  });
});

describe('who may read GET /metrics', () => {
  it('refuses a request without the token, or with a wrong one (401 unauthorized)', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, 'Bearer ']) {
      const response = await h.fetch('/metrics', { host: SERVICE_HOST, headers: authorization ? { authorization } : {} });
      expect([authorization, response.status]).toEqual([authorization, 401]);
      const body = (await response.json()) as { code: string; requestId: string };
      expect(body.code).toBe('unauthorized');
      expect(body.requestId).toStartWith('req_');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    }
  });

  it('answers 404 on a storefront’s edge host, even with the token', async () => {
    for (const host of ['localhost', 'other.test']) {
      const response = await h.fetch('/metrics', { host, headers: { authorization: `Bearer ${TOKEN}` } });
      expect([host, response.status]).toEqual([host, 404]);
      expect(((await response.json()) as { code: string }).code).toBe('not_found');
    }
  });

  it('answers 404 on the main listener when METRICS_TOKEN is unset', async () => {
    const plain = await Harness.start();
    try {
      const response = await plain.fetch('/metrics', { host: SERVICE_HOST, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('METRICS_PORT and METRICS_TOKEN', () => {
  it('are off by default, and a bad value stops start-up naming the variable', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: null, metricsToken: null });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_TOKEN: TOKEN })).toMatchObject({ metricsPort: 9464, metricsToken: TOKEN });
    for (const [env, name] of [
      [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
      [{ METRICS_PORT: 'nine' }, 'METRICS_PORT'],
      [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
      [{ PORT: '3000', METRICS_PORT: '3000' }, 'METRICS_PORT'],
    ] as const) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    }
  });
});

describe('the METRICS_PORT listener (the real server process)', () => {
  let mail: MailCapture;
  let dataDir: string;
  let database: TestDatabase | null = null;

  beforeAll(async () => {
    mail = await new MailCapture().start();
    dataDir = mkdtempSync(`${tmpdir()}/va-metrics-`);
    if (usingPostgres) database = await freshDatabase();
  });
  afterAll(async () => {
    await mail.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Start-up on a busy shared machine can take tens of seconds.
  it('serves GET /metrics without a token on its own port, and nothing else there; the main port still wants the token', {
    timeout: 90_000,
  }, async () => {
    const service = await startService(
      {
        NODE_ENV: 'development',
        PUBLIC_URL: 'http://localhost',
        DATA_DIR: dataDir,
        SMTP_URL: mail.url,
        METRICS_PORT: '0',
        ...(database?.url ? { DATABASE_URL: database.url } : {}),
      },
      60_000,
    );
    try {
      const url = /"msg":"metrics listening","url":"(http:\/\/localhost:\d+\/metrics)"/.exec(service.output())?.[1];
      expect(url).toBeDefined();
      // Traffic on the main port shows on the metrics port.
      expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
      const response = await fetch(url!);
      expect(response.status).toBe(200);
      const samples = parseExposition(await response.text());
      expect(sampleValue(samples, 'va_http_requests_total', { route: '/healthz', status: '200' })).toBe(1);
      expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
      expect(has(samples, 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
      expect(sampleValue(samples, 'va_db_pool_size', { pool: 'main' })).toBe(usingPostgres ? 10 : 1);
      expect(has(samples, 'va_db_pool_waiting', { pool: 'main' })).toBe(true);
      expect((await fetch(url!.replace('/metrics', '/healthz'))).status).toBe(404);
      // No METRICS_TOKEN: the main listener does not serve it (and this host is the demo storefront's).
      expect((await fetch(`${service.base}/metrics`)).status).toBe(404);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
