// GET /metrics on the main listener: Prometheus text for a scraper holding METRICS_TOKEN. Never on a
// storefront's host (404 there, token or not), and 404 everywhere when no token is configured: the
// usual place is the separate METRICS_PORT listener (src/server.ts), which serves it without one.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { operation } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The exposition as an answer (both listeners). */
export async function metricsResponse(deps: Pick<AppDeps, 'metrics'>): Promise<Response> {
  return new Response(await deps.metrics.exposition(), { headers: { 'content-type': deps.metrics.contentType } });
}

export function metricsRoutes(deps: AppDeps) {
  // Compared as SHA-256 digests: equal length, and timingSafeEqual reveals nothing of the token.
  const expected = deps.config.metricsToken === null ? null : digest(deps.config.metricsToken);
  return new Elysia({ name: 'metrics' }).use(routeContext(deps)).get(
    '/metrics',
    async ({ ctx, request }) => {
      if (expected === null || (await ctx.hostTenant())) throw new AppError('not_found', { detail: 'No such route.' });
      const authorization = request.headers.get('authorization') ?? '';
      const presented = authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        throw new AppError('unauthorized', {
          detail: 'Send METRICS_TOKEN as `Authorization: Bearer …`.',
          headers: { 'www-authenticate': 'Bearer realm="metrics"' },
        });
      }
      return metricsResponse(deps);
    },
    {
      detail: operation({
        summary: 'Prometheus metrics (METRICS_TOKEN; or the METRICS_PORT listener without one)',
        description:
          'Text exposition format. 404 on a storefront’s host and when METRICS_TOKEN is unset. See docs/api.md "Metrics" and docs/deploy.md.',
        tags: ['ops'],
        security: [{ metricsToken: [] }],
        errors: ['unauthorized', 'not_found'],
        plainText: { 200: 'The metrics, Prometheus text format 0.0.4.' },
      }),
    },
  );
}
