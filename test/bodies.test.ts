// Bounded bodies against the real Bun.serve process: no request body is read past its route's limit,
// whatever headers it carries, so no upload can stall the service.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';
import { MailCapture } from './support/mail-capture.ts';
import { startService, type ServiceProcess } from './support/service-process.ts';

const MAGIC_LINK = '/v2/visitor/auth/magic-link';
const LIMIT = 16 * 1024; // the magic-link route's limit (src/http/body.ts)
const CHUNK = 4096;
// Far more than any limit; an upload that is not refused early sends all of it.
const CAP = 4 * 1024 * 1024;
// "Not much more than the limit": what socket buffers may hold beyond it while the 413 travels back.
const SLACK = 1024 * 1024;

let mail: MailCapture;
let dataDir: string;
let database: TestDatabase | null = null;
let service: ServiceProcess;

beforeAll(async () => {
  mail = await new MailCapture().start();
  dataDir = mkdtempSync(`${tmpdir()}/va-bodies-`);
  if (usingPostgres) database = await freshDatabase();
  service = await startService({
    NODE_ENV: 'development', // the demo storefront lives on localhost
    PUBLIC_URL: 'http://localhost',
    DATA_DIR: dataDir,
    SMTP_URL: mail.url,
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
  });
});
afterAll(async () => {
  await service?.stop();
  await mail.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Upload = {
  /** The status line's code, or null when no answer came. */
  status: number | null;
  /** Body bytes the client had written when the first byte of the answer arrived (or in all). */
  sentBeforeAnswer: number;
  answer: string;
};

/**
 * A raw HTTP/1.1 upload that keeps writing `CHUNK`-sized pieces (paced, so the socket buffers do
 * not run far ahead) until the server answers, closes, or `CAP` bytes are out. Chunked unless a
 * Content-Length is given.
 */
async function upload(path: string, headers: Record<string, string>): Promise<Upload> {
  const socket: Socket = connect(service.port, '127.0.0.1');
  let answer = '';
  let answeredAt = -1;
  let closed = false;
  let sent = 0;
  socket.on('data', (data) => {
    if (answeredAt < 0) answeredAt = sent;
    answer += data.toString('latin1');
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  const chunked = !('content-length' in headers);
  const head = Object.entries({
    host: `localhost:${service.port}`,
    'content-type': 'application/json',
    ...headers,
    ...(chunked ? { 'transfer-encoding': 'chunked' } : {}),
  });
  socket.write(`POST ${path} HTTP/1.1\r\n${head.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  const piece = Buffer.alloc(CHUNK, 0x20); // spaces: a JSON body's whitespace, never malformed before the limit
  while (!closed && answeredAt < 0 && sent < CAP) {
    if (chunked) socket.write(`${CHUNK.toString(16)}\r\n`);
    socket.write(piece);
    if (chunked) socket.write('\r\n');
    sent += CHUNK;
    await Bun.sleep(1);
  }
  // An answer that only comes once everything is in is too late; wait briefly to see it anyway.
  const deadline = Date.now() + 1500;
  while (answeredAt < 0 && !closed && Date.now() < deadline) await Bun.sleep(20);
  socket.destroy();
  const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  return { status: status ? Number(status[1]) : null, sentBeforeAnswer: answeredAt < 0 ? sent : answeredAt, answer };
}

describe('bounded request bodies (real Bun.serve)', () => {
  it('refuses a chunked body without Content-Length at the route limit, before the client has sent much more', async () => {
    const result = await upload(MAGIC_LINK, {});
    expect(result.status).toBe(413);
    expect(result.answer).toContain('application/problem+json');
    expect(result.answer).toContain('"code":"payload_too_large"');
    expect(result.sentBeforeAnswer).toBeGreaterThan(LIMIT - CHUNK);
    expect(result.sentBeforeAnswer).toBeLessThan(SLACK);
  });

  it('refuses a chunked body with an Idempotency-Key the same way: the key never makes the service read it whole', async () => {
    const result = await upload(MAGIC_LINK, { 'idempotency-key': 'big-chunked-1' });
    expect(result.status).toBe(413);
    expect(result.answer).toContain('"code":"payload_too_large"');
    expect(result.sentBeforeAnswer).toBeLessThan(SLACK);
  });

  it('refuses a declared 120 MB body with an Idempotency-Key at once', async () => {
    const result = await upload(MAGIC_LINK, { 'content-length': String(120 * 1024 * 1024), 'idempotency-key': 'big-declared-1' });
    expect(result.status).toBe(413);
    expect(result.sentBeforeAnswer).toBeLessThan(SLACK);
  });

  it('keeps /healthz answering while a slow keyed upload under the limit is still arriving, then serves that upload', async () => {
    // 12 KiB of JSON dribbled in small pieces: a legal body (no field over the 2048-character
    // text bound), arriving slowly.
    const pads = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`pad${i}`, ' '.repeat(2000)]));
    const body = JSON.stringify({ email: 'slow@example.com', ...pads });
    const socket: Socket = connect(service.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => (answer += data.toString('latin1')));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST ${MAGIC_LINK} HTTP/1.1\r\nhost: localhost:${service.port}\r\ncontent-type: application/json\r\nidempotency-key: slow-1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`,
    );
    const half = Math.floor(body.length / 2);
    socket.write(`${half.toString(16)}\r\n${body.slice(0, half)}\r\n`);
    const health = await fetch(`${service.base}/healthz`);
    expect(health.status).toBe(200);
    expect(answer).toBe(''); // the upload is still open and unanswered
    const rest = body.slice(half);
    socket.write(`${rest.length.toString(16)}\r\n${rest}\r\n0\r\n\r\n`);
    const deadline = Date.now() + 10_000;
    while (!answer.includes('\r\n\r\n') && Date.now() < deadline) await Bun.sleep(20);
    socket.destroy();
    expect(answer).toStartWith('HTTP/1.1 202');
  });

  it('refuses a body that no route reads with the server backstop (413), not after reading it', async () => {
    const result = await upload('/no/such/route', { 'content-length': String(120 * 1024 * 1024) });
    expect(result.status).toBe(413);
    expect(result.sentBeforeAnswer).toBeLessThan(SLACK);
    const chunked = await upload('/no/such/route', {});
    // A chunked body no route reads: answered (404) at once, or cut at the backstop (413).
    expect([404, 413]).toContain(chunked.status!);
    expect(chunked.sentBeforeAnswer).toBeLessThan(SLACK);
  });
});
