// The sign-in flow's limits beyond the plain per-route ones (RouteContext.enforceLimits).
import type { KeyRing } from '../tokens/keys.ts';
import { hashToken, verifyToken } from '../tokens/tokens.ts';
import type { RouteContext } from '../route-context.ts';
import type { Tenant } from '../tenants/tenants.ts';

/** The verify route's per-IP quota of wrong codes (a policy label of limits/policies.ts). */
export const WRONG_CODES = 'wrong-code-per-ip';

/**
 * The link page's limits, per client IP and per link. Only for a token whose HMAC tag holds: a
 * forged one is refused before any query (and writes nothing), so it needs no counter.
 */
export async function enforceLinkLimits(keys: KeyRing, ctx: RouteContext, tenant: Tenant, token: string): Promise<void> {
  if (!verifyToken(keys, 'vml', token)) return;
  await ctx.enforceLimits('link', tenant.id, { ip: ctx.clientIp, link: hashToken(token) });
}
