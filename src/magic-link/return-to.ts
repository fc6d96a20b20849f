// returnTo: an absolute http(s) URL on one of the tenant's allowed origins, or a path starting with
// a single `/` resolved against the public origin. Everything else is an open-redirect attempt.
import { AppError } from '../errors.ts';
import { publicOrigin, type Tenant } from '../tenants/tenants.ts';

const FORBIDDEN = /[\u0000-\u001f\u007f\\\s]/;

export function resolveReturnTo(raw: unknown, tenant: Tenant, base = publicOrigin(tenant)): string {
  if (raw === undefined || raw === null || raw === '') return `${base}/`;
  if (typeof raw !== 'string' || raw.length > 2048 || FORBIDDEN.test(raw)) throw rejected();
  let url: URL;
  if (raw.startsWith('/')) {
    if (raw.startsWith('//')) throw rejected(); // protocol-relative: another host
    url = new URL(raw, base);
    if (url.origin !== new URL(base).origin) throw rejected();
  } else {
    // Only the explicit `scheme://` form: `https:evil.com` would parse as https://evil.com/.
    if (!/^https?:\/\//i.test(raw)) throw rejected();
    try {
      url = new URL(raw);
    } catch {
      throw rejected();
    }
    if (
      url.username ||
      url.password ||
      raw
        .slice(raw.indexOf('//') + 2)
        .split(/[/?#]/)[0]!
        .includes('@')
    )
      throw rejected();
    if (!tenant.origins.includes(url.origin)) throw rejected();
  }
  return url.href;
}

function rejected(): AppError {
  return new AppError('invalid_return_to', { detail: "returnTo must be a path or a URL on one of the storefront's own origins." });
}
