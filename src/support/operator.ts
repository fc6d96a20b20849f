// The audience rule of every /v2/operator/* route (api.md): only a service PAT (no tenant) holding the
// route's scope gets in. No or an invalid credential → 401 unauthorized; a live visitor session or
// any valid credential without that scope (tenant PAT, storefront JWT, service PAT lacking it) →
// 403 wrong_audience, pointing shoppers and abuse reporters to the routes that are theirs.
import type { AppDeps } from '../app-deps.ts';
import { bearerOf, serverCallerFrom, unauthorized, type ServerCaller } from '../credentials/caller.ts';
import { AppError } from '../errors.ts';
import { SESSION_COOKIE, sessionFromToken, sessionTokenFrom } from '../sessions/sessions.ts';

export type OperatorScope = 'operator:read' | 'operator:escalate';
export type Operator = ServerCaller & { tenantId: null };

type CookieJar = Record<string, { value?: unknown }>;

export function wrongAudience(scope: OperatorScope): AppError {
  return new AppError('wrong_audience', {
    detail:
      'This is an internal operator route (a service token is required). Shoppers with a problem: POST /v2/support/report. ' +
      'Reporting abusive or illegal content: POST /v2/public/content-report.',
    fields: { requiredScope: scope },
  });
}

/** The operator calling, or the 401/403 the audience rule demands. */
export async function requireOperator(deps: AppDeps, request: Request, jar: CookieJar, scope: OperatorScope): Promise<Operator> {
  const bearer = bearerOf(request);
  if (!bearer || bearer.startsWith('vs_')) {
    // A shopper's session (cookie or bearer) is a real credential for the wrong audience.
    const cookie = jar[SESSION_COOKIE]?.value;
    const session = await sessionFromToken(deps, sessionTokenFrom(request, typeof cookie === 'string' && cookie !== '' ? cookie : undefined));
    if (session) throw wrongAudience(scope);
    throw unauthorized('Send a service PAT as `Authorization: Bearer vapat_…`.');
  }
  const caller = await serverCallerFrom(deps, request); // unknown, revoked or forged → 401
  if (!caller) throw unauthorized('Send a service PAT as `Authorization: Bearer vapat_…`.');
  if (caller.tenantId !== null || !caller.scopes.has(scope)) throw wrongAudience(scope);
  return caller as Operator;
}
