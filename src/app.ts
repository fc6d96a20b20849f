// Builds the HTTP app from its dependencies; no I/O at import. Standards-only (Request/Response),
// so Bun (server.ts), Deno (deno.ts) and in-process tests all serve the same `fetch`.
import { type AnyElysia, Elysia } from 'elysia';
import type { AppDeps } from './app-deps.ts';
import { isDatabaseUnavailable } from './db/db.ts';
import { AppError } from './errors.ts';
import { bodyKindOf, bodyLimitFor, readBody } from './http/body.ts';
import { corsHeaders } from './http/cors.ts';
import { contentSecurityPolicy } from './http/html.ts';
import { type ProblemStorefront, type ProblemWays, problemResponse, wantsHtml } from './http/problem.ts';
import { checkBodyText, checkUrlText, fieldPath } from './http/text-fields.ts';
import {
  adoptRequestContext,
  type RequestContext,
  requestContext,
  resolvePeer,
  socketPeers,
  type PeerSource,
} from './http/request-context.ts';
import { linkOriginFor } from './http/visitor-tenant.ts';
import { negotiateLocale } from './i18n/locales.ts';
import { isLoopback } from './net/cidr.ts';
import { acceptsIdempotencyKey, idempotentRouteTemplate, withIdempotency } from './idempotency/idempotency.ts';
import { redactPath } from './log.ts';
import { createEdgeCheck, EDGE_PATH } from './access/edge.ts';
import { accessRoutes } from './access/routes.ts';
import { consoleRoutes } from './console/routes.ts';
import { demoStorefrontRoutes } from './demo-storefront/routes.ts';
import { diagnosticsRoutes } from './diagnostics/routes.ts';
import { handoffRoutes } from './handoffs/routes.ts';
import { signInHref } from './magic-link/pages.ts';
import { resolveReturnTo } from './magic-link/return-to.ts';
import { magicLinkRoutes } from './magic-link/routes.ts';
import { openapiRoutes } from './openapi/routes.ts';
import { metricsRoutes } from './ops/metrics-routes.ts';
import { opsRoutes } from './ops/routes.ts';
import { passkeyRoutes } from './passkeys/routes.ts';
import { privacyRoutes } from './privacy/routes.ts';
import { sessionRoutes } from './sessions/routes.ts';
import { signOutRoutes } from './sessions/sign-out-routes.ts';
import { addressRoutes } from './visitors/routes.ts';
import { supportRoutes } from './support/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';

export type App = {
  /**
   * Serve one request; `peer` is the socket address as the entry point saw it (or a function that
   * reads it). The edge check may answer synchronously, so this is not always a promise.
   */
  fetch(request: Request, peer?: PeerSource): Response | Promise<Response>;
  /** The edge check alone, for entry points that route `EDGE_PATH` natively (Bun's `routes`). */
  edgeCheck(request: Request, peer?: PeerSource): Response | Promise<Response>;
  elysia: Elysia;
};

function toAppError(error: unknown, code: string | number | undefined): AppError | null {
  if (error instanceof AppError) return error;
  // Elysia wraps what our body parser throws in its own ParseError.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof AppError) return cause;
  if (code === 'NOT_FOUND') return new AppError('not_found', { detail: 'No such route.' });
  if (code === 'PARSE')
    return new AppError('invalid_request', {
      detail: 'The body could not be parsed.',
      fields: { errors: [{ path: '', message: 'malformed body' }] },
    });
  // A response that fails its own schema is our bug: it falls through to internal_error (logged).
  if (code === 'VALIDATION' && (error as { type?: string }).type !== 'response') {
    const all = (error as { all?: { path?: string; message?: string; summary?: string }[] }).all ?? [];
    // One entry per bad field (a field can break several keywords, e.g. maxLength and format).
    const byPath = new Map<string, string>();
    for (const e of all) if (!byPath.has(fieldPath(e.path ?? ''))) byPath.set(fieldPath(e.path ?? ''), e.summary ?? e.message ?? 'invalid');
    const errors = [...byPath].map(([path, message]) => ({ path, message }));
    return new AppError('invalid_request', { detail: 'Some fields are missing or have the wrong type.', fields: { errors } });
  }
  if (code === 'INVALID_COOKIE_SIGNATURE') return new AppError('invalid_request', { detail: 'A cookie is malformed.' });
  if (isDatabaseUnavailable(error))
    return new AppError('service_unavailable', {
      detail: 'The database is unreachable; try again shortly.',
      headers: { 'retry-after': '5' },
    });
  return null;
}

/**
 * Strict-Transport-Security for https answers in production (https as the request URL or a trusted
 * proxy's X-Forwarded-Proto says). Two years, and deliberately no includeSubDomains or preload:
 * the host is the creator's storefront domain, and HTTPS for its other subdomains is theirs to
 * decide. Not on the edge check: the CDN's subrequest is no browser and its hot path stays lean.
 */
