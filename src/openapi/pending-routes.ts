// Hand-kept descriptions of the routes whose modules do not declare their own `detail` yet
// (src/magic-link/*, src/console/*), so the document lists every route today. test/openapi.test.ts
// checks this list against the app's routes: each route is either described by its module or here,
// never both, and nothing here is stale. It shrinks to nothing as those modules gain schemas.
import { t } from 'elysia';
import { operation, PUBLIC, serverCaller, Text, VISITOR } from './schemas.ts';

export type PendingRoute = { method: string; path: string; detail: ReturnType<typeof operation> };

const consolePage = (summary: string, errors: Parameters<typeof operation>[0]['errors'] = ['not_signed_in']) =>
  operation({ summary, tags: ['console'], security: PUBLIC, errors, html: { 200: 'The page.' } });

export const PENDING_ROUTES: PendingRoute[] = [
  {
    method: 'POST',
    path: '/v2/visitor/auth/magic-link',
    detail: operation({
      summary: 'Ask for a sign-in link and code by email (202 for every well-formed address)',
      tags: ['sign-in'],
      security: [{}, ...serverCaller('visitor:write')],
      errors: [
        'invalid_email',
        'invalid_return_to',
        'wrong_tenant',
        'csrf_rejected',
        'unknown_handle',
        'insufficient_scope',
        'rate_limited',
      ],
      bare: { 303: 'Form: to /_edge/visitor/check-email.' },
      documentedJson: {
        202: { description: 'Sent (or not: the same answer).', schema: t.Object({ status: t.Literal('sent'), requestId: t.String() }) },
      },
      documentedBody: t.Object({
        handle: t.Optional(Text({ maxLength: 64 })),
        email: Text({ maxLength: 512 }),
        returnTo: t.Optional(Text()),
      }),
      rateLimited: true,
      idempotent: true,
      forms: true,
    }),
  },
  {
    method: 'POST',
    path: '/v2/visitor/auth/verify',
    detail: operation({
      summary: 'Sign in with the link token or the 6-digit code',
      tags: ['sign-in'],
      security: PUBLIC,
      errors: [
        'invalid_magic_link',
        'expired_magic_link',
        'used_magic_link',
        'invalid_code',
        'invalid_email',
        'cookie_blocked',
        'code_attempts_exceeded',
        'wrong_tenant',
        'csrf_rejected',
        'unknown_handle',
        'rate_limited',
      ],
      bare: { 303: 'Form: to the returnTo stored with the link.' },
      rateLimited: true,
      forms: true,
    }),
  },
  {
    method: 'GET',
    path: '/_edge/visitor/access/t/:token',
    detail: operation({
      summary: 'The link page: a "Continue" button (never consumes the link)',
      tags: ['pages', 'sign-in'],
      security: PUBLIC,
      errors: ['invalid_magic_link', 'expired_magic_link', 'used_magic_link', 'rate_limited'],
      html: { 200: 'The page.' },
    }),
  },
  {
    method: 'POST',
    path: '/_edge/visitor/access/t/:token',
    detail: operation({
      summary: 'Continue: consume the link, set the session cookie',
      tags: ['pages', 'sign-in'],
      security: PUBLIC,
      errors: ['invalid_magic_link', 'expired_magic_link', 'used_magic_link', 'cookie_blocked', 'csrf_rejected', 'rate_limited'],
      bare: { 303: 'Signed in: to returnTo.' },
      forms: true,
    }),
  },
  {
    method: 'POST',
    path: '/_edge/visitor/access/t/:token/reissue',
    detail: operation({
      summary: 'Send a fresh link for an expired one',
      tags: ['sign-in'],
      security: PUBLIC,
      errors: ['invalid_magic_link', 'link_still_valid', 'csrf_rejected', 'rate_limited'],
      bare: { 303: 'Form: to /_edge/visitor/check-email.' },
      rateLimited: true,
      idempotent: true,
      forms: true,
    }),
  },
  {
    method: 'GET',
    path: '/_edge/visitor/sign-in',
    detail: operation({
      summary: 'The hosted sign-in page',
      tags: ['pages'],
      security: PUBLIC,
      errors: ['invalid_return_to', 'not_found'],
      html: { 200: 'The page.' },
    }),
  },
  {
    method: 'GET',
    path: '/_edge/visitor/check-email',
    detail: operation({
      summary: 'The "check your email" page with the code form',
      tags: ['pages'],
      security: PUBLIC,
      errors: ['not_found'],
      html: { 200: 'The page.' },
    }),
  },
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
