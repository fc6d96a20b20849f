// Hostile input: random and adversarial bodies, headers, tokens and paths. Never a 5xx; every non-2xx
// answer to a JSON request is problem+json; parsers never throw.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import fc from 'fast-check';
import { normalisePath } from '../src/access/paths.ts';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { verifyToken } from '../src/tokens/tokens.ts';
import { normaliseEmail } from '../src/visitors/email.ts';
import { Harness } from './support/harness.ts';

let h: Harness;
let pat: string;
beforeAll(async () => {
  h = await Harness.start();
  const { createPat } = await import('../src/credentials/pats.ts');
  pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'fuzz', scopes: ['access:read', 'access:write'] })).token;
});
afterAll(() => h.close());

const ROUTES: { method: string; path: string; host?: string; auth?: boolean }[] = [
  { method: 'POST', path: '/v2/visitor/auth/magic-link' },
  { method: 'POST', path: '/v2/visitor/auth/verify' },
  { method: 'POST', path: '/v2/visitor/auth/logout' },
  { method: 'POST', path: '/v2/support/report' },
  { method: 'POST', path: '/v2/public/content-report' },
  { method: 'POST', path: '/v2/operator/escalations', host: 'service.test' },
  { method: 'PUT', path: '/v2/access/grants', host: 'service.test', auth: true },
  { method: 'DELETE', path: '/v2/access/grants', host: 'service.test', auth: true },
];

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  // Text PostgreSQL refuses (NUL), controls, a lone CR, unpaired surrogates: 400 invalid_request, never 500.
  fc.constantFrom('a\u0000b', '\u0007', 'cr\ronly', '\ud800', 'x\udc00y', 'crlf\r\nok', 'tab\tok'),
  fc.constantFrom(
    '\u0000',
    '\u202e',
    'ａ@ｅｘａｍｐｌｅ．ｃｏｍ',
    'а@example.com',
    'x\r\nLocation: https://evil.example',
    '%00',
    '../../etc/passwd',
    '//evil.com',
    'javascript:alert(1)',
    '{{7*7}}',
    "' or 1=1 --",
  ),
  fc.constant('x'.repeat(20_000)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

const bodies = fc.oneof(
  fc.record({ email: nasty, handle: nasty, returnTo: nasty, token: nasty, code: nasty, delivery: nasty }, { requiredKeys: [] }),
  fc.record(
    { summary: nasty, details: nasty, handle: nasty, reproArtifact: nasty, url: nasty, reason: nasty, severity: nasty },
    { requiredKeys: [] },
  ),
  fc.record({ email: nasty, resource: nasty, kind: nasty, expiresAt: nasty, title: nasty }, { requiredKeys: [] }),
  fc.jsonValue(),
);

/** Does a body break the text rule (src/http/text-fields.ts) somewhere: a value or a key, at any depth? */
function breaksTextRule(value: unknown): boolean {
  if (typeof value === 'string')
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|\r(?!\n)/.test(value) || !value.isWellFormed() || value.length > 2048;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => breaksTextRule(key) || breaksTextRule(item));
}

async function expectSane(response: Response, json: boolean) {
  expect(response.status).toBeLessThan(500);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  if (json && response.status >= 400) {
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = (await response.json()) as { status: number; code: string };
    expect(body.status).toBe(response.status);
    expect(typeof body.code).toBe('string');
  } else {
    await response.arrayBuffer();
  }
}

