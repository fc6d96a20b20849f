// Two service instances on one real PostgreSQL share limits and idempotency (PostgreSQL only: one
// process may hold an embedded PGlite, so this is skipped, visibly, on the PGlite pass).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setOverride } from '../src/limits/policies.ts';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';
import { MailCapture } from './support/mail-capture.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';
import { insertTestTenant } from './support/tenants.ts';

let database: TestDatabase;
let mail: MailCapture;
let dataDir: string;
const instances: ServiceProcess[] = [];

beforeAll(async () => {
  if (!usingPostgres) return;
  mail = await new MailCapture().start();
  dataDir = mkdtempSync(`${tmpdir()}/va-multi-`);
  database = await freshDatabase();
  const tenant = await insertTestTenant(database.db, 'gharart');
  await setOverride(database.db, tenant.id, 'magic-link:per-tenant', 12);
  // A second storefront, reached by handle on the service's own host, for the idempotency test.
  await insertTestTenant(database.db, 'second');
  const env = {
    NODE_ENV: 'production',
    PUBLIC_URL: 'http://localhost', // required in production (where console links point)
    TOKEN_SECRET: 'multi-instance-secret-0123456789abcdefghijkl',
    DATABASE_URL: database.url!,
    SMTP_URL: mail.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info', // startService waits for the info-level "listening" line
    // The test client is the "CDN": let it say which client IP each request comes from.
    TRUSTED_PROXIES: '127.0.0.0/8,::1',
    // The limit test's burst sends 100 requests at once to each instance: above the default sign-in
    // admission bound (80), which would refuse some with 503 before the limits answer.
    SIGN_IN_MAX_IN_FLIGHT: '200',
  };
  instances.push(await startService(env), await startService(env));
}, 60_000);

afterAll(async () => {
  if (!usingPostgres) return;
  await Promise.all(instances.map((i) => i.stop()));
  await mail.close();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function requestLink(instance: ServiceProcess, email: string, headers: Record<string, string> = {}, handle?: string) {
  // By handle on the service's own host (127.0.0.1), else on the storefront host (localhost).
  const base = handle ? `http://127.0.0.1:${instance.port}` : instance.base;
  return fetch(`${base}/v2/visitor/auth/magic-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, handle }),
  });
}

describe('two instances on one PostgreSQL', () => {
  it.skipIf(!usingPostgres)(
    'share the per-tenant limit: a burst of 200 across both lets exactly the quota through',
    async () => {
      // Wait for the start of a fresh minute window if the burst could straddle two.
      const intoMinute = (Date.now() / 1000) % 60;
      if (intoMinute > 50) await Bun.sleep((61 - intoMinute) * 1000);
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          requestLink(instances[i % 2]!, `multi${i}@example.com`, { 'x-forwarded-for': `192.0.2.${(i % 250) + 1}` }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(12);
      expect(statuses.filter((s) => s === 429)).toHaveLength(188);
    },
    90_000,
  );

  it.skipIf(!usingPostgres)(
    'share the per-email limit: a burst of 24 to one address across both, batched per instance, sends exactly its 5 mails',
    async () => {
      // In the last 10 s of a 15-minute per-email window, wait for the next one.
      const intoWindow = (Date.now() / 1000) % 900;
      if (intoWindow > 890) await Bun.sleep((901 - intoWindow) * 1000);
      const responses = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          requestLink(instances[i % 2]!, 'flood-multi@example.com', { 'x-forwarded-for': `198.18.0.${i + 1}` }, 'second'),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 202));
      const deadline = Date.now() + 10_000;
      while (mail.to('flood-multi@example.com').length < 5 && Date.now() < deadline) await Bun.sleep(50);
      await Bun.sleep(1500); // both workers poll every second: give a sixth mail the chance to appear
      expect(mail.to('flood-multi@example.com')).toHaveLength(5);
    },
    30_000,
  );

  it.skipIf(!usingPostgres)(
    'share idempotency records: a retry on the other instance is a replay and sends no second mail',
    async () => {
      const headers = { 'idempotency-key': 'multi-key-1', 'x-forwarded-for': '192.0.2.200' };
      const first = await requestLink(instances[0]!, 'idem-multi@example.com', headers, 'second');
      expect(first.status).toBe(202);
      const body = await first.text();
      const second = await requestLink(instances[1]!, 'idem-multi@example.com', headers, 'second');
      expect(second.status).toBe(202);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await second.text()).toBe(body);
      const deadline = Date.now() + 10_000;
      while (mail.to('idem-multi@example.com').length === 0 && Date.now() < deadline) await Bun.sleep(50);
      await Bun.sleep(1500); // both workers poll every second: give a second mail the chance to appear
      expect(mail.to('idem-multi@example.com')).toHaveLength(1);
    },
    30_000,
  );
});
