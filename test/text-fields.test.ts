// One rule for every text field of every route, black-box through the real app: a NUL, another C0
// control, an unpaired surrogate or an overlong string is a 400 invalid_request naming the field —
// never a 500 (PostgreSQL refuses NUL in text and jsonb, so the 500 only shows there). The table
// below lists every route the app serves; a route missing from it fails the test.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { upsertOperator } from '../src/console/operators.ts';
import { createPat } from '../src/credentials/pats.ts';
import { sql } from '../src/db/sql.ts';
import { DEFAULT_MAX_CHARS } from '../src/http/text-fields.ts';
import { ARTIFACT_MAX_BYTES, DETAILS_MAX_BYTES } from '../src/support/reports.ts';
import { CONSOLE_ORIGIN, ConsoleClient, csrfOf } from './console-client.ts';
import { CookieJar, Harness, SERVICE_HOST } from './support/harness.ts';

let h: Harness;
let pat: string;
let operatorPat: string;
let visitor: CookieJar;
let linkToken: string;
let consoleClient: ConsoleClient;
/** A browser before console sign-in: its test cookie doubles as the sign-in form's CSRF token. */
let preSession: { jar: CookieJar; csrf: string };

let ipCounter = 0;
const freshIp = () => `198.51.100.${(++ipCounter % 250) + 1}`;

beforeAll(async () => {
  h = await Harness.start();
  pat = (
    await createPat(h.db, {
      tenantId: h.gharart.id,
      name: 'shop',
      scopes: ['access:read', 'access:write', 'webhooks:read', 'webhooks:write', 'handoff:write'],
    })
  ).token;
  operatorPat = (await createPat(h.db, { tenantId: null, name: 'ops', scopes: ['operator:read', 'operator:escalate'] })).token;
  visitor = (await h.signIn('text-fields@example.com')).jar;
  linkToken = Harness.pathOf((await h.requestLink('text-fields@example.com')).link!)
    .split('/')
    .at(-1)!;
  await upsertOperator(h.db, { email: 'admin@ops.test', role: 'admin', tenantIds: [], now: h.clock.now() });
  consoleClient = await new ConsoleClient(h, 'admin@ops.test', '203.0.113.10').signIn();
  const jar = new CookieJar();
  const page = await h.fetch('/console/sign-in', { host: SERVICE_HOST, jar, headers: { accept: 'text/html' } });
  preSession = { jar, csrf: csrfOf(await page.text()) };
});
afterAll(() => h.close());

// ——— how each route is called with one field replaced ———

type Send = (field: string, value: string) => Promise<Response>;
/**
 * `json`: a JSON body field; `query`, `param`: decoded from the URL; `form`: a browser form field;
 * `raw`: a wildcard path tail, which Elysia hands over still percent-encoded (so never a NUL).
 */
type Carrier = 'json' | 'query' | 'param' | 'form' | 'raw';
type Route = { fields: Record<string, Carrier>; send: Send };

/** A value for a URL: an unpaired surrogate has no UTF-8 form, so its (invalid) bytes are sent as is. */
function enc(value: string): string {
  return value.isWellFormed() ? encodeURIComponent(value) : '%ED%A0%80';
}