describe('hostile input over HTTP', () => {
  it('never answers a random JSON body with a 5xx, and always with problem+json on errors', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), bodies, fc.integer({ min: 1, max: 250 }), async (route, body, octet) => {
        const response = await h.fetch(route.path, {
          method: route.method,
          host: route.host,
          ip: `203.0.113.${octet}`,
          headers: { 'content-type': 'application/json', ...(route.auth ? { authorization: `Bearer ${pat}` } : {}) },
          body: JSON.stringify(body),
        });
        statuses.add(response.status);
        if (breaksTextRule(body) && new TextEncoder().encode(JSON.stringify(body)).length <= 16 * 1024) {
          const problem = (await response.clone().json()) as { code: string };
          expect([response.status, problem.code]).toEqual([400, 'invalid_request']);
        }
        await expectSane(response, true);
      }),
      { numRuns: 300 },
    );
    // The generator reaches past validation too, not only 400s.
    expect([...statuses].some((s) => s < 300)).toBe(true);
  }, 120_000);

  it('survives raw garbage: broken JSON, deep nesting, duplicate keys, wrong content types, huge bodies', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const raws = [
      '{',
      '{"email":',
      '{"email":"a@example.com","email":"b@example.com"}',
      deep,
      '\u0000\u0001',
      '{"__proto__":{"admin":true},"email":"p@example.com"}',
      'x'.repeat(200_000),
    ];
    for (const route of ROUTES) {
      for (const raw of raws) {
        for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
          const response = await h.fetch(route.path, {
            method: route.method,
            host: route.host,
            headers: { 'content-type': type, origin: 'http://localhost', ...(route.auth ? { authorization: `Bearer ${pat}` } : {}) },
            body: raw,
          });
          expect([route.path, type, raw.slice(0, 20), response.status < 500]).toEqual([route.path, type, raw.slice(0, 20), true]);
          await response.arrayBuffer();
        }
      }
    }
  }, 120_000);

  it('answers random headers, cookies and query strings without a 5xx', async () => {
    const paths = [
      '/v2/visitor/me',
      '/v2/visitor/access',
      '/v2/visitor/sessions',
      '/_edge/visitor/access',
      '/_edge/visitor/sign-in',
      '/_edge/visitor/check-email',
      '/_edge/visitor/diagnostics',
      '/v2/access/grants',
      '/v2/operator/requests/x',
      '/_edge/visitor/access/t/x',
    ];
    // Visible ASCII plus spaces/tabs: what can actually travel in a header value.
    const headerValue = fc.stringMatching(/^[\x20-\x7e\t]{0,300}$/);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        headerValue,
        headerValue,
        headerValue,
        fc.string({ maxLength: 100 }),
        async (path, cookie, auth, uri, query) => {
          let response: Response;
          try {
            response = await h.fetch(`${path}?q=${encodeURIComponent(query)}`, {
              headers: {
                cookie: `__Host-visitor_session=${cookie}`,
                authorization: auth,
                'x-original-uri': uri,
                'x-forwarded-for': auth,
                'idempotency-key': cookie,
              },
            });
          } catch {
            return; // the value cannot even be sent as a header: nothing reached us
          }
          sent++;
          await expectSane(response, false);
          if (path === '/_edge/visitor/access') expect([204, 401, 403]).toContain(response.status);
        },
      ),
      { numRuns: 300 },
    );
    expect(sent).toBeGreaterThan(250);
  }, 120_000);
});

describe('hostile input to the parsers', () => {
  it('never throws on random tokens, paths or emails', async () => {
    const keys = await deriveKeyRing(['fuzz-secret-0123456789abcdefghijklmnopqrstuvw']);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(verifyToken(keys, 'vml', text)).toBe(false);
        expect(verifyToken(keys, 'vs', text)).toBe(false);
        const path = normalisePath(text);
        if (path !== null) {
          expect(path.startsWith('/')).toBe(true);
          expect(path.includes('/../')).toBe(false);
          expect(normalisePath(path)).toBe(path); // normal form is a fixed point
        }
        const email = normaliseEmail(text);
        if (email !== null) expect(normaliseEmail(email)).toBe(email);
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects every mutation of a real token: truncated, extended, case-flipped, other prefix, other secret', async () => {
    const { mintToken } = await import('../src/tokens/tokens.ts');
    const keys = await deriveKeyRing(['fuzz-secret-0123456789abcdefghijklmnopqrstuvw']);
    const other = await deriveKeyRing(['another-tenant-secret-0123456789abcdefghijk']);
    const token = mintToken(keys, 'vml');
    expect(verifyToken(keys, 'vml', token)).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: token.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }), (at, extra) => {
        expect(verifyToken(keys, 'vml', token.slice(0, at))).toBe(false);
        expect(verifyToken(keys, 'vml', token + extra)).toBe(false);
        const flipped =
          token.slice(0, at) +
          (token[at] === token[at]!.toUpperCase() ? token[at]!.toLowerCase() : token[at]!.toUpperCase()) +
          token.slice(at + 1);
        if (flipped !== token) expect(verifyToken(keys, 'vml', flipped)).toBe(false);
      }),
    );
    expect(verifyToken(keys, 'vs', token.replace('vml_', 'vs_'))).toBe(false);
    expect(verifyToken(other, 'vml', token)).toBe(false);
  });
});
