// The per-request context every route handler receives as `ctx`, derived once per request through
// Elysia's lifecycle: each route module starts with `.use(routeContext(deps))`, a scoped `derive`.
// The cheap facts (request id, client IP, host, origin; the request log's facts) are there at once;
// what costs I/O — the host's tenant, the server caller, the visitor session — is computed only when
// a handler asks, and at most once (each getter keeps its promise).
import { Elysia } from 'elysia';
import type { AppDeps } from './app-deps.ts';
import { authorizeServerCaller, serverCallerFrom, type ServerCaller } from './credentials/caller.ts';
import { cookieString, type CookieJar } from './http/cookies.ts';
import { requestContext, type RequestContext } from './http/request-context.ts';
import { linkOriginFor, visitorTenant } from './http/visitor-tenant.ts';
import type { LimitKeys, LimitResult } from './limits/limiter.ts';
import type { LimitRoute, Policy } from './limits/policies.ts';
import type { Scope } from './credentials/scopes.ts';
import { currentSession, signedIn, slideUsedSession, type CurrentSession } from './sessions/current.ts';
import { SESSION_COOKIE, sessionFromToken, sessionTokenFrom, type VisitorSession } from './sessions/sessions.ts';
import type { Tenant } from './tenants/tenants.ts';

type SignedIn = { session: VisitorSession; tenant: Tenant };

export class RouteContext {
  readonly requestId: string;
  /** The socket peer (null when unknown, e.g. in-process calls). */
  readonly peerIp: string | null;
  /** The client, past trusted proxies. */
  readonly clientIp: string;
  /** Hostname (no port) the request came through, lower-case. */
  readonly hostname: string;
  /** scheme://host[:port] the browser used. */
  readonly origin: string;
  readonly userAgent: string | null;
  /** What handlers learned, for the request log (never secrets). */
  readonly facts: RequestContext['facts'];

  #hostTenant?: Promise<Tenant | null>;
  #caller?: Promise<ServerCaller | null>;
  #presented?: Promise<VisitorSession | null>;
  #session?: Promise<CurrentSession>;
  #used?: Promise<SignedIn>;

  constructor(
    private readonly deps: AppDeps,
    readonly request: Request,
    readonly jar: CookieJar,
    private readonly base: RequestContext = requestContext(request, deps.config),
  ) {
    this.requestId = base.requestId;
    this.peerIp = base.peerIp;
    this.clientIp = base.clientIp;
    this.hostname = base.hostname;
    this.origin = base.origin;
    this.userAgent = base.userAgent;
    this.facts = base.facts;
  }

  /** The storefront whose edge host this is, or null on the service's own host (a cached lookup). */
  hostTenant(): Promise<Tenant | null> {
    this.#hostTenant ??= this.deps.tenants.forHost(this.hostname);
    return this.#hostTenant;
  }

  /** The tenant a visitor request is for: the host's, or the `handle` field's on the service's host. */
  visitorTenant(handle: unknown): Promise<{ tenant: Tenant; onEdgeHost: boolean }> {
    const lookup = { forHost: () => this.hostTenant(), forHandle: (h: string) => this.deps.tenants.forHandle(h) };
    return visitorTenant(lookup, this.base, handle);
  }

  /** Where this request's links and sign-in pages point: the origin it came through when it is the tenant's. */
  linkOrigin(tenant: Tenant): string {
    return linkOriginFor(tenant, this.base);
  }

  /** The server caller (PAT or storefront JWT), or null when none is presented; 401 for a bad one. */
  caller(): Promise<ServerCaller | null> {
    this.#caller ??= serverCallerFrom(this.deps, this.request);
    return this.#caller;
  }

  /** The server caller, on its own host, holding `scope` (401 / 403 otherwise). */
  async requireCaller(scope: Scope): Promise<ServerCaller & { tenantId: string }> {
    return authorizeServerCaller(this.deps, this.request, await this.caller(), scope);
  }

  /** The live session behind the presented cookie or `Bearer vs_…`, whatever the host: null if none. */
  presentedSession(): Promise<VisitorSession | null> {
    this.#presented ??= sessionFromToken(this.deps, sessionTokenFrom(this.request, cookieString(this.jar, SESSION_COOKIE)));
    return this.#presented;
  }

  /** The visitor session and the tenant it counts for (sessions/current.ts); wrong_tenant on another's host. */
  session(): Promise<CurrentSession> {
    this.#session ??= this.hostTenant().then((hostTenant) => currentSession(this.deps, this.base, this.request, this.jar, hostTenant));
    return this.#session;
  }

  /** The signed-in visitor, or 401 not_signed_in. */
  async requireSession(): Promise<SignedIn> {
    return signedIn(await this.session());
  }

  /** The signed-in visitor, for a route that counts as using the session (its expiry slides). */
  requireUsedSession(): Promise<SignedIn> {
    this.#used ??= this.requireSession().then((found) => slideUsedSession(this.deps, this.jar, found));
    return this.#used;
  }

  /** Counts the request against the route's limits; the RateLimit headers go on whatever answer follows. */
  async enforceLimits(
    route: LimitRoute,
    tenantId: string,
    keys: LimitKeys,
    count?: (policy: Policy) => boolean,
    options?: { batch?: boolean },
  ): Promise<LimitResult> {
    const limits = await this.deps.limiter.hit(route, tenantId, keys, count, options);
    Object.assign(this.base.responseHeaders, limits.headers);
    if (limits.blocking) throw this.deps.limiter.refusal(limits.blocking);
    return limits;
  }

  /** The path the logs and the request log show, when the real one carries a secret (a token). */
  logPathAs(path: string): void {
    this.base.path = path;
  }
}

// One context per Request: should two derives of this plugin reach the same route (a module and a
// plugin it uses), the second one finds the first's.
const contexts = new WeakMap<Request, RouteContext>();

export function routeContextOf(deps: AppDeps, request: Request, jar: CookieJar): RouteContext {
  let ctx = contexts.get(request);
  if (!ctx) {
    ctx = new RouteContext(deps, request, jar);
    contexts.set(request, ctx);
  }
  return ctx;
}

const plugins = new WeakMap<AppDeps, ReturnType<typeof buildPlugin>>();

function buildPlugin(deps: AppDeps) {
  // Scoped: the derive reaches the routes of the module that uses this plugin, and no further.
  return new Elysia({ name: 'route-context' }).derive({ as: 'scoped' }, ({ request, cookie }) => ({
    ctx: routeContextOf(deps, request, cookie as CookieJar),
  }));
}

/** The plugin a route module uses first, so its handlers receive `ctx`. One instance per app. */
export function routeContext(deps: AppDeps) {
  let plugin = plugins.get(deps);
  if (!plugin) {
    plugin = buildPlugin(deps);
    plugins.set(deps, plugin);
  }
  return plugin;
}
