// kill -9 between "mail claimed" and "mail marked sent": after a restart the outbox resends once
// (same Message-ID), the audit trail says so, and no request accepted with 202 is lost.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SMTPServer } from 'smtp-server';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';
import { MailCapture } from './support/mail-capture.ts';
import { startService } from './support/service-process.ts';

let dataDir: string;
let database: TestDatabase | null = null;
let capture: MailCapture;
let stalling: SMTPServer;
let stalledPort = 0;
let stalledMessages = 0;
let stalledMessageId = '';

beforeAll(async () => {
  dataDir = mkdtempSync(`${tmpdir()}/va-crash-`);
  if (usingPostgres) database = await freshDatabase();
  capture = await new MailCapture().start();
  // An SMTP server that takes the whole message and never answers: the worker is stuck
  // after SMTP has the mail but before it can mark it sent.
  stalling = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onData(stream) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        stalledMessageId = /^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? '';
        stalledMessages++;
      });
    },
  });
  await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', () => resolve()));
  stalledPort = (stalling.server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  stalling.close();
  await capture.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a crash while sending mail', () => {
  it('keeps answering while SMTP stalls; after kill -9 and a restart resends at most once, with the same Message-ID, and the audit trail shows it', async () => {
    const env = (smtpUrl: string) => ({
      NODE_ENV: 'development',
      PUBLIC_URL: 'http://localhost',
      DATA_DIR: dataDir,
      SMTP_URL: smtpUrl,
      OUTBOX_LEASE_SECONDS: '2',
      ...(database ? { DATABASE_URL: database.url! } : {}),
    });
    const first = await startService(env(`smtp://127.0.0.1:${stalledPort}`));
    const response = await fetch(`${first.base}/v2/visitor/auth/magic-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'crash@example.com' }),
    });
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    const deadline = Date.now() + 10_000;
    while (stalledMessages === 0 && Date.now() < deadline) await Bun.sleep(20);
    expect(stalledMessages).toBe(1); // SMTP has the message; the worker waits for its answer
    // A stuck SMTP server never blocks the HTTP path: sign-in requests are still answered at once.
    const started = performance.now();
    const meanwhile = await fetch(`${first.base}/v2/visitor/auth/magic-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'meanwhile@example.com' }),
    });
    expect(meanwhile.status).toBe(202);
    expect(performance.now() - started).toBeLessThan(5000); // liveness, not speed: a blocked path would wait for the 30 s SMTP timeout
    first.process.kill('SIGKILL');
    await first.process.exited;

    const second = await startService(env(capture.url));
    try {
      const until = Date.now() + 15_000;
      while (capture.to('crash@example.com').length === 0 && Date.now() < until) await Bun.sleep(100);
      await Bun.sleep(2500); // past another lease: a second resend would show up now
      const mails = capture.to('crash@example.com');
      expect(mails).toHaveLength(1);
      expect(mails[0]!.link).toContain('/_edge/visitor/access/t/vml_');
      expect(stalledMessageId).toMatch(/^<.+@visitor-access>$/);
      expect(mails[0]!.messageId).toBe(stalledMessageId); // the recipient's mail system can tell it is the same message
      const { servicePat } = JSON.parse(readFileSync(`${dataDir}/dev-credentials.json`, 'utf8')) as { servicePat: string };
      const lookup = await fetch(`${second.base}/v2/operator/requests/${requestId}`, {
        headers: { authorization: `Bearer ${servicePat}` },
      });
      expect(lookup.status).toBe(200);
      const story = (await lookup.json()) as { mail: { status: string; attempts: number }[]; audit: { kind: string }[] };
      expect(story.mail[0]).toMatchObject({ status: 'sent', attempts: 2 });
      expect(story.audit.map((a) => a.kind)).toEqual(expect.arrayContaining(['sign_in_requested', 'mail_resent_after_crash', 'mail_sent']));
      expect(second.output()).toContain('mail resent after an interrupted attempt');
    } finally {
      await second.stop();
    }
  }, 60_000);
});