function withQuery(path: string, base: Record<string, string>, field: string, value: string): string {
  const pairs = Object.entries({ ...base, [field]: value }).map(([k, v]) => `${k}=${enc(v)}`);
  return `${path}?${pairs.join('&')}`;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function json(
  method: string,
  path: string,
  base: Record<string, unknown>,
  init: { host?: string; headers?: Record<string, string>; jar?: CookieJar } = {},
): Send {
  return (field, value) =>
    h.fetch(path, {
      method,
      host: init.host,
      jar: init.jar,
      ip: freshIp(),
      headers: { 'content-type': 'application/json', origin: 'http://localhost', ...init.headers },
      body: JSON.stringify({ ...base, [field]: value }),
    });
}

/** A GET whose query fields are `base` with one replaced (fields not in base are added). */
function query(
  path: string,
  base: Record<string, string>,
  init: { host?: string; headers?: Record<string, string>; jar?: CookieJar } = {},
): Send {
  return (field, value) => h.fetch(withQuery(path, base, field, value), { ...init, ip: freshIp() });
}

/** A form post whose fields are `base` with one replaced; sent URL-encoded like a browser. */
function form(
  path: (field: string, value: string) => string,
  base: () => Record<string, string>,
  jar: () => CookieJar,
  origin = CONSOLE_ORIGIN,
): Send {
  return (field, value) => {
    const fields = { ...base(), [field]: value };
    const body = Object.entries(fields)
      .map(([k, v]) => `${k}=${enc(v)}`)
      .join('&');
    return h.fetch(path(field, value), {
      method: 'POST',
      host: SERVICE_HOST,
      ip: '203.0.113.10',
      jar: jar(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body,
    });
  };
}

/** A path with `:name` params filled: the field under test gets `value`, the others `valid`. */
function fill(template: string, valid: Record<string, string>, field: string, value: string): string {
  return template.replace(/:(\w+)|\*$/g, (_match, name: string | undefined) => {
    const key = name ?? '*';
    return enc(key === field ? value : valid[key]!);
  });
}

const SHOP = { host: SERVICE_HOST, headers: {} as Record<string, string> };
/** A signed-in operator's GET: a param of `valid` or a query field of `base` replaced. */
function consoleGet(template: string, valid: Record<string, string>, base: Record<string, string>): Send {
  return (field, value) => {
    const inPath = field in valid;
    const path = fill(template, valid, inPath ? field : '', value);
    const pairs = Object.entries(inPath ? base : { ...base, [field]: value }).map(([k, v]) => `${k}=${enc(v)}`);
    return h.fetch(pairs.length ? `${path}?${pairs.join('&')}` : path, { host: SERVICE_HOST, ip: '203.0.113.10', jar: consoleClient.jar });
  };
}
const GRANT_FIELDS = {
  email: 'query',
  session: 'query',
  resource: 'query',
  kind: 'query',
  title: 'query',
  orderId: 'query',
  expiresAt: 'query',
  report: 'query',
} as const;
const GRANT_BASE = {
  email: 'text-fields@example.com',
  resource: '/orders/A-1',
  kind: 'order',
  title: 'Order A-1',
  orderId: 'A-1',
  expiresAt: '',
  session: '',
  report: '',
};

const ROUTES: Record<string, Route> = {
  'GET /healthz': { fields: {}, send: () => h.fetch('/healthz') },
  'GET /readyz': { fields: {}, send: () => h.fetch('/readyz') },
  'GET /metrics': { fields: {}, send: () => h.fetch('/metrics', { host: SERVICE_HOST }) },
  'GET /openapi.json': { fields: {}, send: () => h.fetch('/openapi.json', { host: SERVICE_HOST }) },
  'GET /docs/errors': { fields: {}, send: () => h.fetch('/docs/errors', { host: SERVICE_HOST }) },
  'GET /docs': { fields: {}, send: () => h.fetch('/docs', { host: SERVICE_HOST }) },
  'POST /v2/visitor/auth/magic-link': {
    fields: { handle: 'json', email: 'json', returnTo: 'json' },
    send: json('POST', '/v2/visitor/auth/magic-link', { handle: 'gharart', email: 'shopper@example.com', returnTo: '/content/a' }),
  },
  'GET /_edge/visitor/access/t/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.fetch(`/_edge/visitor/access/t/${enc(value)}`),
  },
  'POST /_edge/visitor/access/t/:token': {
    fields: { token: 'param', match: 'form' },
    send: (field, value) =>
      h.fetch(`/_edge/visitor/access/t/${enc(field === 'token' ? value : linkToken)}`, {
        method: 'POST',
        ip: freshIp(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
        body: field === 'match' ? `match=${enc(value)}` : '',
      }),
  },
  'GET /v2/visitor/auth/pending': { fields: {}, send: () => h.fetch('/v2/visitor/auth/pending', { ip: freshIp() }) },
  'GET /_edge/visitor/assets/pending.js': { fields: {}, send: () => h.fetch('/_edge/visitor/assets/pending.js') },
  'POST /_edge/visitor/access/t/:token/reissue': {
    fields: { token: 'param' },
    send: (_, value) => h.json(`/_edge/visitor/access/t/${enc(value)}/reissue`, {}, { ip: freshIp() }),
  },
  'POST /v2/visitor/auth/verify': {
    fields: { token: 'json', handle: 'json', email: 'json', code: 'json', delivery: 'json' },
    send: json('POST', '/v2/visitor/auth/verify', {
      handle: 'gharart',
      email: 'text-fields@example.com',
      code: '000000',
      delivery: 'bearer',
    }),
  },
  'GET /_edge/visitor/sign-in': { fields: { returnTo: 'query' }, send: query('/_edge/visitor/sign-in', { returnTo: '/content/a' }) },
  'GET /_edge/visitor/check-email': { fields: {}, send: () => h.fetch('/_edge/visitor/check-email') },
  'GET /v2/visitor/me': { fields: {}, send: () => h.fetch('/v2/visitor/me', { jar: visitor }) },
  'GET /v2/visitor/sessions': { fields: {}, send: () => h.fetch('/v2/visitor/sessions', { jar: visitor }) },
  'DELETE /v2/visitor/sessions/:id': {
    fields: { id: 'param' },
    send: (_, value) =>
      h.fetch(`/v2/visitor/sessions/${enc(value)}`, { method: 'DELETE', jar: visitor, headers: { origin: 'http://localhost' } }),
  },
  'POST /v2/visitor/auth/logout': { fields: { scope: 'json' }, send: json('POST', '/v2/visitor/auth/logout', { scope: 'current' }) },
  // A shopper's further addresses (visitors/routes.ts).
  'GET /v2/visitor/emails': { fields: {}, send: () => h.fetch('/v2/visitor/emails', { jar: visitor }) },
  'POST /v2/visitor/emails': {
    fields: { email: 'json' },
    send: (field, value) => json('POST', '/v2/visitor/emails', { email: 'added@example.com' }, { jar: visitor })(field, value),
  },
  'POST /v2/visitor/emails/verify': {
    fields: { email: 'json', code: 'json' },
    send: (field, value) =>
      json('POST', '/v2/visitor/emails/verify', { email: 'added@example.com', code: '000000' }, { jar: visitor })(field, value),
  },
  'DELETE /v2/visitor/emails/:email': {
    fields: { email: 'param' },
    send: (_, value) =>
      h.fetch(`/v2/visitor/emails/${enc(value)}`, { method: 'DELETE', jar: visitor, headers: { origin: 'http://localhost' } }),
  },
  'POST /v2/visitor/emails/:email/primary': {
    fields: { email: 'param' },
    send: (_, value) =>
      h.fetch(`/v2/visitor/emails/${enc(value)}/primary`, { method: 'POST', jar: visitor, headers: { origin: 'http://localhost' } }),
  },
  'GET /_edge/visitor/emails': { fields: {}, send: () => h.fetch('/_edge/visitor/emails', { jar: visitor }) },
  'POST /_edge/visitor/emails/add': {
    fields: { email: 'form' },
    send: (_, value) => h.form('/_edge/visitor/emails/add', { email: value }, { jar: visitor, ip: freshIp() }),
  },
  'POST /_edge/visitor/emails/verify': {
    fields: { email: 'form', code: 'form' },
    send: (field, value) =>
      h.form('/_edge/visitor/emails/verify', { email: 'added@example.com', code: '000000', [field]: value }, { jar: visitor }),
  },
  'POST /_edge/visitor/emails/primary': {
    fields: { email: 'form' },
    send: (_, value) => h.form('/_edge/visitor/emails/primary', { email: value }, { jar: visitor }),
  },
  'POST /_edge/visitor/emails/remove': {
    fields: { email: 'form' },
    send: (_, value) => h.form('/_edge/visitor/emails/remove', { email: value }, { jar: visitor }),
  },
  'GET /_edge/visitor/emails/t/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.fetch(`/_edge/visitor/emails/t/${enc(value)}`, { ip: freshIp() }),
  },
  'POST /_edge/visitor/emails/t/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.form(`/_edge/visitor/emails/t/${enc(value)}`, {}, { ip: freshIp() }),
  },
  'GET /_edge/visitor/emails/revert/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.fetch(`/_edge/visitor/emails/revert/${enc(value)}`, { ip: freshIp() }),
  },
  'POST /_edge/visitor/emails/revert/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.form(`/_edge/visitor/emails/revert/${enc(value)}`, {}, { ip: freshIp() }),
  },
  'POST /v2/visitor/passkeys/registration/options': {
    fields: {},
    send: () =>
      h.fetch('/v2/visitor/passkeys/registration/options', { method: 'POST', jar: visitor, headers: { origin: 'http://localhost' } }),
  },
  'POST /v2/visitor/passkeys/registration/verify': {
    fields: { credential: 'json' },
    send: (field, value) => json('POST', '/v2/visitor/passkeys/registration/verify', { credential: {} }, { jar: visitor })(field, value),
  },
  'POST /v2/visitor/auth/passkey/options': {
    fields: {},
    send: () => h.fetch('/v2/visitor/auth/passkey/options', { method: 'POST', ip: freshIp(), headers: { origin: 'http://localhost' } }),
  },
  'POST /v2/visitor/auth/passkey/verify': {
    fields: { credential: 'json', returnTo: 'json' },
    send: json('POST', '/v2/visitor/auth/passkey/verify', { credential: {}, returnTo: '/content/a' }),
  },
  'GET /_edge/visitor/passkeys/new': {
    fields: { returnTo: 'query' },
    send: query('/_edge/visitor/passkeys/new', { returnTo: '/content/a' }),
  },
  'GET /_edge/visitor/assets/passkeys.js': { fields: {}, send: () => h.fetch('/_edge/visitor/assets/passkeys.js') },
  'GET /v2/visitor/passkeys': { fields: {}, send: () => h.fetch('/v2/visitor/passkeys', { jar: visitor }) },
  'DELETE /v2/visitor/passkeys/:id': {
    fields: { id: 'param' },
    send: (_, value) =>
      h.fetch(`/v2/visitor/passkeys/${enc(value)}`, { method: 'DELETE', jar: visitor, headers: { origin: 'http://localhost' } }),
  },
  'GET /v2/visitor/export': { fields: {}, send: () => h.fetch('/v2/visitor/export', { jar: visitor }) },
  'GET /_edge/visitor/delete': { fields: { sent: 'query', error: 'query' }, send: query('/_edge/visitor/delete', { sent: '1' }) },
  'GET /_edge/visitor/deleted': { fields: {}, send: () => h.fetch('/_edge/visitor/deleted') },
  'POST /v2/visitor/delete/code': {
    fields: {},
    send: () => h.json('/v2/visitor/delete/code', {}, { jar: visitor, headers: { origin: 'http://localhost' } }),
  },
  'POST /v2/visitor/delete': {
    fields: { code: 'json' },
    send: (field, value) =>
      json('POST', '/v2/visitor/delete', { code: '000000' }, { jar: visitor, headers: { origin: 'http://localhost' } })(field, value),
  },
  'DELETE /v2/access/visitors': {
    fields: { email: 'query', handle: 'query' },
    send: (field, value) =>
      h.fetch(withQuery('/v2/access/visitors', { email: 'nobody@example.com', handle: 'gharart' }, field, value), {
        method: 'DELETE',
        host: SERVICE_HOST,
        headers: bearer(pat),
      }),
  },
  'PUT /v2/access/grants': {
    fields: { handle: 'json', email: 'json', resource: 'json', kind: 'json', title: 'json', orderId: 'json', expiresAt: 'json' },
    send: json(
      'PUT',
      '/v2/access/grants',
      { handle: 'gharart', email: 'text-fields@example.com', resource: '/orders/A-1', kind: 'order', title: 'Order A-1', orderId: 'A-1' },
      {
        host: SERVICE_HOST,
        get headers() {
          return bearer(pat);
        },
      },
    ),
  },
  'GET /v2/access/grants': {
    fields: { email: 'query', handle: 'query' },
    send: (field, value) =>
      query(
        '/v2/access/grants',
        { email: 'nobody-signed-in@example.com', handle: 'gharart' },
        { ...SHOP, headers: bearer(pat) },
      )(field, value),
  },
  'DELETE /v2/access/grants': {
    fields: { handle: 'json', email: 'json', resource: 'json' },
    send: (field, value) =>
      json(
        'DELETE',
        '/v2/access/grants',
        { handle: 'gharart', email: 'nobody@example.com', resource: '/orders/none' },
        { host: SERVICE_HOST, headers: bearer(pat) },
      )(field, value),
  },
  'POST /v2/access/handoffs': {
    fields: { handle: 'json', email: 'json', orderId: 'json', returnTo: 'json' },
    send: (field, value) =>
      json(
        'POST',
        '/v2/access/handoffs',
        { handle: 'gharart', email: 'text-fields@example.com', orderId: 'A-1', returnTo: '/orders/A-1' },
        { host: SERVICE_HOST, headers: bearer(pat) },
      )(field, value),
  },
  'GET /_edge/visitor/access/h/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.fetch(`/_edge/visitor/access/h/${enc(value)}`, { ip: freshIp() }),
  },
  'POST /_edge/visitor/access/h/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.form(`/_edge/visitor/access/h/${enc(value)}`, {}, { ip: freshIp() }),
  },
  'POST /v2/access/orders/:orderId/revoke': {
    fields: { orderId: 'param' },
    send: (_, value) => h.json(`/v2/access/orders/${enc(value)}/revoke`, {}, { host: SERVICE_HOST, headers: bearer(pat) }),
  },
  'POST /v2/access/visitors/sign-out': {
    fields: { email: 'json', handle: 'json' },
    send: (field, value) =>
      json(
        'POST',
        '/v2/access/visitors/sign-out',
        { email: 'nobody-signed-in@example.com', handle: 'gharart' },
        { host: SERVICE_HOST, headers: bearer(pat) },
      )(field, value),
  },
  'POST /v2/webhooks/endpoints': {
    fields: { url: 'json', description: 'json' },
    send: (field, value) =>
      json(
        'POST',
        '/v2/webhooks/endpoints',
        { url: 'http://localhost:9/hook', events: ['*'], description: 'text fields' },
        { host: SERVICE_HOST, headers: bearer(pat) },
      )(field, value),
  },
  'GET /v2/webhooks/endpoints': { fields: {}, send: () => h.fetch('/v2/webhooks/endpoints', { ...SHOP, headers: bearer(pat) }) },
  'DELETE /v2/webhooks/endpoints/:id': {
    fields: { id: 'param' },
    send: (_, value) => h.fetch(`/v2/webhooks/endpoints/${enc(value)}`, { method: 'DELETE', host: SERVICE_HOST, headers: bearer(pat) }),
  },
  'POST /v2/webhooks/endpoints/:id/rotate-secret': {
    fields: { id: 'param' },
    send: (_, value) =>
      h.fetch(`/v2/webhooks/endpoints/${enc(value)}/rotate-secret`, { method: 'POST', host: SERVICE_HOST, headers: bearer(pat) }),
  },
  'GET /v2/visitor/access': {
    fields: { email: 'query' },
    send: (field, value) => query('/v2/visitor/access', { email: 'text-fields@example.com' }, { headers: bearer(pat) })(field, value),
  },
  'GET /_edge/visitor/diagnostics': {
    fields: { check: 'query' },
    send: query('/_edge/visitor/diagnostics', { check: '1' }, { headers: { accept: 'application/json' } }),
  },
  'POST /v2/support/report': {
    fields: { handle: 'json', summary: 'json', details: 'json', requestId: 'json', sessionId: 'json', reproArtifact: 'json' },
    send: json('POST', '/v2/support/report', {
      handle: 'gharart',
      summary: 'The link says it was used',
      details: 'I clicked once.',
      requestId: 'req_0123456789abcdef01234567',
      reproArtifact: 'curl -v …',
    }),
  },
  'POST /v2/public/content-report': {
    fields: { handle: 'json', url: 'json', reason: 'json', details: 'json', reporterEmail: 'json' },
    send: json('POST', '/v2/public/content-report', {
      handle: 'gharart',
      url: 'https://gharart.test/content/a',
      reason: 'Copyrighted',
      details: 'Mine.',
      reporterEmail: 'owner@example.com',
    }),
  },
  'GET /_edge/visitor/support/report-sent': {
    fields: { kind: 'query', reportId: 'query', requestId: 'query' },
    send: query('/_edge/visitor/support/report-sent', {
      kind: 'support',
      reportId: '00000000-0000-4000-8000-000000000000',
      requestId: 'req_0123456789abcdef01234567',
    }),
  },
  'POST /v2/operator/escalations': {
    fields: { reportId: 'json', requestId: 'json', summary: 'json', severity: 'json' },
    send: (field, value) =>
      json(
        'POST',
        '/v2/operator/escalations',
        { summary: 'Shopper locked out', severity: 'high', requestId: 'req_0123456789abcdef01234567' },
        { host: SERVICE_HOST, headers: bearer(operatorPat) },
      )(field, value),
  },
  'GET /v2/operator/requests/:requestId': {
    fields: { requestId: 'param' },
    send: (_, value) => h.fetch(`/v2/operator/requests/${enc(value)}`, { host: SERVICE_HOST, headers: bearer(operatorPat) }),
  },
  'GET /console/sign-in': {
    fields: { notice: 'query' },
    send: query('/console/sign-in', { notice: 'signed-out' }, { host: SERVICE_HOST }),
  },
  'POST /console/sign-in': {
    fields: { email: 'form', csrf: 'form' },
    send: form(
      () => '/console/sign-in',
      () => ({ email: 'nobody@ops.test', csrf: preSession.csrf }),
      () => preSession.jar,
    ),
  },
  'GET /console/check-email': { fields: {}, send: () => h.fetch('/console/check-email', { host: SERVICE_HOST }) },
  'GET /console/t/:token': {
    fields: { token: 'param' },
    send: (_, value) => h.fetch(`/console/t/${enc(value)}`, { host: SERVICE_HOST, jar: preSession.jar }),
  },
  'POST /console/t/:token': {
    fields: { token: 'param', csrf: 'form' },
    send: form(
      (field, value) => `/console/t/${enc(field === 'token' ? value : linkToken)}`,
      () => ({ csrf: preSession.csrf }),
      () => preSession.jar,
    ),
  },
  'ALL /console/t/:token/*': {
    fields: { token: 'param', '*': 'raw' },
    send: (field, value) => h.fetch(fill('/console/t/:token/*', { token: linkToken, '*': 'more' }, field, value), { host: SERVICE_HOST }),
  },
  'POST /console/sign-out': {
    fields: { csrf: 'form' },
    send: form(
      () => '/console/sign-out',
      () => ({ csrf: consoleClient.csrf }),
      () => consoleClient.jar,
    ),
  },
  'GET /console/': { fields: {}, send: () => h.fetch('/console/', { host: SERVICE_HOST, jar: consoleClient.jar }) },
  'GET /console/find': {
    fields: { tenant: 'query', email: 'query' },
    send: consoleGet('/console/find', {}, { tenant: 'gharart', email: 'text-fields@example.com' }),
  },
  'GET /console/tenants/:handle': {
    fields: { handle: 'param', ref: 'query' },
    send: consoleGet('/console/tenants/:handle', { handle: 'gharart' }, { ref: 'req_0123456789abcdef01234567' }),
  },
  'GET /console/tenants/:handle/shopper': {
    fields: { handle: 'param', email: 'query', ref: 'query' },
    send: consoleGet(
      '/console/tenants/:handle/shopper',
      { handle: 'gharart' },
      { email: 'text-fields@example.com', ref: 'req_0123456789abcdef01234567' },
    ),
  },
  'GET /console/tenants/:handle/confirm': {
    fields: { handle: 'param', action: 'query', ...GRANT_FIELDS },
    send: consoleGet('/console/tenants/:handle/confirm', { handle: 'gharart' }, { action: 'grant-add', ...GRANT_BASE }),
  },
  'POST /console/tenants/:handle/confirm': {
    fields: {
      handle: 'param',
      csrf: 'form',
      action: 'form',
      email: 'form',
      session: 'form',
      resource: 'form',
      kind: 'form',
      title: 'form',
      orderId: 'form',
      expiresAt: 'form',
      report: 'form',
    },
    send: form(
      (field, value) => fill('/console/tenants/:handle/confirm', { handle: 'gharart' }, field, value),
      () => ({ csrf: consoleClient.csrf, action: 'grant-add', ...GRANT_BASE }),
      () => consoleClient.jar,
    ),
  },
  'POST /console/tenants/:handle/actions/:action': {
    fields: {
      handle: 'param',
      action: 'param',
      csrf: 'form',
      email: 'form',
      session: 'form',
      resource: 'form',
      kind: 'form',
      title: 'form',
      orderId: 'form',
      expiresAt: 'form',
      report: 'form',
      endpoint: 'form',
      delivery: 'form',
    },
    send: form(
      (field, value) => fill('/console/tenants/:handle/actions/:action', { handle: 'gharart', action: 'grant-add' }, field, value),
      () => ({ csrf: consoleClient.csrf, ...GRANT_BASE }),
      () => consoleClient.jar,
    ),
  },
  'POST /console/tenants/:handle/shopper/export': {
    fields: { handle: 'param', csrf: 'form', email: 'form' },
    send: form(
      (field, value) => fill('/console/tenants/:handle/shopper/export', { handle: 'gharart' }, field, value),
      () => ({ csrf: consoleClient.csrf, email: 'text-fields@example.com' }),
      () => consoleClient.jar,
    ),
  },
  'GET /console/tenants/:handle/branding': {
    fields: { handle: 'param', ref: 'query' },
    send: consoleGet('/console/tenants/:handle/branding', { handle: 'gharart' }, { ref: 'req_0123456789abcdef01234567' }),
  },
  'POST /console/tenants/:handle/branding': {
    fields: {
      handle: 'param',
      csrf: 'form',
      logoUrl: 'form',
      logoWidth: 'form',
      logoHeight: 'form',
      accentColor: 'form',
      supportContact: 'form',
    },
    send: form(
      (field, value) => fill('/console/tenants/:handle/branding', { handle: 'gharart' }, field, value),
      () => ({
        csrf: consoleClient.csrf,
        logoUrl: '',
        logoWidth: '',
        logoHeight: '',
        accentColor: '#0b57d0',
        supportContact: 'help@example.com',
      }),
      () => consoleClient.jar,
    ),
  },
  'GET /console/tenants/:handle/webhooks': {
    fields: { handle: 'param', ref: 'query' },
    send: consoleGet('/console/tenants/:handle/webhooks', { handle: 'gharart' }, { ref: 'req_0123456789abcdef01234567' }),
  },
  'POST /console/tenants/:handle/webhooks': {
    fields: { handle: 'param', csrf: 'form', url: 'form', description: 'form', includeEmail: 'form', 'event.grant.changed': 'form' },
    send: form(
      (field, value) => fill('/console/tenants/:handle/webhooks', { handle: 'gharart' }, field, value),
      () => ({ csrf: consoleClient.csrf, url: 'http://127.0.0.1:9/hooks', description: 'text fields', 'event.grant.changed': 'on' }),
      () => consoleClient.jar,
    ),
  },
  'GET /console/requests/:requestId': {
    fields: { requestId: 'param' },
    send: (_, value) => h.fetch(`/console/requests/${enc(value)}`, { host: SERVICE_HOST, jar: consoleClient.jar }),
  },
  'GET /console/requests': { fields: { id: 'query' }, send: consoleGet('/console/requests', {}, { id: 'req_0123456789abcdef01234567' }) },
};

