// Support reports, content reports, operator escalations and the request-id lookup, black-box
// through the real app on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { setOverride } from '../src/limits/policies.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';
import { insertTestTenant } from './support/tenants.ts';
import { storefrontJwtKey } from './support/storefront-jwt.ts';

let h: Harness;
let operator: { id: string; token: string };
let readOnly: string;
let escalateOnly: string;
let tenantPat: string;
let storefrontJwt: () => Promise<string>;

beforeAll(async () => {
  h = await Harness.start();
  const created = await createPat(h.db, { tenantId: null, name: 'ops', scopes: ['operator:read', 'operator:escalate'] });
  operator = { id: created.pat.id, token: created.token };
  readOnly = (await createPat(h.db, { tenantId: null, name: 'ops-read', scopes: ['operator:read'] })).token;
  escalateOnly = (await createPat(h.db, { tenantId: null, name: 'ops-escalate', scopes: ['operator:escalate'] })).token;
  tenantPat = (
    await createPat(h.db, {
      tenantId: h.gharart.id,
      name: 'shop',
      scopes: ['access:read', 'access:write', 'visitor:write', 'support:read'],
    })
  ).token;
  const key = await storefrontJwtKey(h, h.gharart.id);
  storefrontJwt = () => key.jwt('access:read support:read');
});
afterAll(() => h.close());

let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

type Init = { ip?: string; host?: string; jar?: CookieJar; headers?: Record<string, string> };

function report(body: Record<string, unknown>, init: Init = {}) {
  return h.json(
    '/v2/support/report',
    { handle: 'gharart', summary: 'The link says it was used', details: 'I clicked once.', ...body },
    { ip: freshIp(), ...init },
  );
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

function escalate(body: Record<string, unknown>, headers: Record<string, string> = bearer(operator.token), init: Init = {}) {
  return h.json(
    '/v2/operator/escalations',
    { summary: 'Shopper locked out after a replay', severity: 'high', ...body },
    { host: SERVICE_HOST, ...init, headers },
  );
}

async function lookup(requestId: string, token: string = operator.token) {
  await h.deps.requestLog.flush();
  return h.fetch(`/v2/operator/requests/${requestId}`, { host: SERVICE_HOST, headers: bearer(token) });
}

async function lookupBody(requestId: string) {
  const response = await lookup(requestId);
  expect(response.status).toBe(200);
  return (await response.json()) as Lookup;
}

type Lookup = {
  requestId: string;
  route: { method: string; path: string } | null;
  status: number | null;
  code: string | null;
  tenant: { id: string; handle: string } | null;
  visitor: { id: string; email: string } | null;
  sessionId: string | null;
  timings: { at: string; durationMs: number | null };
  logged: boolean;
  mail: { status: string; attempts: number; lastError: string | null; sentAt: string | null }[];
  audit: { kind: string; actor: string; detail: Record<string, unknown> }[];
  securityEvents: { kind: string; requestId: string; sameRequest: boolean }[];
  relatedRequests: { requestId: string; method: string; path: string; status: number }[];
  reports: {
    reportId: string;
    summary: string;
    details: string;
    reproArtifact: string | null;
    citedRequestId: string | null;
    visitorId: string | null;
  }[];
  escalations: { escalationId: string; reportId: string | null; severity: string; filedBy: string }[];
  contentReports: { reportId: string; url: string; reason: string }[];
};

/** A shopper signs in like h.signIn does, keeping the request ids of each step. */
async function signInShopper(email: string) {
  const requested = await h.json('/v2/visitor/auth/magic-link', { email });
  expect(requested.status).toBe(202);
  const { requestId } = (await requested.json()) as { requestId: string };
  await h.deliver();
  const mail = h.mail.to(email).at(-1)!;
  const jar = new CookieJar();
  const path = Harness.pathOf(mail.link!);
  const opened = await h.fetch(path, { jar });
  const confirmed = await h.form(path, {}, { jar });
  expect(confirmed.status).toBe(303);
  const me = (await (await h.fetch('/v2/visitor/me', { jar })).json()) as { visitor: { id: string }; session: { id: string } };
  return {
    requestId,
    mail,
    jar,
    path,
    visitorId: me.visitor.id,
    sessionId: me.session.id,
    openedId: opened.headers.get('x-request-id')!,
    confirmedId: confirmed.headers.get('x-request-id')!,
  };
}

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as {
    code: string;
    status: number;
    detail: string;
    requiredScope?: string;
    errors?: { path: string }[];
    resetAt?: string;
  };
}

