import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { sql } from '../src/db/sql.ts';
import { createLogger } from '../src/log.ts';
import { magicLinkMail } from '../src/mail/magic-link-mail.ts';
import { mailKinds } from '../src/magic-link/mail-kind.ts';
import { composeMime } from '../src/mail/mime.ts';
import { backoffSeconds, MailOutbox, type OutboxOptions } from '../src/mail/outbox.ts';
import {
  createSmtpTransport,
  MailSendError,
  SMTP_DEFAULTS,
  smtpOptions,
  type MailTransport,
  type OutgoingMail,
} from '../src/mail/transport.ts';
import { countingDb } from './support/database.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

async function outboxRow(email: string) {
  return h.db.one<{ status: string; attempts: number; last_error: string | null; payload: string | null; next_attempt_at: Date }>(sql`
    select status, attempts, last_error, payload, next_attempt_at from mail_outbox where to_address = ${email}`);
}

describe('mail outbox', () => {
  it('retries a temporary SMTP failure with backoff and sends exactly one mail', async () => {
    h.mail.failNext(2, 451);
    await h.json('/v2/visitor/auth/magic-link', { email: 'retry@example.com' });
    await h.deliver();
    expect(h.mail.to('retry@example.com')).toHaveLength(0);
    let row = await outboxRow('retry@example.com');
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row!.last_error).toContain('451');
    // Not due yet: nothing happens.
    await h.deliver();
    expect((await outboxRow('retry@example.com'))!.attempts).toBe(1);
    h.clock.advance(backoffSeconds(1));
    await h.deliver();
    expect((await outboxRow('retry@example.com'))!.attempts).toBe(2);
    h.clock.advance(backoffSeconds(2));
    await h.deliver();
    await h.deliver();
    expect(h.mail.to('retry@example.com')).toHaveLength(1);
    row = await outboxRow('retry@example.com');
    expect(row).toMatchObject({ status: 'sent', attempts: 3, payload: null, last_error: null });
    // The link works: its validity started when SMTP finally accepted it.
    const path = Harness.pathOf(h.mail.last('retry@example.com').link!);
    expect((await h.fetch(path)).status).toBe(200);
  });

  it('gives up on a permanent (5xx) failure and records it, sending nothing', async () => {
    h.mail.failNext(1, 550);
    await h.json('/v2/visitor/auth/magic-link', { email: 'bounce@example.com' });
    await h.deliver();
    h.clock.advance(3600);
    await h.deliver();
    expect(h.mail.to('bounce@example.com')).toHaveLength(0);
    const row = await outboxRow('bounce@example.com');
    expect(row).toMatchObject({ status: 'failed', attempts: 1, payload: null });
    expect(row!.last_error).toContain('550');
  });

  it('keeps retrying while the SMTP server refuses connections, then delivers once it is back', async () => {
    await h.boot({ SMTP_URL: 'smtp://127.0.0.1:1' }); // nothing listens there: connection refused
    await h.json('/v2/visitor/auth/magic-link', { email: 'down@example.com' });
    await h.deliver();
    const row = await outboxRow('down@example.com');
    expect(row!.status).toBe('pending');
    expect(row!.last_error).toMatch(/ESOCKET|ECONNECTION|ECONNREFUSED/);
    await h.boot({});
    h.clock.advance(backoffSeconds(1));
    await h.deliver();
    expect(h.mail.to('down@example.com')).toHaveLength(1);
    expect((await outboxRow('down@example.com'))!.status).toBe('sent');
  });

  it('resends a mail whose worker died after claiming it, once the lease ran out, with the same Message-ID', async () => {
    await h.json('/v2/visitor/auth/magic-link', { email: 'crash@example.com' });
    // Simulate a worker that claimed the row and died before sending.
    await h.db.many(sql`
      update mail_outbox set status = 'sending', attempts = 1, next_attempt_at = ${new Date(h.clock.now().getTime() + 60_000)}
      where to_address = ${'crash@example.com'}`);
    await h.deliver();
    expect(h.mail.to('crash@example.com')).toHaveLength(0);
    h.clock.advance(61);
    await h.deliver();
    const mails = h.mail.to('crash@example.com');
    expect(mails).toHaveLength(1);
    const row = await h.db.one<{ message_id: string }>(sql`select message_id from mail_outbox where to_address = ${'crash@example.com'}`);
    expect(mails[0]!.messageId).toBe(row!.message_id);
    expect(h.logs.some((line) => line.includes('mail resent after an interrupted attempt'))).toBe(true);
  });

  it('retries SMTP 4xx answers (421, 450, 451, 452) and 503, and fails other 5xx answers for good', async () => {
    for (const code of [421, 450, 451, 452, 503]) {
      const email = `temporary-${code}@example.com`;
      h.mail.failNext(1, code);
      await h.json('/v2/visitor/auth/magic-link', { email }, { ip: `10.8.1.${code % 256}` });
      await h.deliver();
      // 421 closes the connection: the pool sends once more on a new one at once; the others wait for their retry.
      const first = await outboxRow(email);
      expect(first!.status).not.toBe('failed');
      h.clock.advance(backoffSeconds(1));
      await h.deliver();
      expect(h.mail.to(email)).toHaveLength(1);
      expect(await outboxRow(email)).toMatchObject({ status: 'sent', payload: null, last_error: null });
    }
    for (const code of [550, 552, 553, 554]) {
      const email = `permanent-${code}@example.com`;
      h.mail.failNext(1, code);
      await h.json('/v2/visitor/auth/magic-link', { email }, { ip: `10.8.2.${code % 256}` });
      await h.deliver();
      h.clock.advance(3600);
      await h.deliver();
      expect(h.mail.to(email)).toHaveLength(0);
      const row = await outboxRow(email);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, payload: null });
      expect(row!.last_error).toContain(String(code));
    }
  });

  it('lets two workers share the queue without sending anything twice', async () => {
    for (let i = 0; i < 30; i++) await h.json('/v2/visitor/auth/magic-link', { email: `bulk${i}@example.com` });
    await Promise.all([h.deliver(), h.deliver(), h.deliver()]);
    await h.deliver();
    for (let i = 0; i < 30; i++) expect(h.mail.to(`bulk${i}@example.com`)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The streaming worker and per-group recording

let ipCounter = 0;
/** Queues sign-in mails (one per address) without delivering them; distinct IPs keep the per-IP limit out of the way. */
async function queue(emails: string[]): Promise<void> {
  for (const email of emails) {
    const n = ++ipCounter;
    const response = await h.json('/v2/visitor/auth/magic-link', { email }, { ip: `10.9.${n >> 8}.${n & 255}` });
    expect(response.status).toBe(202);
  }
}

async function rowsFor(prefix: string) {
  return h.db.many<{
    id: string;
    to_address: string;
    status: string;
    attempts: number;
    payload: string | null;
    message_id: string;
    sent_at: Date | null;
    link_sent_at: Date | null;
    link_expires_at: Date | null;
  }>(sql`
    select o.id, o.to_address, o.status, o.attempts, o.payload, o.message_id, o.sent_at, l.sent_at as link_sent_at, l.expires_at as link_expires_at
    from mail_outbox o join magic_links l on l.id = o.magic_link_id
    where o.to_address like ${`${prefix}%`} order by o.to_address`);
}

async function auditFor(outboxIds: string[]) {
  return h.db.many<{
    kind: string;
    actor: string;
    visitor_id: string | null;
    request_id: string | null;
    detail: Record<string, unknown>;
    created_at: Date;
  }>(sql`
    select kind, actor, visitor_id, request_id, detail, created_at from audit_events
    where kind like 'mail%' and detail->>'outboxId' = any(${outboxIds}::text[])`);
}

/** A transport whose sends wait until released: shows what the worker has in flight. */
class GatedTransport implements MailTransport {
  readonly sent: OutgoingMail[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private waiters: (() => void)[] = [];
  open = false;
  async send(mail: OutgoingMail): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (!this.open) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight--;
    this.sent.push(mail);
  }
  /** Lets every waiting send finish, all in the same turn; `keepOpen`: later sends do not wait. */
  release(keepOpen = false): void {
    this.open = keepOpen;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
  close(): void {}
}

function outboxWith(transport: MailTransport, options: Partial<OutboxOptions> = {}): MailOutbox {
  return new MailOutbox({
    db: h.db,
    keys: h.deps.keys,
    clock: h.clock,
    transport,
    logger: createLogger('error', () => {}),
    defaultFrom: h.deps.config.mailFrom,
    kinds: mailKinds(h.deps.config.magicLinkTtlSeconds),
    ...options,
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

describe('mail outbox: per-group recording and streaming', () => {
  it('marks a group of sent mails, starts their links and writes their audit rows in one statement', async () => {
    const emails = Array.from({ length: 10 }, (_, i) => `group-${String(i).padStart(2, '0')}@example.com`);
    await queue(emails);
    const transport = new GatedTransport();
    const counter = { queries: 0 };
    const outbox = outboxWith(transport, { db: countingDb(h.db, counter), batchSize: 50 });
    const tick = outbox.tick();
    await until(() => transport.inFlight === 10, '10 sends in flight');
    expect(counter.queries).toBe(1); // the claim
    transport.release();
    expect(await tick).toBe(10);
    expect(counter.queries).toBe(2); // + one statement for all ten outcomes
    const rows = await rowsFor('group-');
    expect(rows).toHaveLength(10);
    const ttl = h.deps.config.magicLinkTtlSeconds;
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'sent', attempts: 1, payload: null });
      // The link's validity starts when the mail is accepted.
      expect(row.link_sent_at!.getTime()).toBe(row.sent_at!.getTime());
      expect(row.link_expires_at!.getTime()).toBe(row.sent_at!.getTime() + ttl * 1000);
    }
    const audit = await auditFor(rows.map((r) => r.id));
    expect(audit).toHaveLength(10);
    for (const row of rows) {
      const event = audit.find((a) => a.detail.outboxId === row.id)!;
      expect(event).toMatchObject({
        kind: 'mail_sent',
        actor: 'system',
        detail: { outboxId: row.id, attempt: 1, messageId: row.message_id },
      });
      expect(event.visitor_id).toBeTruthy();
      expect(event.request_id).toBeTruthy();
      expect(event.created_at.getTime()).toBe(row.sent_at!.getTime());
    }
    // The mails carry working links.
    expect(transport.sent.map((m) => m.to).sort()).toEqual(emails);
  });

  it('records a group of retries and failures in one statement, with their audit rows', async () => {
    const emails = Array.from({ length: 10 }, (_, i) => `refused-${String(i).padStart(2, '0')}@example.com`);
    await queue(emails);
    // Even addresses: a temporary refusal (4xx); odd ones: a permanent one (5xx).
    const transport: MailTransport = {
      async send(mail) {
        const n = Number(/refused-(\d+)@/.exec(mail.to)![1]);
        throw new MailSendError(n % 2 ? 'EENVELOPE 550' : 'EENVELOPE 451', n % 2 === 1);
      },
      close() {},
    };
    const counter = { queries: 0 };
    const outbox = outboxWith(transport, { db: countingDb(h.db, counter), batchSize: 50 });
    expect(await outbox.tick()).toBe(10);
    expect(counter.queries).toBe(2); // the claim, and one statement for all ten outcomes
    const rows = await h.db.many<{
      id: string;
      to_address: string;
      status: string;
      payload: string | null;
      last_error: string;
      next_attempt_at: Date;
      failed_at: Date | null;
    }>(sql`
      select id, to_address, status, payload, last_error, next_attempt_at, failed_at from mail_outbox
      where to_address like 'refused-%' order by to_address`);
    const now = h.clock.now().getTime();
    rows.forEach((row, i) => {
      if (i % 2) {
        expect(row).toMatchObject({ status: 'failed', payload: null, last_error: 'EENVELOPE 550' });
        expect(row.failed_at!.getTime()).toBe(now);
      } else {
        expect(row).toMatchObject({ status: 'pending', last_error: 'EENVELOPE 451', failed_at: null });
        expect(row.payload).not.toBeNull(); // kept for the retry
        expect(row.next_attempt_at.getTime()).toBe(now + backoffSeconds(1) * 1000);
      }
    });
    const audit = await auditFor(rows.map((r) => r.id));
    expect(audit).toHaveLength(10);
    for (const [i, row] of rows.entries()) {
      const event = audit.find((a) => a.detail.outboxId === row.id)!;
      expect(event).toMatchObject({
        kind: i % 2 ? 'mail_failed' : 'mail_retry_scheduled',
        actor: 'system',
        detail: { attempt: 1, reason: row.last_error },
      });
      expect(event.visitor_id).toBeTruthy();
      expect(event.request_id).toBeTruthy();
      if (!(i % 2)) expect(event.detail.retryAt).toBe(row.next_attempt_at.toISOString());
    }
    // The retries go out once due, through the real transport.
    h.clock.advance(backoffSeconds(1));
    await h.deliver();
    for (const [i, email] of emails.entries()) expect(h.mail.to(email)).toHaveLength(i % 2 ? 0 : 1);
  });

  it('in one batch, marks the accepted mails sent and the one refused permanently (5xx) failed', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `mixed-${i}@example.com`);
    await queue(emails);
    h.mail.failNext(1, 550);
    expect(await h.deliver()).toBe(6);
    const rows = await rowsFor('mixed-');
    const failed = rows.filter((r) => r.status === 'failed');
    const sent = rows.filter((r) => r.status === 'sent');
    expect(failed).toHaveLength(1);
    expect(sent).toHaveLength(5);
    expect(failed[0]!.link_sent_at).toBeNull(); // its link never became valid
    for (const row of sent) expect(row.link_expires_at).not.toBeNull();
    for (const row of rows) expect(row.payload).toBeNull();
    const audit = await auditFor(rows.map((r) => r.id));
    expect(
      audit
        .filter((a) => a.kind === 'mail_sent')
        .map((a) => a.detail.outboxId)
        .sort(),
    ).toEqual(sent.map((r) => r.id).sort());
    expect(audit.filter((a) => a.kind === 'mail_failed').map((a) => a.detail.outboxId)).toEqual([failed[0]!.id]);
    expect(h.mail.messages.filter((m) => m.to.startsWith('mixed-'))).toHaveLength(5);
    // The sent links work.
    const path = Harness.pathOf(h.mail.last(sent[0]!.to_address).link!);
    expect((await h.fetch(path)).status).toBe(200);
  });

  it('claims more while earlier mails are still being sent, never holding more than maxInFlight', async () => {
    const emails = Array.from({ length: 20 }, (_, i) => `stream-${String(i).padStart(2, '0')}@example.com`);
    await queue(emails);
    const transport = new GatedTransport();
    const outbox = outboxWith(transport, { batchSize: 4, maxInFlight: 8, pollMs: 60_000 });
    outbox.start();
    try {
      // Batches of 4, but 8 are on their way before any of the first 4 finished.
      await until(() => transport.inFlight === 8, '8 sends in flight');
      await Bun.sleep(30);
      expect(transport.inFlight).toBe(8);
      transport.release(true);
      await until(async () => (await rowsFor('stream-')).every((r) => r.status === 'sent'), 'all 20 sent');
    } finally {
      await outbox.stop();
    }
    expect(transport.maxInFlight).toBe(8);
    expect(transport.sent.map((m) => m.to).sort()).toEqual(emails);
  });

  it('stop() waits for the mails in flight and records them, and claims nothing more', async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `stopping-${String(i).padStart(2, '0')}@example.com`);
    await queue(emails);
    const transport = new GatedTransport();
    const outbox = outboxWith(transport, { batchSize: 4, maxInFlight: 4, pollMs: 60_000 });
    outbox.start();
    await until(() => transport.inFlight === 4, '4 sends in flight');
    let stopped = false;
    const stopping = outbox.stop().then(() => (stopped = true));
    await Bun.sleep(30);
    expect(stopped).toBe(false); // still waiting for the 4 in flight
    transport.release(true);
    await stopping;
    const rows = await rowsFor('stopping-');
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(4);
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(8); // never claimed
    expect(rows.filter((r) => r.status === 'sending')).toHaveLength(0); // nothing abandoned mid-way
    expect(transport.sent).toHaveLength(4);
    await h.deliver(); // the rest, for the tests after this one
  });

  it('two streaming workers on one database send every mail exactly once', async () => {
    const emails = Array.from({ length: 40 }, (_, i) => `pair-${String(i).padStart(2, '0')}@example.com`);
    await queue(emails);
    const transports = [createSmtpTransport(h.mail.url), createSmtpTransport(h.mail.url)];
    const workers = transports.map((t) => outboxWith(t, { batchSize: 5, maxInFlight: 10, pollMs: 20 }));
    for (const worker of workers) worker.start();
    try {
      await until(async () => (await rowsFor('pair-')).every((r) => r.status === 'sent'), 'all 40 sent', 20_000);
    } finally {
      for (const worker of workers) await worker.stop();
      for (const t of transports) t.close();
    }
    for (const email of emails) expect(h.mail.to(email)).toHaveLength(1);
    const rows = await rowsFor('pair-');
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const audit = await auditFor(rows.map((r) => r.id));
    expect(audit.map((a) => a.kind)).toEqual(Array(40).fill('mail_sent'));
  });
});

