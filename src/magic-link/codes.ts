// Signing in with the 6-digit code: only the newest link's code of a (tenant, email) is live;
// 5 wrong tries burn it (the link itself stays valid); using the code consumes the link too.
import { recordAudit } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { codeMatches } from '../tokens/codes.ts';
import { consumeLink, linkStateError, stateOf, type MagicLinkDeps, type NewSessionInfo } from './magic-link.ts';
import { findNewestLinkForEmail, recordSecurityEvent, recordWrongCode } from './queries.ts';

export const MAX_CODE_ATTEMPTS = 5;

export async function verifyCode(
  deps: MagicLinkDeps,
  input: { tenant: Tenant; email: string; code: string; context: RequestContext; sessionTtlSeconds: number },
): Promise<NewSessionInfo> {
  const { tenant, email, code, context } = input;
  const now = deps.clock.now();
  const link = await findNewestLinkForEmail(deps.db, tenant.id, email);
  // No link for this address answers exactly like a wrong code: nothing to learn about accounts.
  if (!link) throw new AppError('invalid_code', { detail: 'That code is not right. Check the newest email we sent.' });
  if (link.code_burned_at) {
    throw new AppError('code_attempts_exceeded', { detail: 'Too many wrong codes. Use the link in the email, or request a new one.' });
  }
  const state = stateOf(link, now);
  if (state.kind !== 'valid') throw linkStateError(state);
  if (!codeMatches(deps.keys, link.secret_id, link.code_hash, tenant.id, email, code.trim())) {
    const { burned } = await recordWrongCode(deps.db, link.id, now, MAX_CODE_ATTEMPTS);
    if (burned) {
      await recordAudit(deps.db, {
        kind: 'code_burned',
        actor: 'visitor',
        requestId: context.requestId,
        tenantId: tenant.id,
        visitorId: link.visitor_id,
        detail: { linkId: link.id, attempts: MAX_CODE_ATTEMPTS },
        at: now,
      });
      await recordSecurityEvent(deps.db, {
        tenantId: tenant.id,
        visitorId: link.visitor_id,
        kind: 'code_burned',
        requestId: context.requestId,
        ip: context.clientIp,
        userAgent: context.userAgent,
        detail: { linkId: link.id },
        now,
      });
    }
    throw new AppError('invalid_code', { detail: 'That code is not right. Check the newest email we sent.' });
  }
  const result = await consumeLink(deps, link, { userAgent: context.userAgent, ip: context.clientIp, sessionTtlSeconds: input.sessionTtlSeconds, requestId: context.requestId, via: 'code' });
  if (!result.ok) throw linkStateError(result.state.kind === 'valid' ? { kind: 'invalid' } : result.state);
  return result.session;
}
