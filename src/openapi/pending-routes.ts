// Hand-kept descriptions of the routes no module can describe itself. Every route module declares
// its own schemas and `detail`; test/openapi.test.ts checks this list against the app's routes (each
// route described by its module or here, never both, nothing stale), and PENDING_ROUTES must stay
// empty: a new route declares its schemas where it is written.
import { operation, VISITOR } from './schemas.ts';

export type PendingRoute = { method: string; path: string; detail: ReturnType<typeof operation> };

export const PENDING_ROUTES: PendingRoute[] = [];

/** Answered before Elysia's routing (src/app.ts), so no module can describe it: kept here for good. */
export const OUTSIDE_ROUTER: PendingRoute[] = [
  {
    method: 'GET',
    path: '/_edge/visitor/access',
    detail: operation({
      summary: 'The edge check: may this browser see X-Original-URI? (204 / 401 / 403 only)',
      description: 'Asked by the CDN before every gated page; answers carry no body. See docs/api.md "Edge check".',
      tags: ['edge'],
      security: [...VISITOR, {}],
      errors: [],
      bare: { 204: 'Allowed.', 401: 'Not signed in (X-Visitor-Login says where to).', 403: 'No grant, or not checkable.' },
    }),
  },
];
