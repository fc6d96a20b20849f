// The OpenAPI document, the error reference and the rendered reference: served by the real app,
// valid by a real OpenAPI validator, and complete (every route described by its module or by the
// hand-kept supplement, src/openapi/pending-routes.ts).
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { ERRORS, type ErrorCode } from '../src/errors.ts';
import { OUTSIDE_ROUTER, PENDING_ROUTES } from '../src/openapi/pending-routes.ts';
import { Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
type Operation = { responses: Record<string, unknown>; security?: unknown[]; 'x-error-codes'?: ErrorCode[] };
let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  h = await Harness.start();
  const response = await h.fetch('/openapi.json', { host: SERVICE_HOST });
  expect(response.status).toBe(200);
  doc = await response.json();
});
afterAll(() => h.close());

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    expect(doc.openapi).toStartWith('3.1');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route of the app: described by its module, or in the supplement (never both, nothing stale)', () => {
    const routes = h.runtime.app.elysia.routes.map((r) => ({
      key: `${r.method} ${r.path}`,
      described: Boolean((r.hooks?.detail as Record<string, unknown> | undefined)?.['x-error-codes']),
    }));
    const pending = new Set(PENDING_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(routes.filter((r) => r.described && pending.has(r.key)).map((r) => r.key)).toEqual([]);
    expect(routes.filter((r) => !r.described && !pending.has(r.key)).map((r) => r.key)).toEqual([]);
    const served = new Set(routes.map((r) => r.key));
    expect([...pending].filter((key) => !served.has(key))).toEqual([]);
    // And each of them is in the document.
    for (const { key } of [...routes, ...OUTSIDE_ROUTER.map((r) => ({ key: `${r.method} ${r.path}` }))]) {
      const [method, path] = key.split(' ') as [string, string];
      const item = doc.paths[toOpenApiPath(path)];
      expect([key, Boolean(item?.[method === 'ALL' ? 'get' : method.toLowerCase()])]).toEqual([key, true]);
    }
  });

  it('documents the request bodies that are enforced: a described route’s body is its own validator (Elysia `body`), never documented only', () => {
    const documentedOnly = h.runtime.app.elysia.routes
      .filter((r) => {
        const detail = r.hooks?.detail as { 'x-error-codes'?: unknown; requestBody?: unknown } | undefined;
        return detail?.['x-error-codes'] && detail.requestBody && !r.hooks?.body;
      })
      .map((r) => `${r.method} ${r.path}`);
    expect(documentedOnly).toEqual([]);
    const required = (path: string) =>
      (doc.paths[path]!.post as unknown as { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }).requestBody
        ?.content['application/json']?.schema.required;
    expect(required('/v2/support/report')).toEqual(['summary', 'details']);
    expect(required('/v2/public/content-report')).toEqual(['url', 'reason']);
    expect(required('/v2/operator/escalations')).toEqual(['summary', 'severity']);
  });

  it('describes a route for every method once, as its GET, with one operationId per operation', () => {
    const star = doc.paths['/console/t/{token}/*']!;
    expect(Object.keys(star)).toEqual(['get']);
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => (op as { operationId?: string }).operationId));
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('generates each operation’s problem responses from the one catalogue, with the right status', () => {
    let checked = 0;
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        for (const code of op['x-error-codes'] ?? []) {
          const response = op.responses[String(ERRORS[code].status)] as { content: Record<string, { examples: Record<string, unknown> }> };
          expect([code, Boolean(response?.content['application/problem+json']?.examples[code])]).toEqual([code, true]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    const grants = doc.paths['/v2/access/grants']!.put!;
    expect(grants.security).toEqual([{ pat: ['access:write'] }, { storefrontJwt: ['access:write'] }]);
    expect(Object.keys(grants.responses).sort()).toEqual(['200', '201', '400', '401', '403', '413', '415', '500', '503']);
  });

  it('declares the five security schemes, the rate-limit and idempotency headers', () => {
    expect(Object.keys(doc.components.securitySchemes!).sort()).toEqual([
      'metricsToken',
      'pat',
      'storefrontJwt',
      'visitorBearer',
      'visitorCookie',
    ]);
    expect(doc.components.securitySchemes!.visitorCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Host-visitor_session' });
    const report = doc.paths['/v2/support/report']!.post! as Operation & { parameters: unknown[] };
    expect(report.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(Object.keys((report.responses['201'] as { headers: object }).headers).sort()).toEqual([
      'Idempotent-Replayed',
      'RateLimit',
      'RateLimit-Policy',
      'X-Request-Id',
    ]);
  });
});

describe('the error reference', () => {
  it('serves /docs/errors with one anchor per code, and a problem’s type points at it', async () => {
    const page = await h.fetch('/docs/errors', { host: SERVICE_HOST });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await page.text();
    for (const code of Object.keys(ERRORS)) expect([code, text.includes(`id="${code}"`)]).toEqual([code, true]);
    const problem = await (await h.fetch('/v2/visitor/me', { host: SERVICE_HOST })).json();
    expect(problem.type).toBe('http://localhost/docs/errors#not_signed_in');
  });

  it('takes its base URL from ERRORS_DOC_BASE_URL', async () => {
    const other = await Harness.start({ env: { ERRORS_DOC_BASE_URL: 'https://docs.example.com/errors' } });
    try {
      const problem = await (await other.fetch('/v2/visitor/me', { host: SERVICE_HOST })).json();
      expect(problem.type).toBe('https://docs.example.com/errors#not_signed_in');
    } finally {
      await other.close();
    }
  });
});

describe('GET /docs', () => {
  it('renders the reference from the document on the server, without scripts', async () => {
    const page = await h.fetch('/docs', { host: SERVICE_HOST });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('PUT /v2/access/grants');
    expect(text).toContain('href="/docs/errors#insufficient_scope"');
    expect(text).not.toContain('<script');
  });

  it('is not served in production unless API_DOCS=on', async () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://unused', PUBLIC_URL: 'https://id.example.com' };
    const { loadConfig } = await import('../src/config.ts');
    expect(loadConfig({ ...env, TOKEN_SECRET: 'x'.repeat(32), SMTP_URL: 'smtp://localhost:25' }).apiDocs).toBe(false);
    expect(loadConfig({ ...env, TOKEN_SECRET: 'x'.repeat(32), SMTP_URL: 'smtp://localhost:25', API_DOCS: 'on' }).apiDocs).toBe(true);
    const off = await Harness.start({ env: { API_DOCS: 'off' } });
    try {
      expect((await off.fetch('/docs', { host: SERVICE_HOST })).status).toBe(404);
      expect((await off.fetch('/openapi.json', { host: SERVICE_HOST })).status).toBe(200);
      expect((await off.fetch('/docs/errors', { host: SERVICE_HOST })).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe('the typed client (clients/typescript/)', () => {
  it('is generated from the current document: `bun run client:generate` writes exactly the committed files', async () => {
    const { generateClientFiles } = await import('../scripts/generate-client.ts');
    const fresh = await generateClientFiles();
    for (const [name, text] of Object.entries(fresh)) {
      const committed = await Bun.file(new URL(`../clients/typescript/${name}`, import.meta.url)).text();
      // A mismatch means a route's schema changed: run `bun run client:generate` and commit the result.
      expect([name, committed === text]).toEqual([name, true]);
    }
  });

  it('grants a shopper a resource over real HTTP, as a storefront server would', async () => {
    const { createVisitorAccessClient } = await import('../clients/typescript/index.ts');
    const { createPat } = await import('../src/credentials/pats.ts');
    const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'shop', scopes: ['access:read', 'access:write'] })).token;
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (request, bun) => h.runtime.app.fetch(request, bun.requestIP(request)?.address),
    });
    try {
      const client = createVisitorAccessClient({ baseUrl: `http://127.0.0.1:${server.port}`, token: pat });
      const put = await client.PUT('/v2/access/grants', {
        body: { email: 'client@example.com', resource: '/orders/A-1001', kind: 'order', orderId: 'A-1001' },
      });
      expect(put.response.status).toBe(201);
      expect(put.data?.resource).toBe('/orders/A-1001');
      const list = await client.GET('/v2/access/grants', { params: { query: { email: 'client@example.com' } } });
      expect(list.data?.items.map((grant) => grant.orderId)).toEqual(['A-1001']);
      const refused = await createVisitorAccessClient({ baseUrl: `http://127.0.0.1:${server.port}` }).GET('/v2/access/grants', {
        params: { query: { email: 'client@example.com' } },
      });
      expect([refused.response.status, (refused.error as { code?: string } | undefined)?.code]).toEqual([401, 'unauthorized']);
    } finally {
      await server.stop(true);
    }
  });
});
