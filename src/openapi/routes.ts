// GET /openapi.json (always), GET /docs/errors (always: problem `type` URIs point there) and GET /docs
// (development, or API_DOCS=on). The reference pages are rendered on the server from the same
// document and catalogue: no renderer script, so the pages keep the app's script-free CSP.
import { Elysia, type AnyElysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { ERRORS, type ErrorCode } from '../errors.ts';
import { html, page } from '../http/html.ts';
import { routeContext } from '../route-context.ts';
import type { OpenApiDocument } from './document.ts';
import { operation, PUBLIC } from './schemas.ts';

const HTML = { 'content-type': 'text/html; charset=utf-8' };

function errorsPage(requestId: string): string {
  const rows = (Object.keys(ERRORS) as ErrorCode[]).map(
    (code) => html`<section id="${code}"><h2><code>${code}</code></h2><p>${ERRORS[code].status} · ${ERRORS[code].title}</p></section>`,
  );
  return page({
    brand: 'Visitor Access',
    title: 'Error codes',
    requestId,
    body: html`<p>Every error is <code>application/problem+json</code> with a stable <code>code</code>; its <code>type</code> links here.</p>${rows}`,
  });
}

function referencePage(document: OpenApiDocument, requestId: string): string {
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  const items = operations.map(({ path, method, op }) => {
    const security = (op.security as Record<string, string[]>[] | undefined) ?? [];
    const who = security.length
      ? security
          .map(
            (s) =>
              Object.entries(s)
                .map(([scheme, scopes]) => (scopes.length ? `${scheme} (${scopes.join(', ')})` : scheme))
                .join(' + ') || 'none',
          )
          .join(' or ')
      : 'none';
    const statuses = Object.keys(op.responses ?? {}).join(', ');
    const codes = (op['x-error-codes'] ?? []).map((code, i) => html`${i ? ', ' : ''}<a href="/docs/errors#${code}">${code}</a>`);
    return html`<section><h2><code>${method} ${path}</code></h2><p>${String(op.summary ?? '')}</p>
<p>Credentials: ${who}. Statuses: ${statuses}.${op['x-rate-limited'] ? ' Rate limited.' : ''}${op['x-idempotent'] ? ' Accepts Idempotency-Key.' : ''}</p>
<p>Errors: ${codes}</p></section>`;
  });
  return page({
    brand: 'Visitor Access',
    title: 'API reference',
    requestId,
    body: html`<p>Generated from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1); error codes: <a href="/docs/errors">/docs/errors</a>.</p>${items}`,
  });
}

/** `app` is the whole app, asked for lazily: the document describes the routes mounted after this. */
export function openapiRoutes(deps: AppDeps, app: () => AnyElysia) {
  // Built on the first request, and only then is @elysiajs/openapi loaded (not at start-up: ~1.4 MiB
  // of memory for a document most instances never serve; docs/performance.md, "RSS").
  let document: Promise<OpenApiDocument> | undefined;
  const current = () =>
    (document ??= import('./document.ts')
      .then(({ buildDocument }) => buildDocument(app(), deps.config))
      .catch((error: unknown) => {
        document = undefined; // the next request tries again
        throw error;
      }));
  const routes = new Elysia({ name: 'openapi' })
    .use(routeContext(deps))
    .get('/openapi.json', () => current(), {
      detail: operation({
        summary: 'This document (OpenAPI 3.1)',
        tags: ['docs'],
        security: PUBLIC,
        errors: [],
        documentedJson: { 200: { description: 'The OpenAPI document.', schema: { type: 'object' } as never } },
      }),
    })
    .get(
      '/docs/errors',
      ({ ctx, set }) => {
        Object.assign(set.headers, HTML);
        return errorsPage(ctx.requestId);
      },
      {
        detail: operation({
          summary: 'The error reference: one anchor per code (problem `type` URIs point here)',
          tags: ['docs'],
          security: PUBLIC,
          errors: [],
          html: { 200: 'The page.' },
        }),
      },
    );
  if (!deps.config.apiDocs) return routes;
  return routes.get(
    '/docs',
    async ({ ctx, set }) => {
      Object.assign(set.headers, HTML);
      return referencePage(await current(), ctx.requestId);
    },
    {
      detail: operation({
        summary: 'The API reference, rendered from the document (development, or API_DOCS=on)',
        tags: ['docs'],
        security: PUBLIC,
        errors: [],
        html: { 200: 'The page.' },
      }),
    },
  );
}
