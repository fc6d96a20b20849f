// The real entry point holds a pending sign-in's poll for as long as PENDING_HOLD_SECONDS says,
// past Bun's 10 s idle timeout (which would otherwise cut the quiet connection): a real process,
// a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';
import { MailCapture } from './support/mail-capture.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';

const HOLD_SECONDS = 12;
let mail: MailCapture;
let dataDir: string;
let database: TestDatabase | null = null;
let service: ServiceProcess;

beforeAll(async () => {
  mail = await new MailCapture().start();
  dataDir = mkdtempSync(`${tmpdir()}/va-pending-hold-`);
  if (usingPostgres) database = await freshDatabase();
  service = await startService(
    {
      NODE_ENV: 'development',
      PUBLIC_URL: 'http://localhost',
      DATA_DIR: dataDir,
      SMTP_URL: mail.url,
      PENDING_HOLD_SECONDS: String(HOLD_SECONDS),
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    },
    60_000,
  );
}, 90_000);
afterAll(async () => {
  await service?.stop();
  await mail.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a held poll on the real server', () => {
  it('answers 200 waiting after the whole hold, longer than Bun’s idle timeout', async () => {
    const asked = await fetch(`${service.base}/v2/visitor/auth/magic-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'held@example.com' }),
    });
    expect(asked.status).toBe(202);
    const cookie = asked.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .find((pair) => pair.startsWith('__Host-visitor_pending='))!;
    const began = Date.now();
    const held = await fetch(`${service.base}/v2/visitor/auth/pending`, { headers: { cookie } });
    expect([held.status, await held.json()]).toEqual([200, { status: 'waiting' }]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000 - 100);
  }, 40_000);

  it('answers a held poll at once when the service stops (SIGTERM), so the graceful stop need not wait out the hold', async () => {
    const asked = await fetch(`${service.base}/v2/visitor/auth/magic-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'stopping@example.com' }),
    });
    const cookie = asked.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .find((pair) => pair.startsWith('__Host-visitor_pending='))!;
    const began = Date.now();
    const held = fetch(`${service.base}/v2/visitor/auth/pending`, { headers: { cookie } });
    await Bun.sleep(1000);
    const exited = service.stop();
    const answer = await held;
    expect([answer.status, await answer.json()]).toEqual([200, { status: 'waiting' }]);
    expect(await exited).toBe(0);
    expect(Date.now() - began).toBeLessThan(HOLD_SECONDS * 1000 - 2000);
  }, 40_000);
});
