// The one place errors become responses: RFC 9457 problem+json for API callers, an HTML page with
// the same status, code and request id for browser forms and hosted pages. No stack traces, ever.
// On a storefront's host the page speaks to the shopper: their language, the storefront's branding,
// a title and a sentence per code from the catalogues (not the API's `detail`), and a way on.
import { type AppError, ERRORS, type ErrorCode, errorTypeUri } from '../errors.ts';
import { DEFAULT_LOCALE, type Locale, languageHeaders } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import { waitWords } from '../i18n/time.ts';
import { type Html, html, page, type PageBranding, pageHeaders } from './html.ts';

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  [field: string]: unknown;
};

function problemBody(error: AppError, requestId: string, typeBase: string): ProblemBody {
  const { title, status } = ERRORS[error.code];
  return {
    ...error.extra.fields,
    type: errorTypeUri(typeBase, error.code),
    title,
    status,
    detail: error.extra.detail ?? title,
    code: error.code,
    requestId,
  };
}

/** Browser form posts and hosted pages get HTML; everything else gets problem+json. */
export function wantsHtml(request: Request): boolean {
  const type = request.headers.get('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return true;
  if (type.startsWith('application/json')) return false;
  const accept = request.headers.get('accept') ?? '';
  return (request.method === 'GET' || request.method === 'HEAD') && accept.includes('text/html');
}

/** The storefront whose host answered: its name, logo, accent and support contact, and the shopper's language. */
export type ProblemStorefront = { branding: PageBranding; locale: Locale };

/** Where an HTML problem page can lead on; the app knows the request and the storefront, this layer does not. */
export type ProblemWays = {
  /** The same request again (a GET's path and query): offered for errors that pass with time. */
  retry?: string | null;
  /** The storefront's sign-in page (with the request's returnTo when it is one the page accepts). */
  signIn?: string | null;
  /** The storefront's home page (its origin). */
  home?: string | null;
  /** No storefront on this host: the same page where it works (development, opened on a loopback address). */
  elsewhere?: string | null;
};

/** Errors that pass with time, so trying the same thing again later is a way on. */
const PASSING: ReadonlySet<ErrorCode> = new Set([
  'rate_limited',
  'daily_limit_reached',
  'idempotency_in_progress',
  'internal_error',
  'service_unavailable',
]);

/** Retry-After in seconds (we only ever send delta-seconds), or null. */
function retryAfterSeconds(error: AppError): number | null {
  const value = error.extra.headers?.['retry-after'];
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

/** The fields an `invalid_request` names (its `errors`), so the shopper knows which part of a form to fix. */
function unreadableFields(error: AppError, locale: Locale): Html {
  const errors = error.extra.fields?.errors;
  if (!Array.isArray(errors)) return html``;
  const paths = [...new Set(errors.map((e: { path?: unknown }) => e?.path).filter((p): p is string => typeof p === 'string' && p !== ''))];
  if (paths.length === 0) return html``;
  const list = paths.slice(0, 5).map((path, i) => html`${i > 0 ? ', ' : ''}<code>${path}</code>`);
  return html`<p>${messagesFor(locale).problemPage.unreadable(list)}</p>\n`;
}

/** The ways on, in the page's language: wait, try again, sign in, the shop's home (never twice the same address). */
function waysOn(error: AppError, locale: Locale, ways: ProblemWays, store: string | null): Html {
  const m = messagesFor(locale).problemPage;
  const passing = PASSING.has(error.code);
  const wait = passing ? retryAfterSeconds(error) : null;
  const retry = passing ? (ways.retry ?? null) : null;
  const signIn = ways.signIn && ways.signIn !== retry ? ways.signIn : null;
  return html`${wait !== null ? html`<p>${m.tryAgainIn(waitWords(locale, wait))}</p>\n` : ''}${
    retry ? html`<p><a class="button" href="${retry}">${m.tryAgain}</a></p>\n` : ''
  }${signIn ? html`<p><a class="${retry ? 'button secondary' : 'button'}" href="${signIn}">${m.signIn}</a></p>\n` : ''}${
    ways.home && store ? html`<p><a href="${ways.home}">${m.home(store)}</a></p>\n` : ''
  }${ways.elsewhere ? html`<p><a href="${ways.elsewhere}">${m.openAt(ways.elsewhere)}</a></p>\n` : ''}`;
}

export function problemResponse(
  error: AppError,
  options: {
    requestId: string;
    html: boolean;
    /** config.errorsDocBaseUrl: the problem's `type` is `{typeBase}#{code}`. */
    typeBase: string;
    /** The storefront of the request's host: the page is theirs (branded, localised, in shopper words). Else a neutral page. */
    storefront?: ProblemStorefront | null;
    ways?: ProblemWays;
    headers?: Record<string, string>;
  },
): Response {
  const body = problemBody(error, options.requestId, options.typeBase);
  const headers: Record<string, string> = {
    'x-request-id': options.requestId,
    'cache-control': 'no-store',
    ...options.headers,
    ...error.extra.headers,
  };
  if (options.html) {
    const { storefront, ways = {} } = options;
    let markup: string;
    if (storefront) {
      const { branding, locale } = storefront;
      const words = messagesFor(locale).problems[error.code];
      Object.assign(headers, pageHeaders(branding));
      languageHeaders(headers, locale);
      markup = page({
        brand: branding.name,
        branding,
        locale,
        title: words.title,
        body: html`<p>${words.text}</p>
${unreadableFields(error, locale)}${waysOn(error, locale, ways, branding.name)}`,
        code: body.code,
        requestId: options.requestId,
      });
    } else {
      // No storefront here (the service's own host, an unknown one): the neutral page, in English,
      // saying what the API says; a way on only where there is one we know (never a storefront's).
      headers['content-type'] = 'text/html; charset=utf-8';
      markup = page({
        brand: 'Visitor Access',
        title: body.title,
        body: html`<p>${body.detail}</p>
${waysOn(error, DEFAULT_LOCALE, { retry: ways.retry, elsewhere: ways.elsewhere }, null)}`,
        code: body.code,
        requestId: options.requestId,
      });
    }
    return new Response(markup, { status: body.status, headers });
  }
  headers['content-type'] = 'application/problem+json';
  return new Response(JSON.stringify(body), { status: body.status, headers });
}
