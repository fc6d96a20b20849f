// Hand-kept descriptions of the routes whose modules do not declare their own `detail` yet
// (src/console/*), so the document lists every route today. test/openapi.test.ts
// checks this list against the app's routes: each route is either described by its module or here,
// never both, and nothing here is stale. It shrinks to nothing as those modules gain schemas.
import { operation, PUBLIC, VISITOR } from './schemas.ts';

export type PendingRoute = { method: string; path: string; detail: ReturnType<typeof operation> };

const consolePage = (summary: string, errors: Parameters<typeof operation>[0]['errors'] = ['not_signed_in']) =>
  operation({ summary, tags: ['console'], security: PUBLIC, errors, html: { 200: 'The page.' } });

export const PENDING_ROUTES: PendingRoute[] = [
  { method: 'GET', path: '/console/sign-in', detail: consolePage('Console: operator sign-in page', []) },
  {
    method: 'POST',
    path: '/console/sign-in',
    detail: consolePage('Console: ask for an operator sign-in link', ['csrf_rejected', 'rate_limited']),
  },
  { method: 'GET', path: '/console/check-email', detail: consolePage('Console: check your email', []) },
  { method: 'GET', path: '/console/t/:token', detail: consolePage('Console: the operator link page', ['invalid_magic_link']) },
  {
    method: 'POST',
    path: '/console/t/:token',
    detail: consolePage('Console: consume the operator link', ['invalid_magic_link', 'csrf_rejected']),
  },
  { method: 'ALL', path: '/console/t/:token/*', detail: consolePage('Console: anything under a link path (not found)', ['not_found']) },
  { method: 'POST', path: '/console/sign-out', detail: consolePage('Console: sign out', ['csrf_rejected']) },
  { method: 'GET', path: '/console/', detail: consolePage('Console: home') },
  { method: 'GET', path: '/console/find', detail: consolePage('Console: find a shopper, storefront or request') },
  { method: 'GET', path: '/console/tenants/:handle', detail: consolePage('Console: a storefront', ['not_signed_in', 'not_found']) },
  {
    method: 'GET',
    path: '/console/tenants/:handle/shopper',
    detail: consolePage('Console: a shopper at a storefront', ['not_signed_in', 'not_found']),
  },
  {
    method: 'GET',
    path: '/console/tenants/:handle/confirm',
    detail: consolePage('Console: confirm an action', ['not_signed_in', 'not_found']),
  },
  {
    method: 'POST',
    path: '/console/tenants/:handle/confirm',
    detail: consolePage('Console: open a confirmation link for an action', ['not_signed_in', 'csrf_rejected', 'not_found']),
  },
  {
    method: 'POST',
    path: '/console/tenants/:handle/actions/:action',
    detail: consolePage('Console: carry out a confirmed action', ['not_signed_in', 'csrf_rejected', 'not_found']),
  },
  {
    method: 'GET',
    path: '/console/tenants/:handle/branding',
    detail: consolePage('Console: a storefront’s branding (admins edit, support reads)', ['not_signed_in', 'not_found']),
  },
  {
    method: 'POST',
    path: '/console/tenants/:handle/branding',
    detail: consolePage('Console: save a storefront’s branding (admins; errors beside their fields, 400)', [
      'not_signed_in',
      'csrf_rejected',
      'wrong_audience',
      'not_found',
    ]),
  },
  {
    method: 'GET',
    path: '/console/tenants/:handle/webhooks',
    detail: consolePage('Console: a storefront’s webhook endpoints and dead deliveries (admins change, support reads)', [
      'not_signed_in',
      'not_found',
    ]),
  },
  {
    method: 'POST',
    path: '/console/tenants/:handle/webhooks',
    detail: consolePage('Console: add a webhook endpoint (admins; the secret is shown once; errors beside their fields, 400)', [
      'not_signed_in',
      'csrf_rejected',
      'wrong_audience',
      'invalid_webhook_url',
      'not_found',
    ]),
  },
  {
    method: 'GET',
    path: '/console/requests/:requestId',
    detail: consolePage('Console: one request’s story', ['not_signed_in', 'not_found']),
  },
  { method: 'GET', path: '/console/requests', detail: consolePage('Console: recent requests') },
];

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