// ---------------------------------------------------------------------------------------------
// The SMTP transport: a pool of nodemailer connections, message built by mime.ts

/** An SMTP server that counts connections and can refuse: for the pool's behaviour. */
class CountingSmtp {
  connections = 0;
  open = 0;
  maxOpen = 0;
  readonly messageIds: string[] = [];
  failNextData: number[] = [];
  server: SMTPServer;
  port = 0;
  constructor(options: Partial<SMTPServerOptions> & { refuseSecondMailFrom?: boolean } = {}) {
    const { refuseSecondMailFrom, ...rest } = options;
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      disableReverseLookup: true,
      logger: false,
      ...rest,
      onConnect: (_session, callback) => {
        this.connections++;
        this.open++;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        callback();
      },
      onClose: () => {
        this.open--;
      },
      onMailFrom: (_address, session, callback) => {
        // A server that ends the session instead of taking a second message on it.
        if (refuseSecondMailFrom && session.transaction > 1) return callback(Object.assign(new Error('closing'), { responseCode: 421 }));
        callback();
      },
      onData: (stream, _session, callback) => {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          const code = this.failNextData.shift();
          if (code) return callback(Object.assign(new Error('refused'), { responseCode: code }));
          this.messageIds.push(/^Message-ID:\s*(\S+)/im.exec(raw)?.[1] ?? '');
          callback();
        });
      },
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }
  url(query = ''): string {
    return `smtp://127.0.0.1:${this.port}${query}`;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function testMail(i: number, overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    from: { name: 'Pool Shop', address: 'shop@example.com' },
    to: `pool-${i}@example.com`,
    messageId: `<pool-${i}-${crypto.randomUUID()}@visitor-access>`,
    ...magicLinkMail({
      tenantName: 'Pool Shop',
      link: `http://localhost/_edge/visitor/access/t/vml_${i}`,
      code: '123456',
      ttlSeconds: 900,
    }),
    ...overrides,
  };
}

