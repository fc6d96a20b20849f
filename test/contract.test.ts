// The contract check (test/support/contract.ts) that the harness applies to every answer of a
// route its module describes: it catches what it should, and the routes of this slice's scope
// (ops, access, sessions, support, operator, diagnostics, openapi; then the sign-in routes of
// src/magic-link/) each had answers checked.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createPat } from '../src/credentials/pats.ts';
import { buildDocument } from '../src/openapi/document.ts';
import { ContractChecker, type OpenApiDoc } from './support/contract.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

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
      // h.signIn's link page (GET, then Continue) and its request for a mail.
      'GET /_edge/visitor/access/t/{token}',
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
      'POST /_edge/visitor/access/t/{token}',
      'POST /v2/operator/escalations',
      'POST /v2/public/content-report',
      'POST /v2/support/report',
      'POST /v2/visitor/auth/logout',
      'POST /v2/visitor/auth/magic-link',
      'PUT /v2/access/grants',
    ]);
  });
});

describe('answers of the sign-in routes (src/magic-link/)', () => {
  let s: Harness;
  beforeAll(async () => {
    s = await Harness.start();
  });
  afterAll(() => s.close());

  let ipCounter = 0;
  const freshIp = () => `198.51.100.${++ipCounter}`;
  const errorCode = (html: string) => html.match(/<code data-error-code>([^<]*)<\/code>/)?.[1];
  /** A browser's JSON request for a mail (it holds the pending cookie); the mail delivered. */
  async function asked(email: string, jar = new CookieJar()) {
    const response = await s.json('/v2/visitor/auth/magic-link', { email }, { jar, ip: freshIp() });
    expect(response.status).toBe(202);
    await s.deliver();
    const mail = s.mail.messages.at(-1)!;
    return { jar, body: await response.json(), path: Harness.pathOf(mail.link!), code: mail.code! };
  }

  it('match the document, JSON, forms and pages alike (each operation answered)', async () => {
    // Requesting a mail: JSON from a browser (pending) and from a storefront server; a form.
    const browser = await asked('contract-browser@example.com');
    expect(Object.keys(browser.body).sort()).toEqual(['pending', 'requestId', 'status']);
    const pat = (await createPat(s.db, { tenantId: s.gharart.id, name: 'checkout', scopes: ['visitor:write'] })).token;
    const byServer = await s.json(
      '/v2/visitor/auth/magic-link',
      { email: 'contract-server@example.com' },
      { host: SERVICE_HOST, headers: { authorization: `Bearer ${pat}` } },
    );
    expect([byServer.status, Object.keys(await byServer.json()).sort()]).toEqual([202, ['requestId', 'status']]);
    const formJar = new CookieJar();
    const sent = await s.form('/v2/visitor/auth/magic-link', { email: 'contract-form@example.com' }, { jar: formJar, ip: freshIp() });
    expect([sent.status, sent.headers.get('location')]).toEqual([303, '/_edge/visitor/check-email']);
    await s.deliver();
    const formMail = s.mail.messages.at(-1)!;
    const typo = await s.form('/v2/visitor/auth/magic-link', { email: 'not-an-address' }, { ip: freshIp() });
    expect([typo.status, errorCode(await typo.text())]).toEqual([400, 'invalid_email']);

    // The hosted pages.
    const signInPage = await s.fetch('/_edge/visitor/sign-in?returnTo=/content/c/1', { headers: { accept: 'text/html' } });
    expect(signInPage.status).toBe(200);
    const refused = await s.fetch('/_edge/visitor/sign-in?returnTo=https://evil.example/', { headers: { accept: 'text/html' } });
    expect([refused.status, errorCode(await refused.text())]).toEqual([400, 'invalid_return_to']);
    expect((await s.fetch('/_edge/visitor/sign-in', { host: SERVICE_HOST })).status).toBe(404);
    expect((await s.fetch('/_edge/visitor/check-email', { jar: formJar })).status).toBe(200);

    // Verify: a wrong code as a form (the code form again) and as JSON; the right one by form (303),
    // as JSON (cookie) and as JSON (bearer).
    const wrong = formMail.code === '000000' ? '111111' : '000000';
    const wrongForm = await s.form('/v2/visitor/auth/verify', { code: wrong }, { jar: formJar, ip: freshIp() });
    expect([wrongForm.status, errorCode(await wrongForm.text())]).toEqual([400, 'invalid_code']);
    const wrongJson = await s.json('/v2/visitor/auth/verify', { email: 'contract-browser@example.com', code: wrong }, { ip: freshIp() });
    expect([wrongJson.status, (await wrongJson.json()).code]).toEqual([400, 'invalid_code']);
    const byForm = await s.form('/v2/visitor/auth/verify', { code: formMail.code! }, { jar: formJar, ip: freshIp() });
    expect(byForm.status).toBe(303);
    const byCode = await s.json(
      '/v2/visitor/auth/verify',
      { email: 'contract-browser@example.com', code: browser.code },
      { ip: freshIp() },
    );
    expect(byCode.status).toBe(200);
    const bearer = await asked('contract-bearer@example.com');
    const byBearer = await s.json(
      '/v2/visitor/auth/verify',
      { token: bearer.path.split('/').at(-1), delivery: 'bearer' },
      { ip: freshIp() },
    );
    expect([byBearer.status, (await byBearer.json()).sessionToken]).toEqual([200, expect.stringMatching(/^vs_/)]);

    // The link page: shown, cookie refused, continued (303), shown again to its browser (303) and
    // to another (409); a forged token (400).
    const continued = await asked('contract-link@example.com');
    const phone = new CookieJar();
    expect((await s.fetch(continued.path, { jar: phone })).status).toBe(200);
    expect((await s.form(continued.path, {}, { ip: freshIp() })).status).toBe(400);
    expect((await s.form(continued.path, {}, { jar: phone, ip: freshIp() })).status).toBe(303);
    expect((await s.fetch(continued.path, { jar: phone })).status).toBe(303);
    expect((await s.fetch(continued.path, { headers: { accept: 'text/html' } })).status).toBe(409);
    expect((await s.fetch('/_edge/visitor/access/t/vml_forged')).status).toBe(400);

    // "Sign in on my other screen": the right number (200 page), a wrong one (409), not two digits (400).
    const other = await asked('contract-other@example.com');
    const choices = [...(await (await s.fetch(other.path, { ip: freshIp() })).text()).matchAll(/name="match" value="(\d+)"/g)];
    expect(choices.length).toBe(3);
    expect((await s.form(other.path, { match: 'abc' }, { ip: freshIp() })).status).toBe(400);
    expect((await s.form(other.path, { match: String(other.body.pending.number) }, { ip: freshIp() })).status).toBe(200);
    const poll = await s.fetch('/v2/visitor/auth/pending', { jar: other.jar, ip: freshIp() });
    expect([poll.status, (await poll.json()).status]).toEqual([200, 'signed_in']);
    const mismatch = await asked('contract-mismatch@example.com');
    const wrongNumber = mismatch.body.pending.number === 10 ? '11' : '10';
    expect((await s.form(mismatch.path, { match: wrongNumber }, { ip: freshIp() })).status).toBe(409);

    // Reissue: a link that still works (409), an expired one (202 JSON, 303 form).
    const reissued = await asked('contract-reissue@example.com');
    const stillValid = await s.json(`${reissued.path}/reissue`, {}, { ip: freshIp() });
    expect([stillValid.status, (await stillValid.json()).code]).toEqual([409, 'link_still_valid']);
    const expired = await asked('contract-expired@example.com');
    s.clock.advance(3600);
    expect((await s.fetch(expired.path, { headers: { accept: 'text/html' } })).status).toBe(410);
    expect((await s.json(`${reissued.path}/reissue`, {}, { ip: freshIp() })).status).toBe(202);
    expect((await s.form(`${expired.path}/reissue`, {}, { ip: freshIp() })).status).toBe(303);
    await s.deliver();

    expect([...s.contract!.covered].sort()).toEqual([
      'GET /_edge/visitor/access/t/{token}',
      'GET /_edge/visitor/check-email',
      'GET /_edge/visitor/sign-in',
      'GET /v2/visitor/auth/pending',
      'POST /_edge/visitor/access/t/{token}',
      'POST /_edge/visitor/access/t/{token}/reissue',
      'POST /v2/visitor/auth/magic-link',
      'POST /v2/visitor/auth/verify',
    ]);
  });

  it('answers wrong types and missing fields from JSON callers with 400 invalid_request and errors[] (never a 500)', async () => {
    const cases: [string, unknown, string][] = [
      ['/v2/visitor/auth/magic-link', {}, 'email'],
      ['/v2/visitor/auth/magic-link', { email: 5 }, 'email'],
      ['/v2/visitor/auth/magic-link', { email: 'a@example.com', returnTo: ['/x'] }, 'returnTo'],
      ['/v2/visitor/auth/verify', { email: 'a@example.com', code: 123456 }, 'code'],
      ['/v2/visitor/auth/verify', { token: 'vml_x', delivery: 'sms' }, 'delivery'],
    ];
    const link = await asked('contract-types@example.com');
    cases.push([link.path, { match: 12 }, 'match']);
    for (const [path, body, field] of cases) {
      const response = await s.json(path, body, { ip: freshIp(), headers: { origin: 'http://localhost' } });
      const problem = await response.json();
      expect([path, response.status, problem.code, problem.errors?.map((e: { path: string }) => e.path)]).toEqual([
        path,
        400,
        'invalid_request',
        expect.arrayContaining([field]),
      ]);
    }
  });
});
