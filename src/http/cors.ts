// CORS for the browser-facing JSON routes: granted only to the tenant's allowed origins, with
// credentials (the session cookie). Everyone else gets no CORS headers, so browsers refuse to send
// cross-site JSON — which is half of our CSRF defence for JSON POSTs.
import type { RequestContext } from './request-context.ts';
import type { TenantLookup } from './tenant-lookup.ts';

const BROWSER_ROUTES = /^\/v2\/(visitor\/|support\/report$|public\/content-report$)/;
const ALLOW_HEADERS = 'content-type, authorization, idempotency-key, x-request-id';
const EXPOSE_HEADERS = 'x-request-id, retry-after, ratelimit, ratelimit-policy, idempotent-replayed';

/** CORS headers for this request (empty when none apply), and whether it is a preflight to answer now. */
export async function corsHeaders(
  request: Request,
  context: RequestContext,
  tenants: Pick<TenantLookup, 'forHost' | 'forOrigin'>,
): Promise<{ headers: Record<string, string>; preflight: boolean }> {
  const origin = request.headers.get('origin');
  const preflight = request.method === 'OPTIONS' && request.headers.has('access-control-request-method');
  if (!origin || origin === 'null' || !BROWSER_ROUTES.test(context.path)) return { headers: {}, preflight };
  const tenant = (await tenants.forHost(context.hostname)) ?? (await tenants.forOrigin(origin));
  if (!tenant?.origins.includes(origin)) return { headers: { vary: 'Origin' }, preflight };
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': EXPOSE_HEADERS,
    vary: 'Origin',
  };
  if (preflight) {
    headers['access-control-allow-methods'] = 'GET, POST, DELETE';
    headers['access-control-allow-headers'] = ALLOW_HEADERS;
    headers['access-control-max-age'] = '600';
  }
  return { headers, preflight };
}
