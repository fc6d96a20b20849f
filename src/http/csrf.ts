// CSRF for cookie-authenticated writes and every form POST: Origin must be exactly one of the
// tenant's allowed origins, or exactly the origin the request came in on when that is one of the
// tenant's hosts (https; plain http only for loopback hosts outside production), or absent/`null`
// with `Sec-Fetch-Site: same-origin` (no-referrer pages make browsers send `null`).
// Exact means scheme, host and port: another port on the same host is another origin (RFC 6454),
// possibly another program, and must not borrow the storefront's cookies.
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { requestContext } from './request-context.ts';
import type { HttpTenant } from './tenant-lookup.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** `host[:port]` as a URL of `scheme` spells it (a default port dropped), or null if malformed. */
function hostAs(scheme: 'https:' | 'http:', host: string): string | null {
  try {
    return new URL(`${scheme}//${host}`).host;
  } catch {
    return null;
  }
}

/** The request's own origin on an edge host: host and port exactly as the Host header (or trusted X-Forwarded-Host) says. */
function isRequestOrigin(origin: URL, request: Request, config: Config): boolean {
  const scheme = origin.protocol;
  if (scheme !== 'https:' && !(scheme === 'http:' && config.nodeEnv !== 'production' && LOOPBACK_HOSTS.has(origin.hostname))) return false;
  const context = requestContext(request, config);
  const requestHost = context.origin.slice(context.origin.indexOf('://') + 3);
  return hostAs(scheme, requestHost) === origin.host;
}

export function originAllowed(request: Request, tenant: HttpTenant, config: Config): boolean {
  const origin = request.headers.get('origin');
  if (!origin || origin === 'null') return request.headers.get('sec-fetch-site') === 'same-origin';
  if (tenant.origins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin) return false; // a path, userinfo or odd spelling is no browser's Origin
  if (!tenant.hosts.includes(url.hostname)) return false;
  return isRequestOrigin(url, request, config);
}

export function assertOriginAllowed(request: Request, tenant: HttpTenant, config: Config): void {
  if (!originAllowed(request, tenant, config)) {
    throw new AppError('csrf_rejected', { detail: 'This form was not sent from the storefront itself. Go back and try again.' });
  }
}