/** Fields a route declares longer than the default bound (reports.ts checks them exactly). */
const LONG: Record<string, Record<string, number>> = {
  'POST /v2/support/report': { details: DETAILS_MAX_BYTES, reproArtifact: ARTIFACT_MAX_BYTES },
  'POST /v2/public/content-report': { details: DETAILS_MAX_BYTES },
  'POST /v2/visitor/emails': { email: 512 },
  'POST /v2/visitor/emails/verify': { email: 512, code: 16 },
  'POST /_edge/visitor/emails/add': { email: 512 },
  'POST /_edge/visitor/emails/verify': { email: 512, code: 16 },
  'POST /_edge/visitor/emails/primary': { email: 512 },
  'POST /_edge/visitor/emails/remove': { email: 512 },
};

// ——— what a refusal must look like ———

type Problem = { code?: string; errors?: { path: string; message: string }[] };

/** Why an answer is not a 400 invalid_request naming `field` (in `errors`, or on an HTML page), or null. */
async function refusalMismatch(label: string, response: Response, field: string): Promise<string | null> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  let named: boolean;
  let code: string | null;
  if (type.startsWith('application/problem+json')) {
    const body = JSON.parse(text) as Problem;
    code = body.code ?? null;
    named = Boolean(body.errors?.some((e) => e.path === field));
  } else {
    code = /data-error-code>([a-z_]+)</.exec(text)?.[1] ?? null;
    named = text.includes(field);
  }
  if (response.status === 400 && code === 'invalid_request' && named) return null;
  return `${label}: ${response.status} ${code ?? '-'}${named ? '' : ' (field not named)'}`;
}

