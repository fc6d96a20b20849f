// The hosted sign-in and check-email pages (on the storefront host, no JavaScript needed).
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { cookieString, setHostCookie, type CookieJar } from '../http/cookies.ts';
import { routeContext } from '../route-context.ts';
import { CHECK_COOKIE, PENDING_COOKIE } from '../sessions/sessions.ts';
import { unseal } from '../tokens/sealed.ts';
import { maskEmail } from '../visitors/email.ts';
import { checkEmailPage, signInPage } from './pages.ts';
import { resolveReturnTo } from './return-to.ts';
import { HTML } from './link-pages.ts';
import type { Pending } from './sign-in-cookies.ts';

export function hostedPageRoutes(deps: AppDeps) {
  const { config, keys } = deps;

  return new Elysia({ name: 'magic-link-pages' })
    .use(routeContext(deps))
    .get('/_edge/visitor/sign-in', async ({ ctx, query, set }) => {
      const tenant = await ctx.hostTenant();
      if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
      const returnTo = resolveReturnTo(typeof query.returnTo === 'string' ? query.returnTo : undefined, tenant, ctx.linkOrigin(tenant));
      set.headers['content-type'] = HTML;
      return signInPage({ tenant, requestId: ctx.requestId, returnTo });
    })
    .get('/_edge/visitor/check-email', async ({ ctx, set, cookie }) => {
      const tenant = await ctx.hostTenant();
      if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
      const sealed = cookieString(cookie as CookieJar, PENDING_COOKIE);
      const pending = sealed ? await unseal<Pending>(keys, 'cookie', sealed, PENDING_COOKIE) : null;
      set.headers['content-type'] = HTML;
      const mine = pending?.handle === tenant.handle ? pending : null;
      // The code form posts back here: test now whether this browser keeps cookies.
      setHostCookie(cookie as CookieJar, CHECK_COOKIE, '1', config.magicLinkTtlSeconds);
      return checkEmailPage({
        tenant,
        requestId: ctx.requestId,
        pending: mine && { email: mine.email, masked: maskEmail(mine.email), returnTo: mine.returnTo },
      });
    });
}
