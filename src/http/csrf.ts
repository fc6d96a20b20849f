// CSRF for cookie-authenticated writes and every form POST: Origin must be one of the tenant's
// allowed origins (or https://{edge host}; plain http only for loopback hosts outside production),
// or absent/`null` with `Sec-Fetch-Site: same-origin` (no-referrer pages make browsers send `null`).
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Tenant } from '../tenants/tenants.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function originAllowed(request: Request, tenant: Tenant, config: Config): boolean {
  const origin = request.headers.get('origin');
  if (!origin || origin === 'null') return request.headers.get('sec-fetch-site') === 'same-origin';
  if (tenant.origins.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (!tenant.hosts.includes(url.hostname)) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && config.nodeEnv !== 'production' && LOOPBACK_HOSTS.has(url.hostname);
}

export function assertOriginAllowed(request: Request, tenant: Tenant, config: Config): void {
  if (!originAllowed(request, tenant, config)) {
    throw new AppError('csrf_rejected', { detail: 'This form was not sent from the storefront itself. Go back and try again.' });
  }
}