describe('SMTP transport', () => {
  it('takes its pool settings from SMTP_URL over our defaults, and refuses options it cannot honour', () => {
    expect(createSmtpTransport('smtp://relay.example:2525').settings).toMatchObject({
      host: 'relay.example',
      port: 2525,
      secure: false,
      maxConnections: SMTP_DEFAULTS.maxConnections,
      maxMessages: SMTP_DEFAULTS.maxMessages,
      idleTimeout: SMTP_DEFAULTS.idleTimeout,
    });
    expect(createSmtpTransport('smtps://u:p@relay.example?maxConnections=3&maxMessages=7&idleTimeout=1000').settings).toMatchObject({
      secure: true,
      maxConnections: 3,
      maxMessages: 7,
      idleTimeout: 1000,
    });
    const options = smtpOptions('smtp://user:pa%24s@relay.example:587?tls.rejectUnauthorized=false&socketTimeout=5000&requireTLS=true');
    expect(options).toMatchObject({
      auth: { user: 'user', pass: 'pa$s' },
      tls: { rejectUnauthorized: false },
      socketTimeout: 5000,
      requireTLS: true,
      greetingTimeout: SMTP_DEFAULTS.greetingTimeout,
    });
    expect(() => smtpOptions('smtp://relay.example?rateLimit=5')).toThrow('SMTP_URL: rateLimit is not supported');
    expect(() => smtpOptions('smtp://relay.example?maxConnections=0')).toThrow('maxConnections must be a positive number');
    expect(() => smtpOptions('smtp://relay.example?maxMessages=lots')).toThrow('maxMessages must be a positive number');
  });

  it('opens at most maxConnections, reuses them, and retires each after maxMessages', async () => {
    const server = await new CountingSmtp().start();
    const transport = createSmtpTransport(server.url('?maxConnections=2&maxMessages=3'));
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => transport.send(testMail(i))));
      expect(server.messageIds).toHaveLength(10);
      expect(server.maxOpen).toBeLessThanOrEqual(2);
      expect(server.connections).toBe(4); // 3 + 3 + 3 + 1
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('keeps the connection after the server refuses one message, and says whether retrying can help', async () => {
    const server = await new CountingSmtp().start();
    const transport = createSmtpTransport(server.url('?maxConnections=1'));
    try {
      server.failNextData = [550, 451];
      const permanent = await transport.send(testMail(1)).catch((e: unknown) => e);
      expect(permanent).toBeInstanceOf(MailSendError);
      expect(permanent).toMatchObject({ permanent: true });
      expect(String((permanent as Error).message)).toContain('550');
      const temporary = await transport.send(testMail(2)).catch((e: unknown) => e);
      expect(temporary).toMatchObject({ permanent: false });
      await transport.send(testMail(3));
      expect(server.messageIds).toHaveLength(1);
      expect(server.connections).toBe(1);
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('sends once more on a new connection when a kept-alive one turns out to be closed', async () => {
    const server = await new CountingSmtp({ refuseSecondMailFrom: true }).start();
    const transport = createSmtpTransport(server.url('?maxConnections=1'));
    try {
      await transport.send(testMail(1));
      await transport.send(testMail(2)); // 421 on the reused connection, then accepted on a new one
      expect(server.messageIds).toHaveLength(2);
      expect(server.connections).toBe(2);
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('when the server refuses more connections, the mails wait for the open ones instead of failing', async () => {
    const server = await new CountingSmtp({ maxClients: 2 }).start();
    const transport = createSmtpTransport(server.url('?maxConnections=6'));
    try {
      await Promise.all(Array.from({ length: 12 }, (_, i) => transport.send(testMail(i))));
      expect(server.messageIds).toHaveLength(12);
      expect(transport.connections).toBeLessThanOrEqual(2);
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('fails every mail, without hanging, when nothing listens', async () => {
    const transport = createSmtpTransport('smtp://127.0.0.1:1?maxConnections=2');
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => transport.send(testMail(i)).catch((e: unknown) => e)));
    for (const result of results) expect(result).toMatchObject({ permanent: false });
    expect(transport.connections).toBe(0);
    transport.close();
  });

  it("builds the same message as nodemailer's MailComposer, as mailparser reads them", async () => {
    const names = [
      'Bench Shop',
      'Gharārt "Läden", Co. 😀',
      "O'Brien <script>&amp; Sons",
      'A'.repeat(120),
      'Ünïcödé '.repeat(12),
      'x\r\ninjected: yes',
      '.Dot',
    ];
    const recipients = ['shopper@example.com', 'käufer@xn--bcher-kva.example', "o'brien+tag@sub.example.co.uk"];
    const date = new Date('2026-01-02T03:04:05Z');
    for (const name of names) {
      for (const to of recipients) {
        const content = magicLinkMail({
          tenantName: name,
          link: 'http://localhost/_edge/visitor/access/t/vml_abc-_',
          code: '123456',
          ttlSeconds: 900,
        });
        const mail = {
          from: { name, address: 'shop@example.com' },
          to,
          messageId: '<x-1@visitor-access>',
          date,
          ...content,
          text: `${content.text}.\n.leading dot\n`,
        };
        const ours = await simpleParser(composeMime(mail));
        const theirs = await simpleParser(await new MailComposer(mail).compile().build());
        const read = (p: typeof ours) => ({
          subject: p.subject,
          from: p.from?.value,
          to: (Array.isArray(p.to) ? p.to[0] : p.to)?.value,
          text: p.text,
          html: p.html,
          messageId: p.messageId,
          date: p.date?.toISOString(),
        });
        expect(read(ours)).toEqual(read(theirs));
      }
    }
    // Lines stay within 76 characters (a word longer than a line aside), and CRLF everywhere.
    const raw = composeMime({ ...testMail(1), from: { name: 'Ünïcödé Shop '.repeat(8), address: 'shop@example.com' } });
    expect(raw.split('\r\n').filter((line) => line.length > 76)).toEqual([]);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });
});
