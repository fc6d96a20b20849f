// The OpenAPI 3.1 document (GET /openapi.json): @elysiajs/openapi turns the routes' schemas into
// paths; then every operation gets its problem responses from the one error catalogue, the headers
// of the conventions (X-Request-Id, rate limits, idempotency) and its security; the routes whose
// modules do not describe themselves yet come from pending-routes.ts.
import { toOpenAPISchema } from '@elysiajs/openapi';
import type { AnyElysia } from 'elysia';
import type { Config } from '../config.ts';
import { ERRORS, type ErrorCode, errorTypeUri } from '../errors.ts';
import { OUTSIDE_ROUTER, PENDING_ROUTES } from './pending-routes.ts';
import { Problem } from './schemas.ts';

type Json = Record<string, unknown>;
type Operation = Json & {
  parameters?: Json[];
  requestBody?: { content: Record<string, unknown> };
  responses?: Record<string, Json>;
  'x-error-codes'?: ErrorCode[];
  'x-bare-responses'?: Record<string, string>;
  'x-html-responses'?: Record<string, string>;
  'x-rate-limited'?: boolean;
  'x-idempotent'?: boolean;
  'x-forms'?: boolean;
};
export type OpenApiDocument = Json & { paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

const COMPONENT_HEADERS = {
  XRequestId: {
    description: 'This request’s id (quote it to support).',
    schema: { type: 'string', examples: ['req_0123456789abcdef01234567'] },
  },
  RateLimit: { description: 'Remaining quota per policy (IETF draft, structured field).', schema: { type: 'string' } },
  RateLimitPolicy: { description: 'The policies counted, quota and window (IETF draft).', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
  IdempotentReplayed: {
    description: '`true` when this is a stored answer replayed for the same Idempotency-Key.',
    schema: { type: 'string' },
  },
  WwwAuthenticate: { description: '`Bearer realm="visitor-access"`.', schema: { type: 'string' } },
};

const SECURITY_SCHEMES = {
  visitorCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-visitor_session',
    description: 'A shopper’s session cookie, on the storefront’s edge host.',
  },
  visitorBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'vs_…',
    description: 'A shopper’s session token (verify with delivery=bearer).',
  },
  pat: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'vapat_…',
    description:
      'A personal access token: a tenant PAT (storefront server) or a service PAT (operator tooling, operator:* scopes). Scopes per operation.',
  },
  storefrontJwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT signed with a key registered for the storefront (docs/credentials.md); scopes in its `scope` claim.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'METRICS_TOKEN, for a Prometheus scraper (GET /metrics only).',
  },
};

/** Every route may answer these: the text rule covers any query parameter, read or not (docs/api.md "Bodies"). */
const ALWAYS: ErrorCode[] = ['invalid_request', 'internal_error', 'service_unavailable'];

function problemExample(code: ErrorCode, typeBase: string) {
  const { status, title } = ERRORS[code];
  const example: Json = {
    type: errorTypeUri(typeBase, code),
    title,
    status,
    detail: title,
    code,
    requestId: 'req_0123456789abcdef01234567',
  };
  if (code === 'invalid_request') example.errors = [{ path: 'email', message: 'Expected string' }];
  if (code === 'insufficient_scope') example.requiredScope = 'access:write';
  return example;
}

function problemResponses(codes: ErrorCode[], typeBase: string): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  const responses: Record<string, Json> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers: Json = { 'X-Request-Id': ref('headers', 'XRequestId') };
    if (status === 429 || status === 503 || group.includes('idempotency_in_progress'))
      headers['Retry-After'] = ref('headers', 'RetryAfter');
    if (group.includes('unauthorized')) headers['WWW-Authenticate'] = ref('headers', 'WwwAuthenticate');
    responses[status] = {
      description: group.map((code) => `\`${code}\`: ${ERRORS[code].title}`).join('; '),
      headers,
      content: {
        'application/problem+json': {
          schema: ref('schemas', 'Problem'),
          examples: Object.fromEntries(group.map((code) => [code, { summary: ERRORS[code].title, value: problemExample(code, typeBase) }])),
        },
        // Browser form posts, and GETs that accept text/html, get the same error as a page.
        'text/html': { schema: { type: 'string' } },
      },
    };
  }
  return responses;
}