/** Where a 5xx is the failure (and a 4xx of any kind is fine), or null. */
async function serverErrorOf(label: string, response: Response): Promise<string | null> {
  await response.arrayBuffer();
  return response.status >= 500 ? `${label}: ${response.status}` : null;
}

function routeKey(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

describe('every text field of every route', () => {
  it('lists every route the app serves (a new route must say how its text is checked)', () => {
    const served = (h.runtime.app.elysia.routes as { method: string; path: string }[]).map(routeKey).sort();
    expect(served).toEqual(Object.keys(ROUTES).sort());
  });

  // Each test tries every field and lists every miss at once (a 500 here is what PostgreSQL did).
  it('answers a NUL, another C0 control or a lone CR in any field with 400 invalid_request naming it, never 500', async () => {
    const misses: (string | null)[] = [];
    for (const [key, route] of Object.entries(ROUTES)) {
      for (const [field, carrier] of Object.entries(route.fields)) {
        for (const bad of ['a\u0000b', '\u0007', 'line\rbreak']) {
          const label = `${key} ${field} ${JSON.stringify(bad)}`;
          const response = await route.send(field, bad);
          misses.push(carrier === 'raw' ? await serverErrorOf(label, response) : await refusalMismatch(label, response, field));
        }
      }
    }
    expect(misses.filter(Boolean)).toEqual([]);
  }, 60_000);

  it('answers an unpaired surrogate with 400 invalid_request naming the field (in a URL or form it cannot even be decoded)', async () => {
    const misses: (string | null)[] = [];
    for (const [key, route] of Object.entries(ROUTES)) {
      for (const [field, carrier] of Object.entries(route.fields)) {
        for (const bad of ['\ud800', 'x\udfffy']) {
          const label = `${key} ${field} ${JSON.stringify(bad)}`;
          const response = await route.send(field, bad);
          // Query strings and forms are percent-encoded UTF-8: the bytes decode to U+FFFD, never a surrogate.
          const decodable = carrier === 'json' || carrier === 'param';
          misses.push(decodable ? await refusalMismatch(label, response, field) : await serverErrorOf(label, response));
        }
      }
    }
    expect(misses.filter(Boolean)).toEqual([]);
  }, 60_000);

  it('answers an overlong value in any field with 400 naming it (or 413 for the body), never 500', async () => {
    const misses: (string | null)[] = [];
    for (const [key, route] of Object.entries(ROUTES)) {
      for (const field of Object.keys(route.fields)) {
        const max = LONG[key]?.[field] ?? DEFAULT_MAX_CHARS;
        const response = await route.send(field, 'x'.repeat(max + 1));
        misses.push(response.status === 413 ? null : await refusalMismatch(`${key} ${field} overlong`, response, field));
      }
    }
    expect(misses.filter(Boolean)).toEqual([]);
  }, 60_000);

  it('refuses a NUL in any query parameter of any route, even one the route does not read', async () => {
    const misses: (string | null)[] = [];
    for (const route of h.runtime.app.elysia.routes as { method: string; path: string }[]) {
      const path = route.path.replace(/:\w+/g, 'x').replace(/\*$/, 'x');
      const method = route.method === 'ALL' ? 'GET' : route.method;
      const response = await h.fetch(`${path}?probe=a%00b`, { method, host: SERVICE_HOST });
      misses.push(await refusalMismatch(routeKey(route), response, 'probe'));
    }
    expect(misses.filter(Boolean)).toEqual([]);
  });
});

describe('the fields the issue names', () => {
  // Each was a 500 on PostgreSQL (a NUL cannot be stored in text).
  const cases: [string, Send, string][] = [];
  beforeAll(() => {
    for (const field of ['summary', 'details', 'reproArtifact'])
      cases.push(['support report', ROUTES['POST /v2/support/report']!.send, field]);
    cases.push(['content report', ROUTES['POST /v2/public/content-report']!.send, 'reason']);
    for (const field of ['title', 'orderId']) cases.push(['grant', ROUTES['PUT /v2/access/grants']!.send, field]);
    cases.push(['escalation', ROUTES['POST /v2/operator/escalations']!.send, 'summary']);
  });

  it('support report summary/details/reproArtifact, content report reason, grant title/orderId: NUL → 400 invalid_request naming the field', async () => {
    const misses: (string | null)[] = [];
    for (const [what, send, field] of cases)
      misses.push(await refusalMismatch(`${what} ${field}`, await send(field, 'before\u0000after'), field));
    expect(misses.filter(Boolean)).toEqual([]);
    expect(h.logs.filter((line) => line.includes('unhandled error'))).toEqual([]);
  });
});

describe('nested values, line ends and lengths', () => {
  const report = (body: Record<string, unknown>) =>
    h.json('/v2/support/report', { handle: 'gharart', summary: 'Nested', details: 'd', ...body }, { ip: freshIp() });

  it('walks nested objects and arrays; the error path names the nested field (detail.foo, items[2]) and bad keys', async () => {
    const nested = await report({ detail: { foo: 'a\u0000', ok: 'fine' }, items: ['a', 'b', '\ud800'] });
    expect(nested.status).toBe(400);
    const body = (await nested.json()) as Problem;
    expect(body.code).toBe('invalid_request');
    expect(body.errors?.map((e) => e.path)).toEqual(['detail.foo', 'items[2]']);
    const badKey = (await (await report({ extra: { 'k\u0000': 1 } })).json()) as Problem;
    expect(badKey.errors?.map((e) => e.path)).toEqual(['extra["k\\u0000"]']);
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    const tooDeep = await report({ deep });
    expect(tooDeep.status).toBe(400);
    expect(((await tooDeep.json()) as Problem).code).toBe('invalid_request');
  });

  it('names fields in a schema’s errors as the text rule does (email, not /email), one entry per bad field', async () => {
    const typed = await h.json(
      '/v2/access/grants',
      { email: 42, resource: 7, kind: 'order' },
      { method: 'PUT', host: SERVICE_HOST, headers: bearer(pat) },
    );
    expect(typed.status).toBe(400);
    expect(((await typed.json()) as Problem).errors?.map((e) => e.path).sort()).toEqual(['email', 'resource']);
    // details over 8 KiB breaks two keywords (maxLength, the UTF-8 byte format): still one entry.
    const twice = await report({ details: 'd'.repeat(DETAILS_MAX_BYTES + 1) });
    expect(((await twice.json()) as Problem).errors?.map((e) => e.path)).toEqual(['details']);
  });

  it('keeps tab, LF and CRLF from JSON as sent; turns a form textarea’s CRLF into LF; refuses a lone CR', async () => {
    const viaJson = await report({ details: 'line 1\r\nline 2\n\tindented' });
    expect(viaJson.status).toBe(201);
    const { reportId } = (await viaJson.json()) as { reportId: string };
    const stored = await h.db.one<{ details: string }>(sql`select details from support_reports where id = ${reportId}`);
    expect(stored!.details).toBe('line 1\r\nline 2\n\tindented');

    const viaForm = await h.form(
      '/v2/support/report',
      { handle: 'gharart', summary: 'From a form', details: 'line 1\r\nline 2\r\n' },
      { ip: freshIp() },
    );
    expect(viaForm.status).toBe(303);
    const formId = new URL(viaForm.headers.get('location')!, 'http://x').searchParams.get('reportId')!;
    const fromForm = await h.db.one<{ details: string }>(sql`select details from support_reports where id = ${formId}`);
    expect(fromForm!.details).toBe('line 1\nline 2\n');

    const loneCr = await h.form(
      '/v2/support/report',
      { handle: 'gharart', summary: 'From a form', details: 'line 1\rline 2' },
      { ip: freshIp() },
    );
    expect(loneCr.status).toBe(400);
    expect(await loneCr.text()).toContain('details');
  });

  it(`bounds any field at ${DEFAULT_MAX_CHARS} characters unless the route declares more; keeps the documented 8 KiB details and 64 KiB artifact`, async () => {
    expect((await report({ extra: 'x'.repeat(DEFAULT_MAX_CHARS) })).status).toBe(201);
    const over = await report({ extra: 'x'.repeat(DEFAULT_MAX_CHARS + 1) });
    expect(over.status).toBe(400);
    expect(((await over.json()) as Problem).errors?.map((e) => e.path)).toEqual(['extra']);
    expect((await report({ details: 'd'.repeat(DETAILS_MAX_BYTES), reproArtifact: 'x'.repeat(ARTIFACT_MAX_BYTES) })).status).toBe(201);
    const content = await h.json(
      '/v2/public/content-report',
      { handle: 'gharart', url: 'https://gharart.test/a', reason: 'r', details: 'd'.repeat(DETAILS_MAX_BYTES) },
      { ip: freshIp() },
    );
    expect(content.status).toBe(202);
  });
});

describe('ids in the path', () => {
  it('answers a session id of the right length and alphabet but not a UUID (36 dashes) with 404, not a 500', async () => {
    for (const id of ['-'.repeat(36), `${'abcdefab-cdef-abcd-efab-cdefabcdefab'.replaceAll('-', 'a').slice(0, 32)}----`]) {
      const response = await h.fetch(`/v2/visitor/sessions/${id}`, {
        method: 'DELETE',
        jar: visitor,
        headers: { origin: 'http://localhost' },
      });
      expect([id, response.status, ((await response.json()) as Problem).code]).toEqual([id, 404, 'session_not_found']);
    }
  });
});

describe('recorded headers', () => {
  it('stores a User-Agent without control characters and cut to 512 characters (session, report, request log)', async () => {
    const agent = `Agent\u0001/1.0 ${'y'.repeat(3000)}`;
    const mail = await h.requestLink('agent@example.com');
    const jar = new CookieJar();
    const path = Harness.pathOf(mail.link!);
    await h.fetch(path, { jar, headers: { 'user-agent': agent } });
    const signedIn = await h.form(path, {}, { jar, headers: { 'user-agent': agent } });
    expect(signedIn.status).toBe(303);
    const filed = await h.json(
      '/v2/support/report',
      { handle: 'gharart', summary: 'UA', details: '' },
      { ip: freshIp(), headers: { 'user-agent': agent } },
    );
    expect(filed.status).toBe(201);
    await h.deps.requestLog.flush();
    const expected = `Agent/1.0 ${'y'.repeat(3000)}`.slice(0, 512);
    const rows = await h.db.many<{ user_agent: string }>(sql`
      select user_agent from sessions where user_agent like 'Agent%'
      union all select user_agent from support_reports where user_agent like 'Agent%'
      union all select user_agent from request_log where request_id = ${filed.headers.get('x-request-id')}`);
    expect(rows.length).toBe(3);
    for (const row of rows) expect(row.user_agent).toBe(expected);
  });

  it('ignores an overlong or malformed X-Request-Id even from a trusted proxy (a fresh id is used)', async () => {
    for (const id of ['r'.repeat(129), 'req\u0001abcdefgh', 'req abcdefgh']) {
      const response = await h.fetch('/healthz', { headers: { 'x-request-id': id } });
      expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{24}$/);
    }
  });
});
