// What every console route shares: an HTML answer, the signed-in operator (or a redirect to the
// sign-in page), and errors rendered as console pages with their status, code and request id.
import type { AppDeps } from '../app-deps.ts';
import { AppError, ERRORS, type ErrorCode } from '../errors.ts';
import type { CookieJar, SetContext } from '../http/cookies.ts';
import type { RouteContext } from '../route-context.ts';
import { viewerOf, type Viewer } from './access.ts';
import { consolePages } from './pages.ts';
import { clearConsoleCookie, cookieValue, HINT_COOKIE, readConsoleSession, SESSION_COOKIE, type ConsoleSession } from './session.ts';

const HTML = 'text/html; charset=utf-8';

/** Titles in the console's words where the catalogue's are written for API callers. */
const TITLES: Partial<Record<ErrorCode, string>> = {
  wrong_audience: 'Outside your role or your storefronts',
  csrf_rejected: 'This form has expired',
  not_signed_in: 'Sign in first',
};

/** Thrown to answer with a 303 (e.g. to the sign-in page). */
export class SeeOther {
  constructor(readonly location: string) {}
}

/** Thrown to answer with a page as is (200). */
class Answer {
  constructor(readonly page: string) {}
}

export type ConsoleRequest = {
  /** The request's context (src/route-context.ts): ids, client, the request log's facts. */
  ctx: RouteContext;
  request: Request;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** A form body's fields ({} for a GET). */
  body: Record<string, unknown>;
  set: SetContext;
  jar: CookieJar;
  requestId: string;
  now: Date;
  /** The signed-in operator and what they see; throws a redirect (GET) or 401 (POST) otherwise. */
  viewer(): Promise<Viewer>;
  /** The session if there is one, without insisting. */
  session(): Promise<ConsoleSession | null>;
};

type HandlerContext = { ctx: RouteContext; request: Request; set: SetContext; cookie: unknown; params?: unknown; body?: unknown };

export function consoleHandler(deps: AppDeps, work: (c: ConsoleRequest) => Promise<string>) {
  return async ({ ctx, request, set, cookie, params, body }: HandlerContext): Promise<string> => {
    const jar = cookie as CookieJar;
    let session: ConsoleSession | null | undefined;
    const readSession = async (): Promise<ConsoleSession | null> => {
      if (session !== undefined) return session;
      const found = await readConsoleSession(deps, jar);
      if (found.kind === 'ended') {
        clearConsoleCookie(jar, SESSION_COOKIE);
        session = null;
        if (request.method === 'GET') throw new SeeOther(`/console/sign-in?notice=${found.reason}`);
        throw new AppError('not_signed_in', { detail: 'Your console session has ended. Sign in again.' });
      }
      session = found.kind === 'live' ? found.session : null;
      if (!session && cookieValue(jar, SESSION_COOKIE)) clearConsoleCookie(jar, SESSION_COOKIE);
      return session;
    };
    const c: ConsoleRequest = {
      ctx,
      request,
      params: (params ?? {}) as Record<string, string>,
      // One string per name (the last, like a form body): never an array from `?a=1&a=2`.
      query: Object.fromEntries(new URL(request.url).searchParams),
      body: body && typeof body === 'object' ? (body as Record<string, unknown>) : {},
      set,
      jar,
      requestId: ctx.requestId,
      now: deps.clock.now(),
      session: readSession,
      async viewer() {
        const live = await readSession();
        if (!live) {
          const url = new URL(request.url);
          if (
            request.method === 'GET' &&
            request.headers.get('sec-fetch-site') === 'cross-site' &&
            cookieValue(jar, HINT_COOKIE) &&
            url.pathname.startsWith('/console/')
          ) {
            // Arrived by a link from elsewhere: the Strict session cookie stayed behind. Reload the
            // same URL from here (same-origin), which carries it; no loop: that request is same-origin.
            throw new Answer((await consolePages()).reopenPage({ requestId: ctx.requestId, path: url.pathname + url.search }));
          }
          if (request.method === 'GET') throw new SeeOther('/console/sign-in');
          throw new AppError('not_signed_in', { detail: 'Sign in to the console first.' });
        }
        return viewerOf(deps, live);
      },
    };
    set.headers['content-type'] = HTML;
    try {
      return await work(c);
    } catch (error) {
      if (error instanceof Answer) return error.page;
      if (error instanceof SeeOther) {
        set.status = 303;
        set.headers.location = error.location;
        return '';
      }
      if (!(error instanceof AppError)) throw error; // the app's error handler: 500 / 503
      ctx.facts.code = error.code;
      set.status = error.status;
      Object.assign(set.headers, error.extra.headers ?? {});
      const signedIn = Boolean(session);
      return (await consolePages()).errorPage({
        requestId: ctx.requestId,
        code: error.code,
        title: TITLES[error.code] ?? ERRORS[error.code].title,
        detail: error.extra.detail ?? ERRORS[error.code].title,
        signedIn,
        session: session ?? null,
      });
    }
  };
}
