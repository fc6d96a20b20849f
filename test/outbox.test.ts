import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from '../src/db/sql.ts';
import { backoffSeconds } from '../src/mail/outbox.ts';
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

  it('lets two workers share the queue without sending anything twice', async () => {
    for (let i = 0; i < 30; i++) await h.json('/v2/visitor/auth/magic-link', { email: `bulk${i}@example.com` });
    await Promise.all([h.deliver(), h.deliver(), h.deliver()]);
    await h.deliver();
    for (let i = 0; i < 30; i++) expect(h.mail.to(`bulk${i}@example.com`)).toHaveLength(1);
  });
});
