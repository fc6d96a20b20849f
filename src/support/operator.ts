// The audience rule of every /v2/operator/* route (docs/api.md "Operator routes"): only a service PAT (no tenant) holding the
// route's scope gets in. No or an invalid credential → 401 unauthorized; a live visitor session or
// any valid credential without that scope (tenant PAT, storefront JWT, service PAT lacking it) →
// 403 wrong_audience, pointing shoppers and abuse reporters to the routes that are theirs.
import { bearerOf, unauthorized, type ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';

export type OperatorScope = 'operator:read' | 'operator:escalate';
export type Operator = ServerCaller & { tenantId: null };

export function wrongAudience(scope: OperatorScope): AppError {
  return new AppError('wrong_audience', {
    detail:
      'This is an internal operator route (a service token is required). Shoppers with a problem: POST /v2/support/report. ' +
      'Reporting abusive or illegal content: POST /v2/public/content-report.',
    fields: { requiredScope: scope },
  });
}

/** The operator calling, or the 401/403 the audience rule demands. */
export async function requireOperator(ctx: RouteContext, scope: OperatorScope): Promise<Operator> {
  const bearer = bearerOf(ctx.request);
  if (!bearer || bearer.startsWith('vs_')) {
    // A shopper's session (cookie or bearer) is a real credential for the wrong audience.
    if (await ctx.presentedSession()) throw wrongAudience(scope);
    throw unauthorized('Send a service PAT as `Authorization: Bearer vapat_…`.');
  }
  const caller = await ctx.caller(); // unknown, revoked or forged → 401
  if (!caller) throw unauthorized('Send a service PAT as `Authorization: Bearer vapat_…`.');
  if (caller.tenantId !== null || !caller.scopes.has(scope)) throw wrongAudience(scope);
  return caller as Operator;
}
