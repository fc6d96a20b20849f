// The one catalogue of error codes. Codes are API surface: append only, never rename.
// Handlers throw AppError(code, extra); src/http/problem.ts renders it (problem+json or an HTML page).

export const ERRORS = {
  invalid_request: { status: 400, title: 'The request is malformed' },
  invalid_email: { status: 400, title: 'That is not a valid email address' },
  invalid_return_to: { status: 400, title: 'returnTo is not an allowed destination' },
  invalid_magic_link: { status: 400, title: 'This sign-in link is not valid' },
  invalid_code: { status: 400, title: 'That code is not right' },
  invalid_resource: { status: 400, title: 'The resource is not a normalised path' },
  invalid_webhook_url: { status: 400, title: 'That URL cannot receive webhooks' },
  cookie_blocked: { status: 400, title: 'Your browser blocked our sign-in cookie' },
  bad_path: { status: 403, title: 'The requested path cannot be checked' },
  not_signed_in: { status: 401, title: 'You are not signed in' },
  unauthorized: { status: 401, title: 'Missing or invalid credential' },
  csrf_rejected: { status: 403, title: 'The request did not come from an allowed origin' },
  wrong_tenant: { status: 403, title: 'That belongs to another storefront' },
  insufficient_scope: { status: 403, title: 'The credential lacks a required scope' },
  wrong_audience: { status: 403, title: 'This route is not for this caller' },
  not_found: { status: 404, title: 'Not found' },
  unknown_handle: { status: 404, title: 'No storefront has that handle' },
  session_not_found: { status: 404, title: 'No such session' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  used_magic_link: { status: 409, title: 'This sign-in link was already used' },
  link_still_valid: { status: 409, title: 'This sign-in link is still valid' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  expired_magic_link: { status: 410, title: 'This sign-in link has expired' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key was used for a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  daily_limit_reached: { status: 429, title: 'Daily limit reached' },
  code_attempts_exceeded: { status: 429, title: 'Too many wrong codes for this address' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
  service_unavailable: { status: 503, title: 'The service is temporarily unavailable' },
  pending_expired: { status: 410, title: 'This sign-in can no longer finish here' },
  pending_rejected: { status: 409, title: 'The sign-in was refused on the other device' },
  number_mismatch: { status: 409, title: 'That was not the number on your other screen' },
  invalid_handoff: { status: 400, title: 'This order link is not valid' },
  step_up_required: { status: 403, title: 'Sign in with your email to see this' },
  passkey_challenge_invalid: { status: 400, title: 'This passkey request has expired or was already used' },
  passkey_rejected: { status: 400, title: 'That passkey did not sign in' },
  email_not_found: { status: 404, title: 'That address is not one of yours' },
  email_is_primary: { status: 409, title: 'The primary address cannot be removed' },
  email_not_verified: { status: 409, title: 'That address is not verified yet' },
  invalid_email_link: { status: 400, title: 'This address link is not valid' },
  expired_email_link: { status: 410, title: 'This address link has expired' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorExtra = {
  detail?: string;
  headers?: Record<string, string>;
  /** Extra problem members, e.g. `expiredAt`, `usedAt`, `errors`. */
  fields?: Record<string, unknown>;
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly extra: ErrorExtra = {},
  ) {
    super(extra.detail ?? ERRORS[code].title);
    this.name = 'AppError';
    this.status = ERRORS[code].status;
  }
}

/** Where a problem's `type` points: `{base}#{code}` (base: config.errorsDocBaseUrl, served at /docs/errors). */
export function errorTypeUri(base: string, code: ErrorCode): string {
  return `${base}#${code}`;
}
