// Health, readiness and (development only) the in-memory mailbox.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { isLoopback } from '../net/cidr.ts';
import { operation, PUBLIC, Text } from '../openapi/schemas.ts';
import { routeContext } from '../route-context.ts';
import { migrationsCurrent } from '../db/migrate.ts';
import { AppError } from '../errors.ts';

const Readiness = t.Object({
  status: t.Union([t.Literal('ok'), t.Literal('unavailable')]),
  database: t.Union([t.Literal('ok'), t.Literal('unreachable')]),
  migrations: t.Optional(t.Union([t.Literal('current'), t.Literal('pending')])),
});

const DevMail = t.Object({
  to: t.String(),
  subject: t.String(),
  text: t.String(),
  link: t.Nullable(t.String()),
  code: t.Nullable(t.String()),
  sentAt: t.String({ format: 'date-time' }),
});

export function opsRoutes(deps: AppDeps) {
  const app = new Elysia({ name: 'ops' })
    .use(routeContext(deps))
    .get('/healthz', () => ({ status: 'ok' as const }), {
      response: { 200: t.Object({ status: t.Literal('ok') }) },
      detail: operation({ summary: 'Liveness: the process answers', tags: ['ops'], security: PUBLIC, errors: [] }),
    })
    .get(
      '/readyz',
      async ({ set }) => {
        try {
          const current = await migrationsCurrent(deps.db);
          if (!current) {
            set.status = 503;
            return { status: 'unavailable' as const, database: 'ok' as const, migrations: 'pending' as const };
          }
          return { status: 'ok' as const, database: 'ok' as const, migrations: 'current' as const };
        } catch {
          set.status = 503;
          set.headers['retry-after'] = '5';
          return { status: 'unavailable' as const, database: 'unreachable' as const };
        }
      },
      {
        response: { 200: Readiness, 503: Readiness },
        detail: operation({
          summary: 'Readiness: database reachable and migrations current',
          description: '503 (with `Retry-After: 5` when the database is unreachable) until the service can serve.',
          tags: ['ops'],
          security: PUBLIC,
          errors: [],
        }),
      },
    );
  const mailbox = deps.devMailbox;
  if (!mailbox || deps.config.nodeEnv !== 'development') return app;
  return app.get(
    '/_dev/mailbox',
    ({ ctx, query }) => {
      // Both the socket peer and the resolved client must be loopback: never reachable from outside.
      if (!ctx.peerIp || !isLoopback(ctx.peerIp) || !isLoopback(ctx.clientIp)) throw new AppError('not_found');
      return { items: mailbox.list(query.to) };
    },
    {
      query: t.Object({ to: t.Optional(Text({ description: 'Only mail to this address.' })) }),
      response: { 200: t.Object({ items: t.Array(DevMail) }) },
      detail: operation({
        summary: 'Development only: mail kept in memory (loopback callers only)',
        tags: ['development'],
        security: PUBLIC,
        errors: ['not_found'],
      }),
    },
  );
}
