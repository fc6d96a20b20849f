import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { ERRORS } from '../src/errors.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, requestId: response.headers.get('x-request-id') });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(String(body.type)).toBe(`http://localhost/docs/errors#${code}`); // PUBLIC_URL's /docs/errors, served by the app
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  return body;
}

describe('HTTP conventions', () => {
  it('puts X-Request-Id on every response, and keeps a valid incoming one only from a trusted proxy', async () => {
    const responses = [
      await h.fetch('/healthz'),
      await h.fetch('/nope'),
      await h.json('/v2/visitor/auth/magic-link', { email: 'x' }),
      await h.fetch('/v2/visitor/me'),
    ];
    for (const response of responses) expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{24}$/);
    const trusted = await h.fetch('/healthz', { headers: { 'x-request-id': 'cdn-abc-12345' } });
    expect(trusted.headers.get('x-request-id')).toBe('cdn-abc-12345');
    const untrusted = await h.fetch('/healthz', { ip: '203.0.113.7', headers: { 'x-request-id': 'cdn-abc-12345' } });
    expect(untrusted.headers.get('x-request-id')).not.toBe('cdn-abc-12345');
    const malformed = await h.fetch('/healthz', { headers: { 'x-request-id': 'bad id\u0001' } });
    expect(malformed.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('answers an unknown route with 404 not_found problem+json', async () => {
    await expectProblem(await h.fetch('/v2/nothing-here'), 404, 'not_found');
  });

  it('answers malformed JSON and wrong field types with 400 invalid_request and an errors array', async () => {
    const malformed = await h.fetch('/v2/visitor/auth/magic-link', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    const body = await expectProblem(malformed, 400, 'invalid_request');
    expect(Array.isArray(body.errors)).toBe(true);
    const wrongType = await h.json('/v2/visitor/auth/magic-link', { email: 42 });
    const typed = await expectProblem(wrongType, 400, 'invalid_request');
    expect((typed.errors as { path: string }[]).some((e) => e.path.includes('email'))).toBe(true);
    await expectProblem(await h.json('/v2/visitor/auth/magic-link', [1, 2]), 400, 'invalid_request');
    await expectProblem(await h.json('/v2/visitor/auth/magic-link', null), 400, 'invalid_request');
    await expectProblem(await h.json('/v2/visitor/auth/magic-link', {}), 400, 'invalid_request');
    await expectProblem(await h.json('/v2/visitor/auth/verify', { token: 'x', delivery: 'pigeon' }), 400, 'invalid_request');
    // Unknown fields are ignored.
    expect((await h.json('/v2/visitor/auth/magic-link', { email: 'extra@example.com', colour: 'blue' })).status).toBe(202);
  });

  it('answers other content types with 415 and bodies over 16 KiB with 413', async () => {
    const xml = await h.fetch('/v2/visitor/auth/magic-link', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<email/>' });
    await expectProblem(xml, 415, 'unsupported_media_type');
    const big = await h.json('/v2/visitor/auth/magic-link', { email: 'big@example.com', pad: 'x'.repeat(17 * 1024) });
    await expectProblem(big, 413, 'payload_too_large');
  });

  it('answers a browser form error with an HTML page showing the code and request id', async () => {
    const response = await h.form('/v2/visitor/auth/magic-link', { email: 'not-an-email' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('invalid_email');
    expect(html).toContain(response.headers.get('x-request-id')!);
    expect(html).toContain('Gharart'); // the storefront's name, not ours
  });

  it('serves /healthz and /readyz', async () => {
    expect(await (await h.fetch('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await h.fetch('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: 'ok', migrations: 'current' });
  });

  it('documents every error code of the catalogue in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(ERRORS)) {
      expect([code, doc.includes(`## ${code}`)]).toEqual([code, true]);
      expect(doc).toContain(`${status}`);
    }
  });
});

describe('Strict-Transport-Security', () => {
  it('is sent in production on https answers only (request URL or a trusted proxy), never over plain http or in development', async () => {
    const production = await Harness.start({
      env: { NODE_ENV: 'production', PUBLIC_URL: 'https://access.example', DATABASE_URL: 'postgres://unused.invalid/x' },
    });
    try {
      const hsts = (response: Response) => response.headers.get('strict-transport-security');
      const viaProxy = { headers: { 'x-forwarded-proto': 'https' } };
      expect(hsts(await production.fetch('/healthz', viaProxy))).toBe('max-age=63072000');
      expect(hsts(await production.fetch('/nope', viaProxy))).toBe('max-age=63072000'); // errors too
      expect(hsts(await production.json('/v2/visitor/auth/magic-link', { email: 'x' }, viaProxy))).toBe('max-age=63072000');
      const direct = await production.runtime.app.fetch(new Request('https://localhost/healthz'), '127.0.0.1');
      expect(hsts(direct)).toBe('max-age=63072000');
      expect(hsts(await production.fetch('/healthz'))).toBeNull(); // plain http
      expect(hsts(await production.fetch('/healthz', { ...viaProxy, ip: '203.0.113.7' }))).toBeNull(); // an untrusted peer's claim
      expect(hsts(await h.fetch('/healthz', viaProxy))).toBeNull(); // not outside production
    } finally {
      await production.close();
    }
  });
});

describe('dev mailbox', () => {
  it('is absent unless NODE_ENV=development without SMTP_URL', async () => {
    expect((await h.fetch('/_dev/mailbox')).status).toBe(404);
  });
});

describe('CORS', () => {
  it("grants credentialed CORS to the tenant's allowed origins only", async () => {
    const preflight = await h.fetch('/v2/visitor/auth/magic-link', {
      method: 'OPTIONS',
      host: 'service.test',
      headers: { origin: 'https://other.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://other.test');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const evil = await h.fetch('/v2/visitor/auth/magic-link', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await h.json('/v2/visitor/auth/magic-link', { email: 'cors@example.com' }, { headers: { origin: 'http://localhost' } });
    expect(actual.status).toBe(202);
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost');
    expect(actual.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('answers what is refused before routing (a bad or reused Idempotency-Key) with the same security and CORS headers', async () => {
    const from = { origin: 'http://localhost' };
    const bad = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'cors-key@example.com' },
      { headers: { ...from, 'idempotency-key': ' ' } },
    );
    const first = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'cors-key@example.com' },
      { headers: { ...from, 'idempotency-key': 'cors-key-1' } },
    );
    const reused = await h.json(
      '/v2/visitor/auth/magic-link',
      { email: 'cors-key-2@example.com' },
      { headers: { ...from, 'idempotency-key': 'cors-key-1' } },
    );
    expect([bad.status, first.status, reused.status]).toEqual([400, 202, 422]);
    for (const refused of [bad, reused]) {
      expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost');
      expect(refused.headers.get('access-control-expose-headers')).toContain('x-request-id');
      expect(refused.headers.get('x-frame-options')).toBe('DENY');
      expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(refused.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});
