// Health, readiness and (development only) the in-memory mailbox.
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { isLoopback } from '../net/cidr.ts';
import { routeContext } from '../route-context.ts';
import { migrationsCurrent } from '../db/migrate.ts';
import { AppError } from '../errors.ts';

export function opsRoutes(deps: AppDeps) {
  const app = new Elysia({ name: 'ops' })
    .use(routeContext(deps))
    .get('/healthz', () => ({ status: 'ok' }))
    .get('/readyz', async ({ set }) => {
      try {
        const current = await migrationsCurrent(deps.db);
        if (!current) {
          set.status = 503;
          return { status: 'unavailable', database: 'ok', migrations: 'pending' };
        }
        return { status: 'ok', database: 'ok', migrations: 'current' };
      } catch {
        set.status = 503;
        set.headers['retry-after'] = '5';
        return { status: 'unavailable', database: 'unreachable' };
      }
    });
  const mailbox = deps.devMailbox;
  if (!mailbox || deps.config.nodeEnv !== 'development') return app;
  return app.get('/_dev/mailbox', ({ ctx, query }) => {
    // Both the socket peer and the resolved client must be loopback: never reachable from outside.
    if (!ctx.peerIp || !isLoopback(ctx.peerIp) || !isLoopback(ctx.clientIp)) throw new AppError('not_found');
    return { items: mailbox.list(typeof query.to === 'string' ? query.to : undefined) };
  });
}
