// Development only: a tiny storefront for the demo tenant (home, a gated course, an order page), so
// that `bun run start` → http://localhost:3000 → sign in ends on a page, not on a 404. Its gated
// pages ask the real edge check in-process, exactly as nginx's auth_request would (docs/deploy.md):
// 204 → the page, 401 → 302 to X-Visitor-Login, 403 → a "no access" page. The decision is the edge
// check's own code; nothing here re-decides it. The app mounts these routes only in development.
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { EDGE_PATH } from '../access/edge.ts';
import { AppError } from '../errors.ts';
import type { PeerSource } from '../http/request-context.ts';
import { routeContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { coursePage, homePage, lessonPage, noGrantPage, orderPage, type PageContext } from './pages.ts';

/** The demo tenant's handle; the development seed creates it (src/demo-seed.ts). */
export const DEMO_HANDLE = 'gharart';
/** The demo shopper: the seed grants them the course. */
export const DEMO_EMAIL = 'demo@example.com';
/** The course the seed grants the demo shopper, and the README's returnTo. */
export const DEMO_COURSE = '/content/demo/';

/** The edge check's entry (src/access/edge.ts `createEdgeCheck(...).check`). */
export type EdgeCheck = (request: Request, peer?: PeerSource) => Response | Promise<Response>;

const HTML = 'text/html; charset=utf-8';

export function demoStorefrontRoutes(deps: AppDeps, edgeCheck: EdgeCheck) {
  /** The demo tenant when this is its host; anything else is the 404 it was before this existed. */
  async function demoTenant(hostTenant: Promise<Tenant | null>): Promise<Tenant> {
    const tenant = await hostTenant;
    if (!tenant || tenant.handle !== DEMO_HANDLE) throw new AppError('not_found', { detail: 'No such route.' });
    return tenant;
  }

  /**
   * What nginx's `auth_request` subrequest carries: the shopper's own headers (cookies, host,
   * forwarded headers from a trusted proxy) plus X-Original-URI, which only we set.
   */
  function askEdge(request: Request, peer: string | null): Response | Promise<Response> {
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete('x-forwarded-uri');
    headers.set('x-original-uri', url.pathname + url.search);
    return edgeCheck(new Request(new URL(EDGE_PATH, url), { headers }), peer ?? undefined);
  }

  return new Elysia({ name: 'demo-storefront' })
    .use(routeContext(deps))
    .get('/', async ({ ctx, set }) => {
      const tenant = await demoTenant(ctx.hostTenant());
      ctx.facts.tenantId = tenant.id;
      const session = await ctx.presentedSession().catch(() => null);
      set.headers['content-type'] = HTML;
      return homePage(pageContext(tenant, ctx.requestId), session !== null && session.tenant_id === tenant.id);
    })
    .get('/content/*', async ({ ctx, request, set }) => {
      const tenant = await demoTenant(ctx.hostTenant());
      const gate = await gated(request, ctx.peerIp, tenant, ctx.requestId, set);
      if (gate !== null) return gate;
      const path = new URL(request.url).pathname.replace(/\/+$/, '');
      if (path === DEMO_COURSE.slice(0, -1)) return coursePage(pageContext(tenant, ctx.requestId));
      const lesson = /^\/content\/demo\/lesson-([1-3])$/.exec(path);
      if (lesson) return lessonPage(pageContext(tenant, ctx.requestId), Number(lesson[1]));
      throw new AppError('not_found', { detail: 'The demo storefront has no such page.' });
    })
    .get('/orders/*', async ({ ctx, request, set }) => {
      const tenant = await demoTenant(ctx.hostTenant());
      const gate = await gated(request, ctx.peerIp, tenant, ctx.requestId, set);
      if (gate !== null) return gate;
      // The edge check allowed it, so the path is already strictly normal (src/access/paths.ts).
      const orderId = decodeURIComponent(new URL(request.url).pathname.slice('/orders/'.length)).replace(/\/+$/, '');
      if (orderId === '' || orderId.includes('/')) throw new AppError('not_found', { detail: 'The demo storefront has no such page.' });
      return orderPage(pageContext(tenant, ctx.requestId), orderId);
    });

  /**
   * Runs the edge check for this request; null when it allows (then the caller serves the page), else
   * the answer nginx would give: a redirect to sign in, or the 403 page.
   */
  async function gated(
    request: Request,
    peer: string | null,
    tenant: Tenant,
    requestId: string,
    set: { status?: number | string; headers: Record<string, string | number> },
  ): Promise<string | null> {
    const decision = await askEdge(request, peer);
    set.headers['content-type'] = HTML;
    if (decision.status === 204) return null;
    const login = decision.headers.get('x-visitor-login');
    if (decision.status === 401 && login) {
      set.status = 302;
      set.headers.location = login;
      return '';
    }
    set.status = 403;
    const url = new URL(request.url);
    return noGrantPage(pageContext(tenant, requestId), url.pathname + url.search, decision.headers.get('x-visitor-reason'));
  }
}

function pageContext(tenant: Tenant, requestId: string): PageContext {
  return { brand: tenant.name, requestId };
}
