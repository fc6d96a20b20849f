// Hand-kept descriptions of the routes whose modules do not declare their own `detail` yet
// (src/magic-link/*), so the document lists every route today. test/openapi.test.ts
// checks this list against the app's routes: each route is either described by its module or here,
// never both, and nothing here is stale. It shrinks to nothing as those modules gain schemas.
import { t } from 'elysia';
import { operation, PUBLIC, serverCaller, Text, VISITOR } from './schemas.ts';

export type PendingRoute = { method: string; path: string; detail: ReturnType<typeof operation> };

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