/** Expands our `x-` extensions (schemas.ts `operation()`) into responses, headers and parameters. */
function complete(operation: Operation, path: string, typeBase: string, body?: unknown): Operation {
  const op: Operation = { ...operation, responses: { ...operation.responses } };
  const responses = op.responses!;
  const edgeCheck = path === '/_edge/visitor/access';
  if (op.requestBody) {
    // The plugin leaves the content empty when the app parses bodies itself (our onParse): the route's schema.
    const schema = body ?? (Object.values(op.requestBody.content)[0] as Json | undefined)?.schema;
    // We read JSON, and browser forms where the route says so; nothing else (415).
    op.requestBody = {
      ...op.requestBody,
      content: { 'application/json': { schema }, ...(op['x-forms'] ? { 'application/x-www-form-urlencoded': { schema } } : {}) },
    };
  }
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const declared = new Set((op.parameters ?? []).map((p) => p.name));
  const missing = pathParams.filter((name) => !declared.has(name));
  if (missing.length)
    op.parameters = [
      ...(op.parameters ?? []),
      ...missing.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ];
  if (op['x-idempotent']) op.parameters = [...(op.parameters ?? []), ref('parameters', 'IdempotencyKey')];

  for (const [status, description] of Object.entries(op['x-bare-responses'] ?? {})) responses[status] = { description };
  for (const [status, description] of Object.entries(op['x-html-responses'] ?? {}))
    responses[status] = { description, content: { 'text/html': { schema: { type: 'string' } } } };
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) >= 400) continue;
    const headers: Json = { ...(response.headers as Json | undefined), 'X-Request-Id': ref('headers', 'XRequestId') };
    if (op['x-rate-limited'])
      Object.assign(headers, { RateLimit: ref('headers', 'RateLimit'), 'RateLimit-Policy': ref('headers', 'RateLimitPolicy') });
    if (op['x-idempotent']) headers['Idempotent-Replayed'] = ref('headers', 'IdempotentReplayed');
    if (edgeCheck) delete headers['X-Request-Id'];
    responses[status] = { ...response, headers };
  }

  if (!edgeCheck) {
    const codes = new Set<ErrorCode>([...(op['x-error-codes'] ?? []), ...ALWAYS]);
    if (op.requestBody) for (const code of ['payload_too_large', 'unsupported_media_type'] as const) codes.add(code);
    if (op['x-idempotent'])
      for (const code of ['idempotency_in_progress', 'idempotency_key_reused', 'invalid_request'] as const) codes.add(code);
    if (op['x-rate-limited']) codes.add('rate_limited');
    op['x-error-codes'] = [...codes].sort((a, b) => ERRORS[a].status - ERRORS[b].status || a.localeCompare(b));
    for (const [status, problem] of Object.entries(problemResponses(op['x-error-codes'], typeBase))) {
      const existing = responses[status];
      // A status that also has a JSON answer (GET /readyz's 503): both bodies are listed.
      responses[status] = existing ? { ...existing, content: { ...(existing.content as Json), ...(problem.content as Json) } } : problem;
    }
  }
  for (const key of ['x-bare-responses', 'x-html-responses', 'x-forms'] as const) delete op[key];
  return op;
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const operationIdOf = (method: string, path: string) =>
  `${method}${path.replace('*', 'Any').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`;

/**
 * The plugin also writes OpenAPI 3.0's `nullable`; 3.1 says null in `type` (which it writes too).
 * And Elysia marks a response schema `additionalProperties: false` once it has checked an answer
 * with it; no schema of ours says so, so it is dropped: the document must not depend on traffic.
 */
function stable(key: string, value: unknown): unknown {
  if (key === 'nullable' && typeof value === 'boolean') return undefined;
  if (key === 'additionalProperties' && value === false) return undefined;
  return value;
}

export function buildDocument(app: AnyElysia, config: Config): OpenApiDocument {
  const typeBase = config.errorsDocBaseUrl;
  const generated = toOpenAPISchema(app, { staticFile: false }, undefined, undefined, '3.1.1') as unknown as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas?: Json };
  };
  const paths: Record<string, Record<string, Operation>> = {};
  const bodies = new Map(app.routes.map((route) => [`${route.method.toLowerCase()} ${toOpenApiPath(route.path)}`, route.hooks?.body]));
  const add = (path: string, method: string, operation: Operation) => {
    paths[path] ??= {};
    paths[path][method] = complete(operation, path, typeBase, bodies.get(`${method} ${path}`));
  };
  // A route for every method (`.all`) is listed once, as its GET: the plugin copies it to every method.
  const anyMethod = new Set(app.routes.filter((route) => route.method === 'ALL').map((route) => toOpenApiPath(route.path)));
  for (const [path, item] of Object.entries(generated.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      // Only routes that describe themselves (schemas.ts `operation()`); the rest come from the supplement.
      if (!METHODS.includes(method) || !operation['x-error-codes']) continue;
      if (!anyMethod.has(path)) add(path, method, operation);
      else if (method === 'get') add(path, method, { ...operation, operationId: operationIdOf(method, path) });
    }
  }
  for (const route of [...PENDING_ROUTES, ...OUTSIDE_ROUTER]) {
    const path = toOpenApiPath(route.path);
    const method = route.method === 'ALL' ? 'get' : route.method.toLowerCase();
    add(path, method, { ...(route.detail as Operation), operationId: operationIdOf(method, path) });
  }
  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.parse(
    JSON.stringify({
      openapi: '3.1.1',
      info: {
        title: 'Visitor Access',
        version: '2',
        description:
          'Passwordless sign-in (magic link / 6-digit code) for creator storefronts. Conventions, limits and the error codes: docs/api.md, docs/errors.md and /docs/errors.',
      },
      tags: [...new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => (op.tags as string[]) ?? [])))]
        .sort()
        .map((name) => ({ name })),
      paths: sortedPaths,
      components: {
        schemas: { ...generated.components.schemas, Problem },
        securitySchemes: SECURITY_SCHEMES,
        headers: COMPONENT_HEADERS,
        parameters: {
          IdempotencyKey: {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: 'Retry safely: the same key and body within 24 h replays the stored answer (docs/api.md "Idempotency-Key").',
            schema: { type: 'string', minLength: 1, maxLength: 257 },
          },
        },
      },
    }),
    stable,
  );
}
