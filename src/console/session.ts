// Console sessions and console CSRF. The cookie `__Host-console_session` (HttpOnly, Secure,
// SameSite=Strict, Path=/) holds a `vcs_` session token (the console purpose is bound into its MAC:
// a shopper's `vs_` token is no console session, nor the reverse); the session lives 12 h from
// sign-in and ends after 30 min without a console request — both checked here on every request, not
// left to the browser. Every console form carries a CSRF token in a hidden field: the session's own
// once signed in, before that the value of the `__Host-console_check` test cookie (double submit).
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import type { AppDeps } from '../app-deps.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { CookieJar } from '../http/cookies.ts';
import { requestContext } from '../http/request-context.ts';
import { hashToken, verifyToken } from '../tokens/tokens.ts';
import type { OperatorRole } from './operators.ts';
import { revokeSession } from '../sessions/sessions.ts';
import { findConsoleSession, touchConsoleSession } from './session-queries.ts';

export { deleteIdleConsoleSessionsBefore } from './session-queries.ts';

export const SESSION_COOKIE = '__Host-console_session';
export const CHECK_COOKIE = '__Host-console_check';
/**
 * SameSite=Lax and holding no secret: "this browser signed in to the console". A link from mail or
 * chat is a cross-site navigation, which never carries the Strict session cookie; with this hint
 * the console answers with a same-origin refresh (which does carry it) instead of the sign-in page.
 */
export const HINT_COOKIE = '__Host-console_hint';
const TOUCH_EVERY_SECONDS = 60;

export type ConsoleSession = {
  sessionId: string;
  operator: { id: string; email: string; role: OperatorRole };
  csrfToken: string;
  createdAt: Date;
};

export type SessionLookup = { kind: 'none' } | { kind: 'ended'; reason: 'idle' | 'absolute' } | { kind: 'live'; session: ConsoleSession };

const encoder = new TextEncoder();

export function randomToken(): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

/** Console cookies are SameSite=Strict: a link from anywhere else never carries them. */
export function setConsoleCookie(jar: CookieJar, name: string, value: string, maxAgeSeconds: number): void {
  jar[name]!.set({ value, httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: maxAgeSeconds });
}

export function setHintCookie(jar: CookieJar, maxAgeSeconds: number): void {
  jar[HINT_COOKIE]!.set({ value: '1', httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: maxAgeSeconds });
}

/** Deletes a `__Host-` cookie: the deleting Set-Cookie must itself be Secure with Path=/, or browsers ignore it. */
export function clearConsoleCookie(jar: CookieJar, name: string): void {
  jar[name]!.set({ value: '', httpOnly: true, secure: true, sameSite: 'strict', path: '/', maxAge: 0, expires: new Date(0) });
}

export function cookieValue(jar: CookieJar, name: string): string | undefined {
  const value = jar[name]?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The console session of this request; an idle or too-old one is revoked on the spot. */
export async function readConsoleSession(deps: AppDeps, jar: CookieJar): Promise<SessionLookup> {
  const token = cookieValue(jar, SESSION_COOKIE);
  // Forged tokens are rejected by their HMAC tag before any query.
  if (!token || !verifyToken(deps.keys, 'vcs', token)) return { kind: 'none' };
  const row = await findConsoleSession(deps.db, hashToken(token));
  if (!row) return { kind: 'none' };
  const now = deps.clock.now();
  const age = (now.getTime() - new Date(row.created_at).getTime()) / 1000;
  const idle = (now.getTime() - new Date(row.last_active_at).getTime()) / 1000;
  const { consoleSessionSeconds, consoleIdleSeconds } = deps.config;
  if (age >= consoleSessionSeconds || idle >= consoleIdleSeconds) {
    await revokeSession(deps.db, row.session_id, now);
    return { kind: 'ended', reason: age >= consoleSessionSeconds ? 'absolute' : 'idle' };
  }
  if (idle >= TOUCH_EVERY_SECONDS) await touchConsoleSession(deps.db, row.session_id, now);
  return {
    kind: 'live',
    session: {
      sessionId: row.session_id,
      operator: { id: row.operator_id, email: row.email, role: row.role },
      csrfToken: row.csrf_token,
      createdAt: new Date(row.created_at),
    },
  };
}

function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return constantTimeEqual(encoder.encode(given), encoder.encode(expected));
}

const csrfRejected = () =>
  new AppError('csrf_rejected', {
    detail: 'This form is out of date or was not sent from the console itself. Go back, reload the page and try again.',
  });

/**
 * The Origin half of CSRF: the browser must say the form came from the console's own origin — as
 * this request reached us, or PUBLIC_URL (where console links point) — or, from our no-referrer
 * pages, which make browsers send `Origin: null`, send no origin but `Sec-Fetch-Site: same-origin`.
 */
export function assertSameOrigin(request: Request, config: Config): void {
  const origin = request.headers.get('origin');
  const ok =
    !origin || origin === 'null'
      ? request.headers.get('sec-fetch-site') === 'same-origin'
      : origin === requestContext(request, config).origin || origin === config.publicUrl;
  if (!ok) throw csrfRejected();
}

/** The token half: the hidden `csrf` field must equal the expected token (constant time). */
export function assertCsrfToken(given: unknown, expected: string | undefined): void {
  if (!expected || !tokensMatch(given, expected)) throw csrfRejected();
}