const HSTS = 'max-age=63072000';

/** On every answer but the edge check's: nothing to sniff, frame, cache, refer or script. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // A hosted page showing a storefront's logo widens img-src by exactly that origin (pageHeaders).
  'content-security-policy': contentSecurityPolicy(),
};

/** `…//host/_edge/visitor/access` with or without a query string, by string search (no URL parse). */
function isEdgeCheck(url: string): boolean {
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  if (pathStart === -1 || !url.startsWith(EDGE_PATH, pathStart)) return false;
  const after = url.charCodeAt(pathStart + EDGE_PATH.length);
  return Number.isNaN(after) || after === 63 /* ? */;
}

export function buildApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const edge = createEdgeCheck(deps);
  /** Each request's matched route template (by its context, which an idempotent replay's copy shares). */
  const routes = new WeakMap<object, string>();
  const elysia = new Elysia()
    .onRequest(async ({ request, set }) => {
      const context = requestContext(request, config);
      const cors = await corsHeaders(request, context, deps.tenants);
      if (cors.preflight) {
        return new Response(null, { status: 204, headers: { ...cors.headers, 'x-request-id': context.requestId } });
      }
      Object.assign(set.headers, cors.headers);
      set.headers['x-request-id'] = context.requestId;
      Object.assign(set.headers, SECURITY_HEADERS);
      // On every answer (errors and answers built outside Elysia included), via the context.
      if (config.nodeEnv === 'production' && context.origin.startsWith('https://'))
        context.responseHeaders['strict-transport-security'] = HSTS;
    })
    // Bodies are ours to read: JSON or browser forms, size-limited, malformed → 400 (never 500).
    // Every text field (body, query, params) then obeys one rule: no control characters, valid
    // Unicode, bounded length (src/http/text-fields.ts) — PostgreSQL would answer a NUL with a 500.
    .onParse(async ({ request, route }) => {
      const context = requestContext(request, config);
      routes.set(context, route); // also when the body is refused
      const path = context.path;
      const body = await readBody(request, bodyLimitFor(path));
      return checkBodyText(path, bodyKindOf(request), body);
    })
    .onTransform(({ request, params, route }) => {
      // The matched route's template (`/v2/visitor/sessions/:id`), never the raw path: the metrics' label.
      routes.set(requestContext(request, config), route);
      return checkUrlText(request.url, params as Record<string, unknown> | undefined);
    })
    .onError(async ({ request, error, code, set, body }) => {
      const context = requestContext(request, config);
      const appError = toAppError(error, code);
      context.facts.code = appError?.code ?? 'internal_error';
      if (!appError) {
        logger.error('unhandled error', {
          requestId: context.requestId,
          path: redactPath(context.path),
          error: String((error as Error)?.stack ?? error),
        });
      }
      const html = wantsHtml(request);
      const returnTo = (body as { returnTo?: unknown } | null | undefined)?.returnTo;
      return problemResponse(appError ?? new AppError('internal_error'), {
        requestId: context.requestId,
        html,
        typeBase: config.errorsDocBaseUrl,
        ...(html ? await problemPage(request, context, returnTo) : {}),
        // The page adds Accept-Language to what CORS said the answer varies by.
        headers: typeof set.headers.vary === 'string' ? { vary: set.headers.vary } : undefined,
      });
    })
    .use(opsRoutes(deps))
    .use(metricsRoutes(deps))
    .use(magicLinkRoutes(deps))
    .use(sessionRoutes(deps))
    .use(signOutRoutes(deps))
    .use(addressRoutes(deps))
    .use(accessRoutes(deps))
    .use(handoffRoutes(deps))
    .use(passkeyRoutes(deps))
    .use(privacyRoutes(deps))
    .use(diagnosticsRoutes(deps))
    .use(supportRoutes(deps))
    .use(webhookRoutes(deps))
    .use(consoleRoutes(deps))
    .use(openapiRoutes(deps, (): AnyElysia => elysia as unknown as AnyElysia))
    // Development only: the demo tenant's storefront pages behind the edge check (never in production).
    .use(config.nodeEnv === 'development' ? demoStorefrontRoutes(deps, edge.check) : new Elysia({ name: 'demo-storefront' }));

  return {
    elysia: elysia as unknown as Elysia,
    edgeCheck: edge.check,
    fetch(request, peer) {
      if ((request.method === 'GET' || request.method === 'HEAD') && isEdgeCheck(request.url)) {
        // The CDN's hot path: answered before routing and before the full request context,
        // logged only at debug level (inside).
        return edge.check(request, peer);
      }
      const address = resolvePeer(request, peer);
      if (address) socketPeers.set(request, address);
      return handle(request);
    },
  };

  /**
   * What a browser's problem page shows beyond the error: the host's storefront (branded, in the
   * request's language; a cached lookup that never fails the answer) and the ways on from it.
   */
  async function problemPage(
    request: Request,
    context: RequestContext,
    returnTo?: unknown,
  ): Promise<{ storefront: ProblemStorefront | null; ways: ProblemWays }> {
    const url = new URL(request.url);
    const here = `${url.pathname}${url.search}`;
    // Never `//host/…` (a path that reads as another site in an href).
    const retry = (request.method === 'GET' || request.method === 'HEAD') && !here.startsWith('//') ? here : null;
    const tenant = await deps.tenants.forHost(context.hostname).catch(() => null);
    if (!tenant) {
      // Development, opened by a loopback address: the same page at PUBLIC_URL (where the demo
      // storefront is) works. Anywhere else, and in production, no address is named.
      const publicUrl = new URL(config.publicUrl);
      const loopback =
        config.nodeEnv === 'development' && isLoopback(context.hostname) && context.hostname !== publicUrl.hostname.replace(/^\[|\]$/g, '');
      return { storefront: null, ways: { retry, elsewhere: loopback && retry ? `${publicUrl.origin}${here}` : null } };
    }
    const home = linkOriginFor(tenant, context);
    // Where the shopper was going, kept only when the sign-in page would accept it.
    const wanted = returnTo ?? url.searchParams.get('returnTo') ?? undefined;
    let kept: string | undefined;
    try {
      kept = typeof wanted === 'string' && wanted !== '' && resolveReturnTo(wanted, tenant, home) ? wanted : undefined;
    } catch {
      kept = undefined;
    }
    return {
      storefront: { branding: tenant, locale: negotiateLocale(request.headers.get('accept-language'), tenant.locale) },
      ways: { retry, signIn: url.pathname === signInHref() && retry ? null : signInHref(kept), home: `${home}/` },
    };
  }

  async function handle(request: Request): Promise<Response> {
    const context = requestContext(request, config);
    let response: Response;
    try {
      if (request.headers.has('idempotency-key') && acceptsIdempotencyKey(request.method, context.path)) {
        response = await withIdempotency(deps, request, context, (copy) => {
          adoptRequestContext(request, copy, config);
          return elysia.handle(copy);
        });
      } else {
        response = await elysia.handle(request);
      }
    } catch (error) {
      const known = toAppError(error, undefined);
      context.facts.code = known?.code ?? 'internal_error';
      if (!known) logger.error('request failed outside the app', { requestId: context.requestId, error: String(error) });
      const html = wantsHtml(request);
      // Refused before Elysia ran (idempotency, body size): the same headers as any other answer,
      // CORS included, so a storefront's script can read why.
      const cors: { headers: Record<string, string> } = await corsHeaders(request, context, deps.tenants).catch(() => ({ headers: {} }));
      response = problemResponse(known ?? new AppError('internal_error'), {
        requestId: context.requestId,
        html,
        typeBase: config.errorsDocBaseUrl,
        ...(html ? await problemPage(request, context) : {}),
        headers: cors.headers,
      });
      // A storefront's page brings its own CSP (its logo's origin); everything else gets ours.
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!response.headers.has(name)) response.headers.set(name, value);
    }
    const extra = { ...context.responseHeaders, 'x-request-id': context.requestId };
    try {
      for (const [name, value] of Object.entries(extra)) if (!response.headers.has(name)) response.headers.set(name, value);
    } catch {
      response = new Response(response.body, response); // immutable headers (e.g. Response.redirect)
      for (const [name, value] of Object.entries(extra)) if (!response.headers.has(name)) response.headers.set(name, value);
    }
    const elapsed = performance.now() - context.startedAt;
    // A replay is answered from the store without routing: its route is the one its key belongs to.
    const route = routes.get(context) ?? (request.headers.has('idempotency-key') ? idempotentRouteTemplate(context.path) : null);
    deps.metrics.observeRequest(route, request.method, response.status, elapsed / 1000);
    const ms = Math.round(elapsed * 10) / 10;
    const path = redactPath(context.path);
    logger.info('request', {
      requestId: context.requestId,
      method: request.method,
      path,
      status: response.status,
      ms,
      ip: context.clientIp,
      ...context.facts,
    });
    deps.requestLog.add({
      requestId: context.requestId,
      method: request.method,
      path,
      status: response.status,
      code: context.facts.code ?? null,
      tenantId: context.facts.tenantId ?? null,
      visitorId: context.facts.visitorId ?? null,
      sessionId: context.facts.sessionId ?? null,
      ip: context.clientIp,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      durationMs: ms,
      at: deps.clock.now(),
    });
    return response;
  }
}