describe('POST /v2/support/report', () => {
  it('files a report: 201 {reportId, requestId} with the RateLimit headers, audited as anonymous', async () => {
    const response = await report({ summary: 'Cannot open my course', requestId: 'req_0123456789abcdef01234567' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { reportId: string; requestId: string };
    expect(Object.keys(body).sort()).toEqual(['reportId', 'requestId']);
    expect(body.reportId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.requestId).toBe(response.headers.get('x-request-id')!);
    expect(response.headers.get('ratelimit-policy')).toBe('"per-ip";q=10;w=3600, "per-handle-daily";q=200;w=86400');
    expect(response.headers.get('ratelimit')).toMatch(/^"per-ip";r=9;t=\d+, "per-handle-daily";r=\d+;t=\d+$/);
    const filed = await lookupBody(body.requestId);
    expect(filed.route).toEqual({ method: 'POST', path: '/v2/support/report' });
    expect(filed.status).toBe(201);
    expect(filed.tenant?.handle).toBe('gharart');
    expect(filed.audit).toEqual([
      expect.objectContaining({ kind: 'report_filed', actor: 'anonymous', detail: expect.objectContaining({ reportId: body.reportId }) }),
    ]);
    expect(filed.reports.map((r) => r.reportId)).toEqual([body.reportId]);
  });

  it('stores details and the repro artifact redacted, and attaches the signed-in shopper', async () => {
    const shopper = await signInShopper('har@example.com');
    const sessionToken = shopper.jar.values.get('__Host-visitor_session')!;
    const linkToken = shopper.mail.token!;
    const artifact = [
      `curl 'http://localhost${shopper.path}' -X POST -H 'cookie: __Host-visitor_check=1; __Host-visitor_session=${sessionToken}' -H 'origin: http://localhost'`,
      JSON.stringify({
        request: {
          url: `http://localhost${shopper.path}`,
          postData: { text: JSON.stringify({ email: 'har@example.com', code: shopper.mail.code }) },
        },
        response: { headers: [{ name: 'x-request-id', value: shopper.requestId }] },
      }),
    ].join('\n');
    const response = await report(
      {
        summary: `code ${shopper.mail.code} did not work`,
        details: `I pasted ${linkToken} and my code: ${shopper.mail.code}. Order 123456.`,
        requestId: shopper.requestId,
        sessionId: shopper.sessionId,
        reproArtifact: artifact,
      },
      { jar: shopper.jar, headers: { origin: 'http://localhost' } },
    );
    expect(response.status).toBe(201);
    const { reportId } = (await response.json()) as { reportId: string };
    const story = await lookupBody(shopper.requestId);
    const stored = story.reports.find((r) => r.reportId === reportId)!;
    expect(stored.citedRequestId).toBe(shopper.requestId);
    expect(stored.visitorId).toBe(shopper.visitorId);
    for (const secret of [sessionToken, linkToken, shopper.mail.code!, linkToken.split('.')[0]!.slice(4)]) {
      expect(JSON.stringify(stored)).not.toContain(secret);
    }
    expect(stored.summary).toBe('code [redacted] did not work');
    expect(stored.details).toBe('I pasted vml_[redacted] and my code: [redacted]. Order 123456.');
    expect(stored.reproArtifact).toContain("cookie: __Host-visitor_check=[redacted]; __Host-visitor_session=[redacted]'");
    expect(stored.reproArtifact).toContain('/_edge/visitor/access/t/[redacted]');
    expect(stored.reproArtifact).toContain(shopper.requestId); // request ids survive
    // A session token pasted as the session id is redacted too; and no secret is anywhere in the table.
    expect((await report({ sessionId: sessionToken })).status).toBe(201);
    const rows = await h.db.many<{ row: unknown }>(sql`select to_jsonb(r) as row from support_reports r`);
    expect(JSON.stringify(rows)).not.toContain(sessionToken);
    // The report's own request shows it was filed by this visitor.
    const own = await lookupBody(response.headers.get('x-request-id')!);
    expect(own.audit[0]).toMatchObject({ kind: 'report_filed', actor: 'visitor' });
    expect(own.visitor?.id).toBe(shopper.visitorId);
  });

  it('never fails because of a bad, foreign or cross-site session: the report is filed anonymously', async () => {
    const shopper = await signInShopper('bad-session@example.com');
    const forged = new CookieJar();
    forged.values.set('__Host-visitor_session', 'vs_forged.forged');
    expect((await h.json('/v2/visitor/auth/magic-link', { email: 'elsewhere@example.com' }, { host: 'other.test' })).status).toBe(202);
    await h.deliver();
    const otherMail = h.mail.to('elsewhere@example.com').at(-1)!;
    const verified = await h.json(
      '/v2/visitor/auth/verify',
      { handle: 'other', email: 'elsewhere@example.com', code: otherMail.code, delivery: 'bearer' },
      { host: SERVICE_HOST },
    );
    expect(verified.status).toBe(200);
    const { sessionToken: otherSession } = (await verified.json()) as { sessionToken: string };
    const attempts = [
      report({}, { jar: forged, headers: { origin: 'http://localhost' } }),
      report({}, { host: SERVICE_HOST, headers: bearer(otherSession) }),
      report({}, { jar: shopper.jar, headers: { origin: 'https://evil.example' } }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(201);
      const own = await lookupBody(response.headers.get('x-request-id')!);
      expect(own.audit[0]).toMatchObject({ kind: 'report_filed', actor: 'anonymous' });
      expect(own.visitor).toBeNull();
    }
    // A bearer session of this tenant on the service host is attached.
    const bearerMail = await h.requestLink('bearer-shopper@example.com');
    const bearerVerify = await h.json(
      '/v2/visitor/auth/verify',
      { handle: 'gharart', email: 'bearer-shopper@example.com', code: bearerMail.code, delivery: 'bearer' },
      { host: SERVICE_HOST },
    );
    const { sessionToken } = (await bearerVerify.json()) as { sessionToken: string };
    const attached = await report({}, { host: SERVICE_HOST, headers: bearer(sessionToken) });
    expect(attached.status).toBe(201);
    expect((await lookupBody(attached.headers.get('x-request-id')!)).audit[0]).toMatchObject({ actor: 'visitor' });
  });

  it('answers 404 unknown_handle for an unknown handle, and 400 without one on the service host', async () => {
    const unknown = await report({ handle: 'no-such-shop' }, { host: SERVICE_HOST });
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).code).toBe('unknown_handle');
    const missing = await report({ handle: undefined }, { host: SERVICE_HOST });
    expect(missing.status).toBe(400);
  });

  it('validates sizes: body over 80 KiB → 413, summary over 200 characters or artifact over 64 KiB → 400 invalid_request', async () => {
    const tooBig = await report({ reproArtifact: 'x'.repeat(81 * 1024) });
    expect(tooBig.status).toBe(413);
    expect((await problem(tooBig)).code).toBe('payload_too_large');
    const fullArtifact = await report({ reproArtifact: 'x'.repeat(64 * 1024), details: 'd'.repeat(8 * 1024) });
    expect(fullArtifact.status).toBe(201);
    const longSummary = await report({ summary: 's'.repeat(201) });
    expect(longSummary.status).toBe(400);
    const body = await problem(longSummary);
    expect(body.code).toBe('invalid_request');
    expect(body.errors?.map((e) => e.path)).toEqual(['summary']);
    expect((await report({ summary: 'é'.repeat(200) })).status).toBe(201); // characters, not bytes
    const several = await problem(
      await report({ reproArtifact: 'x'.repeat(64 * 1024 + 1), details: 'd'.repeat(8 * 1024 + 1), requestId: 'not an id' }),
    );
    expect(several.errors?.map((e) => e.path).sort()).toEqual(['details', 'reproArtifact', 'requestId']);
    const wrongType = await report({ summary: 42 });
    expect(wrongType.status).toBe(400);
    expect((await problem(wrongType)).code).toBe('invalid_request');
    expect((await report({ summary: '   ' })).status).toBe(400);
  });

  it('limits reports to 10 an hour per IP: then 429 rate_limited with Retry-After and RateLimit headers', async () => {
    h.clock.advance(3600 - ((h.clock.now().getTime() / 1000) % 3600)); // start of a window
    const ip = freshIp();
    // Malformed requests are refused before the limit and do not count.
    expect((await report({ summary: '' }, { ip })).status).toBe(400);
    for (let i = 0; i < 10; i++) {
      const response = await report({}, { ip });
      expect(response.status).toBe(201);
      expect(response.headers.get('ratelimit')).toStartWith(`"per-ip";r=${9 - i};`);
    }
    const limited = await report({}, { ip });
    expect(limited.status).toBe(429);
    expect((await problem(limited)).code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-policy')).toBe('"per-ip";q=10;w=3600, "per-handle-daily";q=200;w=86400');
    expect(limited.headers.get('ratelimit')).toMatch(/^"per-ip";r=0;t=\d+, "per-handle-daily";r=\d+;t=\d+$/);
    expect((await report({}, { ip: freshIp() })).status).toBe(201); // another IP is not affected
    h.clock.advance(3600);
    expect((await report({}, { ip })).status).toBe(201);
  });

  it('limits reports per handle per UTC day: then 429 daily_limit_reached with resetAt', async () => {
    const quiet = await insertTestTenant(h.db, 'quiet');
    await setOverride(h.db, quiet.id, 'support-report:per-handle-daily', 3);
    h.deps.limiter.policies.clear();
    h.clock.advance(86400 - ((h.clock.now().getTime() / 1000) % 86400)); // start of a UTC day
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await report({ handle: 'quiet' }, { host: SERVICE_HOST })).status);
    expect(statuses).toEqual([201, 201, 201]);
    const limited = await report({ handle: 'quiet' }, { host: SERVICE_HOST });
    expect(limited.status).toBe(429);
    const body = await problem(limited);
    expect(body.code).toBe('daily_limit_reached');
    const nextDay = new Date((Math.floor(h.clock.now().getTime() / 86_400_000) + 1) * 86_400_000).toISOString();
    expect(body.resetAt).toBe(nextDay);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit')).toContain('"per-handle-daily";r=0;');
    // Other storefronts are not affected; the next day the quota is back.
    expect((await report({ handle: 'gharart' }, { host: SERVICE_HOST })).status).toBe(201);
    h.clock.advance(86400);
    expect((await report({ handle: 'quiet' }, { host: SERVICE_HOST })).status).toBe(201);
  });

  it('replays an Idempotency-Key: same answer, Idempotent-Replayed: true, no second report', async () => {
    const ip = freshIp();
    const summary = `idempotent ${crypto.randomUUID()}`;
    const first = await report({ summary }, { ip, headers: { 'idempotency-key': 'report-001' } });
    expect(first.status).toBe(201);
    const again = await report({ summary }, { ip, headers: { 'idempotency-key': 'report-001' } });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    const [row] = await h.db.many<{ count: number }>(sql`select count(*)::int as count from support_reports where summary = ${summary}`);
    expect(row!.count).toBe(1);
  });

  it('takes browser forms: CSRF-checked, 303 to a confirmation page', async () => {
    const sent = await h.form(
      '/v2/support/report',
      { handle: 'gharart', summary: 'From the help page', details: 'It says expired.', sessionId: '', requestId: '' },
      { ip: freshIp() },
    );
    expect(sent.status).toBe(303);
    const location = sent.headers.get('location')!;
    expect(location).toStartWith('/_edge/visitor/support/report-sent?');
    const page = await h.fetch(location);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain(new URLSearchParams(location.split('?')[1]).get('reportId')!);
    const crossSite = await h.form(
      '/v2/support/report',
      { handle: 'gharart', summary: 'x', details: 'y' },
      { ip: freshIp(), headers: { origin: 'https://evil.example' } },
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('content-type')).toContain('text/html');
    expect(await crossSite.text()).toContain('csrf_rejected');
  });
});

