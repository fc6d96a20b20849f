// The contract check (test/support/contract.ts) that the harness applies to every answer of a
// route its module describes: it catches what it should, and the routes of this slice's scope
// (ops, access, sessions, support, operator, diagnostics, openapi) each had answers checked.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createPat } from '../src/credentials/pats.ts';
import { buildDocument } from '../src/openapi/document.ts';
import { ContractChecker, type OpenApiDoc } from './support/contract.ts';
import { Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(() => h.close());

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

describe('the contract checker', () => {
  it('refuses an unlisted status, an unlisted content type and a body that does not match the schema', async () => {
    const checker = new ContractChecker(buildDocument(h.runtime.app.elysia, h.deps.config) as unknown as OpenApiDoc, () => true);
    expect(await checker.check('GET', '/healthz', json(200, { status: 'ok' }))).toEqual([]);
    expect((await checker.check('GET', '/healthz', json(418, {})))?.[0]).toContain('status 418 is not listed');
    expect((await checker.check('GET', '/healthz', new Response('ok', { headers: { 'content-type': 'text/plain' } })))?.[0]).toContain(
      'content type text/plain is not listed',
    );
    expect((await checker.check('GET', '/v2/visitor/me', json(200, { visitor: { id: 1 } })))?.length).toBeGreaterThan(0);
    const problem = { type: 'x', title: 't', status: 401, detail: 'd', code: 'no_such_code', requestId: 'r' };
    expect((await checker.check('GET', '/v2/visitor/me', json(401, problem, 'application/problem+json')))?.join()).toContain('/code');
    expect(await checker.check('GET', '/no/such/route', json(200, {}))).toBeNull();
  });
});

describe('answers of the described routes', () => {
  it('match the document for every operation of this slice (each one answered at least once)', async () => {
    const pat = (await createPat(h.db, { tenantId: h.gharart.id, name: 'shop', scopes: ['access:read', 'access:write'] })).token;
    const ops = (await createPat(h.db, { tenantId: null, name: 'ops', scopes: ['operator:read', 'operator:escalate'] })).token;
    const server = { host: SERVICE_HOST, headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json' } };
    const operator = { host: SERVICE_HOST, headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/json' } };
    const { jar } = await h.signIn('contract@example.com');
    const grant = { email: 'contract@example.com', resource: '/content/c/*', kind: 'content' };
    // Every call below goes through h.fetch, which throws on an answer that breaks the contract.
    await h.fetch('/healthz');
    await h.fetch('/readyz');
    await h.fetch('/openapi.json', { host: SERVICE_HOST });
    await h.fetch('/docs', { host: SERVICE_HOST });
    await h.fetch('/docs/errors', { host: SERVICE_HOST });
    expect((await h.fetch('/v2/access/grants', { ...server, method: 'PUT', body: JSON.stringify(grant) })).status).toBe(201);
    expect((await h.fetch('/v2/access/grants?email=contract@example.com', server)).status).toBe(200);
    expect((await h.fetch('/v2/access/grants?email=contract@example.com', { host: SERVICE_HOST })).status).toBe(401);
    expect((await h.fetch('/v2/visitor/access', { jar })).status).toBe(200);
    const me = await h.fetch('/v2/visitor/me', { jar });
    expect(me.status).toBe(200);
    expect((await h.fetch('/v2/visitor/me')).status).toBe(401);
    expect((await h.fetch('/v2/visitor/sessions', { jar })).status).toBe(200);
    const other = '00000000-0000-4000-8000-000000000000';
    expect(
      (await h.fetch(`/v2/visitor/sessions/${other}`, { jar, method: 'DELETE', headers: { origin: 'http://localhost' } })).status,
    ).toBe(404);
    const filed = await h.json(
      '/v2/support/report',
      { summary: 'It broke', details: '' },
      { jar, headers: { origin: 'http://localhost' } },
    );
    expect(filed.status).toBe(201);
    const { reportId, requestId } = await filed.json();
    expect((await h.json('/v2/support/report', { details: '' })).status).toBe(400);
    expect((await h.json('/v2/public/content-report', { url: 'https://x.example/a', reason: 'spam' })).status).toBe(202);
    expect((await h.json('/v2/operator/escalations', { reportId, summary: 'Look', severity: 'low' }, operator)).status).toBe(201);
    expect((await h.fetch(`/v2/operator/requests/${requestId}`, operator)).status).toBe(200);
    expect((await h.fetch('/_edge/visitor/diagnostics', { jar })).status).toBe(303);
    expect((await h.fetch('/_edge/visitor/diagnostics?check=1', { jar, headers: { accept: 'application/json' } })).status).toBe(200);
    expect((await h.fetch('/_edge/visitor/support/report-sent')).status).toBe(200);
    expect((await h.fetch('/v2/access/grants', { ...server, method: 'DELETE', body: JSON.stringify(grant) })).status).toBe(204);
    expect((await h.json('/v2/visitor/auth/logout', {}, { jar, headers: { origin: 'http://localhost' } })).status).toBe(204);

    const scope = [...h.contract!.covered].sort();
    expect(scope).toEqual([
      'DELETE /v2/access/grants',
      'DELETE /v2/visitor/sessions/{id}',
      'GET /_edge/visitor/diagnostics',
      'GET /_edge/visitor/support/report-sent',
      'GET /docs',
      'GET /docs/errors',
      'GET /healthz',
      'GET /openapi.json',
      'GET /readyz',
      'GET /v2/access/grants',
      'GET /v2/operator/requests/{requestId}',
      'GET /v2/visitor/access',
      'GET /v2/visitor/me',
      'GET /v2/visitor/sessions',
      'POST /v2/operator/escalations',
      'POST /v2/public/content-report',
      'POST /v2/support/report',
      'POST /v2/visitor/auth/logout',
      'PUT /v2/access/grants',
    ]);
  });
});