describe('POST /v2/operator/escalations', () => {
  it('answers 401 unauthorized without a credential or with an invalid one', async () => {
    for (const headers of [
      {},
      bearer(`vapat_${'A'.repeat(43)}`),
      bearer('vs_forged.forged'),
      bearer('eyJhbGciOiJIUzI1NiJ9.e30.x'),
      { authorization: 'Basic b3BzOnB3' },
    ]) {
      const response = await escalate({}, headers);
      expect(response.status).toBe(401);
      expect((await problem(response)).code).toBe('unauthorized');
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
    }
    // The audience rule comes before the body: a stranger's form or bad field learns nothing else.
    const form = await h.fetch('/v2/operator/escalations', {
      host: SERVICE_HOST,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'severity=nope',
    });
    expect(form.status).toBe(401);
    expect((await escalate({ severity: 42 }, bearer(tenantPat))).status).toBe(403);
  });

  it('answers 403 wrong_audience, pointing to the support and content-report routes, for every other caller', async () => {
    const shopper = await signInShopper('wrong-audience@example.com');
    const bearerMail = await h.requestLink('wrong-audience-bearer@example.com');
    const verified = await h.json(
      '/v2/visitor/auth/verify',
      { handle: 'gharart', email: 'wrong-audience-bearer@example.com', code: bearerMail.code, delivery: 'bearer' },
      { host: SERVICE_HOST },
    );
    expect(verified.status).toBe(200);
    const { sessionToken } = (await verified.json()) as { sessionToken: string };
    const callers: [string, Promise<Response>][] = [
      ['visitor cookie', escalate({}, { origin: 'http://localhost' }, { host: 'localhost', jar: shopper.jar })],
      ['visitor bearer', escalate({}, bearer(sessionToken))],
      ['tenant PAT', escalate({}, bearer(tenantPat))],
      ['storefront JWT', escalate({}, bearer(await storefrontJwt()))],
      ['operator:read only', escalate({}, bearer(readOnly))],
    ];
    for (const [who, pending] of callers) {
      const response = await pending;
      const body = await problem(response);
      expect([who, response.status, body.code, body.requiredScope]).toEqual([who, 403, 'wrong_audience', 'operator:escalate']);
      expect(body.detail).toContain('/v2/support/report');
      expect(body.detail).toContain('/v2/public/content-report');
    }
  });

  it('files an escalation with operator:escalate: 201 {escalationId, requestId}, audited as the operator', async () => {
    const filed = await report({ summary: 'Escalate me', requestId: 'req_escalation0000000000001' });
    const { reportId } = (await filed.json()) as { reportId: string };
    const response = await escalate({ reportId, requestId: 'req_escalation0000000000001', severity: 'critical' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { escalationId: string; requestId: string };
    expect(Object.keys(body).sort()).toEqual(['escalationId', 'requestId']);
    expect(body.requestId).toBe(response.headers.get('x-request-id')!);
    const cited = await lookupBody('req_escalation0000000000001');
    expect(cited.reports.map((r) => r.reportId)).toEqual([reportId]);
    expect(cited.escalations).toEqual([
      expect.objectContaining({ escalationId: body.escalationId, reportId, severity: 'critical', filedBy: `operator:${operator.id}` }),
    ]);
    const own = await lookupBody(body.requestId);
    expect(own.audit).toEqual([expect.objectContaining({ kind: 'escalation_filed', actor: `operator:${operator.id}` })]);
    expect(own.tenant?.handle).toBe('gharart'); // from the report
    // Neither reportId nor requestId is required.
    expect((await escalate({ summary: 'Outbox stuck for all tenants', severity: 'medium' }, bearer(escalateOnly))).status).toBe(201);
  });

  it('validates the body: severity, ids, unknown report (404), JSON only (415)', async () => {
    const badSeverity = await problem(await escalate({ severity: 'urgent' }));
    expect(badSeverity.code).toBe('invalid_request');
    expect(badSeverity.errors?.map((e) => e.path)).toEqual(['severity']);
    const badIds = await problem(await escalate({ reportId: 'nope', requestId: 'x' }));
    expect(badIds.errors?.map((e) => e.path).sort()).toEqual(['reportId', 'requestId']);
    const unknown = await escalate({ reportId: crypto.randomUUID() });
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).code).toBe('not_found');
    const form = await h.fetch('/v2/operator/escalations', {
      host: SERVICE_HOST,
      method: 'POST',
      headers: { ...bearer(operator.token), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'summary=x&severity=low',
    });
    expect(form.status).toBe(415);
  });
});

describe('POST /v2/public/content-report', () => {
  it('takes an abuse report without credentials: 202 {reportId, requestId}', async () => {
    const response = await h.json(
      '/v2/public/content-report',
      {
        handle: 'gharart',
        url: 'https://gharart.example/content/stolen-artwork',
        reason: 'copyright',
        details: 'This is my painting.',
        reporterEmail: ' Artist@Example.COM ',
      },
      { ip: freshIp() },
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { reportId: string; requestId: string };
    expect(Object.keys(body).sort()).toEqual(['reportId', 'requestId']);
    expect(response.headers.get('ratelimit-policy')).toBe('"per-ip";q=10;w=3600');
    const own = await lookupBody(body.requestId);
    expect(own.audit).toEqual([expect.objectContaining({ kind: 'content_report_filed', actor: 'anonymous' })]);
    expect(own.contentReports).toEqual([
      expect.objectContaining({ reportId: body.reportId, url: 'https://gharart.example/content/stolen-artwork', reason: 'copyright' }),
    ]);
    const [row] = await h.db.many<{ reporter_email: string }>(
      sql`select reporter_email from content_reports where id = ${body.reportId}::uuid`,
    );
    expect(row!.reporter_email).toBe('artist@example.com');
  });

  it('validates url (http/https, ≤ 2048) and reporterEmail', async () => {
    const send = (body: Record<string, unknown>) =>
      h.json(
        '/v2/public/content-report',
        { handle: 'gharart', url: 'https://gharart.example/x', reason: 'spam', ...body },
        { ip: freshIp() },
      );
    for (const url of [
      'javascript:alert(1)',
      'ftp://gharart.example/x',
      '/content/x',
      'https://',
      `https://gharart.example/${'a'.repeat(2048)}`,
      'https://gharart.example/a b',
    ]) {
      const body = await problem(await send({ url }));
      expect([url.slice(0, 40), body.code, body.errors?.[0]?.path]).toEqual([url.slice(0, 40), 'invalid_request', 'url']);
    }
    expect((await problem(await send({ reporterEmail: 'not-an-email' }))).code).toBe('invalid_email');
    expect((await problem(await send({ reason: '' }))).code).toBe('invalid_request');
    expect((await problem(await send({ handle: 'no-such-shop' }))).code).toBe('wrong_tenant'); // on an edge host, the host decides
  });

  it('limits content reports to 10 an hour per IP', async () => {
    h.clock.advance(3600 - ((h.clock.now().getTime() / 1000) % 3600));
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await h.json(
        '/v2/public/content-report',
        { handle: 'gharart', url: `https://gharart.example/p/${i}`, reason: 'spam' },
        { ip },
      );
      statuses.push(response.status);
      if (i === 10) {
        expect((await problem(response)).code).toBe('rate_limited');
        expect(response.headers.get('ratelimit')).toMatch(/^"per-ip";r=0;t=\d+$/);
      }
    }
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
  });
});

describe('GET /v2/operator/requests/{requestId}', () => {
  it('tells the story of a sign-in request: route, status, tenant, visitor, mail, audit, the requests around it, reports citing it', async () => {
    const shopper = await signInShopper('story@example.com');
    const filed = await report(
      { summary: 'Signed in but no access', requestId: shopper.requestId },
      { jar: shopper.jar, headers: { origin: 'http://localhost' } },
    );
    const { reportId } = (await filed.json()) as { reportId: string };
    const story = await lookupBody(shopper.requestId);
    expect(story.requestId).toBe(shopper.requestId);
    expect(story.route).toEqual({ method: 'POST', path: '/v2/visitor/auth/magic-link' });
    expect(story.status).toBe(202);
    expect(story.code).toBeNull();
    expect(story.tenant).toEqual({ id: h.gharart.id, handle: 'gharart' });
    expect(story.visitor).toEqual({ id: shopper.visitorId, email: 'story@example.com' });
    expect(typeof story.timings.durationMs).toBe('number');
    expect(Date.parse(story.timings.at)).not.toBeNaN();
    expect(story.mail).toEqual([expect.objectContaining({ status: 'sent', attempts: 1, lastError: null })]);
    expect(story.mail[0]!.sentAt).not.toBeNull();
    expect(story.audit.map((a) => a.kind).sort()).toEqual(['mail_sent', 'sign_in_requested']);
    const around = story.relatedRequests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(around).toEqual(
      expect.arrayContaining([
        'GET /_edge/visitor/access/t/[redacted] 200',
        'POST /_edge/visitor/access/t/[redacted] 303',
        'GET /v2/visitor/me 200',
        'POST /v2/support/report 201',
      ]),
    );
    expect(story.relatedRequests.map((r) => r.requestId)).toEqual(expect.arrayContaining([shopper.openedId, shopper.confirmedId]));
    expect(story.relatedRequests.map((r) => r.requestId)).not.toContain(shopper.requestId);
    expect(story.reports).toEqual([
      expect.objectContaining({ reportId, summary: 'Signed in but no access', citedRequestId: shopper.requestId }),
    ]);
    // Never a secret.
    const text = JSON.stringify(story);
    for (const secret of [shopper.mail.token!, shopper.mail.code!, shopper.jar.values.get('__Host-visitor_session')!])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/token_hash|code_hash|payload|to_address/);
  });

  it("shows a replayed link's security event on its request, and on the sign-in request around it", async () => {
    const shopper = await signInShopper('replay@example.com');
    const replay = await h.fetch(shopper.path, { jar: new CookieJar() });
    expect(replay.status).toBe(409);
    const replayId = replay.headers.get('x-request-id')!;
    const onReplay = await lookupBody(replayId);
    expect(onReplay.status).toBe(409);
    expect(onReplay.securityEvents).toEqual([
      expect.objectContaining({ kind: 'used_link_replayed', requestId: replayId, sameRequest: true }),
    ]);
    expect(onReplay.audit.map((a) => a.kind)).toEqual(['link_replayed']);
    const onSignIn = await lookupBody(shopper.requestId);
    expect(onSignIn.securityEvents).toEqual([
      expect.objectContaining({ kind: 'used_link_replayed', requestId: replayId, sameRequest: false }),
    ]);
    // Outside ±10 minutes it is no longer "around" a later request.
    h.clock.advance(11 * 60);
    const later = await h.fetch('/v2/visitor/me', { jar: shopper.jar });
    const afterwards = await lookupBody(later.headers.get('x-request-id')!);
    expect(afterwards.securityEvents).toEqual([]);
    expect(afterwards.relatedRequests.map((r) => r.requestId)).not.toContain(replayId);
  });

  it('finds a request known only from the audit trail and the outbox (its log row not written)', async () => {
    const requested = await h.json('/v2/visitor/auth/magic-link', { email: 'unlogged@example.com' });
    const { requestId } = (await requested.json()) as { requestId: string };
    await h.deliver();
    await h.deps.requestLog.flush();
    await h.db.many(sql`delete from request_log where request_id = ${requestId}`); // as if lost in a crash
    const story = await lookupBody(requestId);
    expect(story.logged).toBe(false);
    expect(story.route).toBeNull();
    expect(story.tenant?.handle).toBe('gharart');
    expect(story.visitor?.email).toBe('unlogged@example.com');
    expect(story.mail.map((m) => m.status)).toEqual(['sent']);
    expect(story.audit.map((a) => a.kind).sort()).toEqual(['mail_sent', 'sign_in_requested']);
  });

  it('answers 404 not_found for an unknown or malformed id', async () => {
    for (const id of ['req_000000000000000000000000', 'x', 'bad%20id']) {
      const response = await lookup(id);
      expect(response.status).toBe(404);
      expect((await problem(response)).code).toBe('not_found');
    }
  });

  it('needs operator:read: 401 without a credential, 403 wrong_audience for everyone else', async () => {
    const requested = await h.json('/v2/visitor/auth/magic-link', { email: 'scope@example.com' });
    const { requestId } = (await requested.json()) as { requestId: string };
    expect((await lookup(requestId, readOnly)).status).toBe(200);
    const anonymous = await h.fetch(`/v2/operator/requests/${requestId}`, { host: SERVICE_HOST });
    expect(anonymous.status).toBe(401);
    expect((await problem(anonymous)).code).toBe('unauthorized');
    const shopper = await signInShopper('scope-shopper@example.com');
    const asShopper = await h.fetch(`/v2/operator/requests/${requestId}`, { jar: shopper.jar });
    for (const response of [
      await lookup(requestId, escalateOnly),
      await lookup(requestId, tenantPat),
      await lookup(requestId, await storefrontJwt()),
      asShopper,
    ]) {
      expect(response.status).toBe(403);
      expect(await problem(response)).toMatchObject({ code: 'wrong_audience', requiredScope: 'operator:read' });
    }
  });
});
