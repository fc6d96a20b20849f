// Signing in with the 6-digit code: only the newest link's code of a (tenant, email) is live;
// 5 wrong tries burn it (the link itself stays valid); using the code consumes the link too.
//
// Two rules hold whatever the timing and whoever asks:
// - an attempt is reserved (atomically, on the link row) before the code is compared, so a burst
//   of guesses gets at most MAX_CODE_ATTEMPTS comparisons, and a burned code never signs in;
// - a wrong code answers `invalid_code` for every address — stranger, live, used, expired or
//   burned link alike. Only the holder of the right code learns the link's state.
import { recordAudit } from '../audit/audit.ts';
import { AppError } from '../errors.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { compareCode } from '../tokens/codes.ts';
import { consumeLink, linkStateError, stateOf, type MagicLinkDeps, type NewSessionInfo } from './magic-link.ts';
import { recordSecurityEvent } from '../audit/security-events.ts';
import { burnCode, reserveCodeAttempt, type LinkRow } from './queries.ts';

/** Who presents the code: what the session row and the security event record. */
type Presented = Pick<RequestContext, 'requestId' | 'clientIp' | 'userAgent'>;

const MAX_CODE_ATTEMPTS = 5;

function wrongCode(): AppError {
  return new AppError('invalid_code', { detail: 'That code is not right. Check the newest email we sent.' });
}

function attemptsExceeded(): AppError {
  return new AppError('code_attempts_exceeded', { detail: 'Too many wrong codes. Use the link in the email, or request a new one.' });
}

export async function verifyCode(
  deps: MagicLinkDeps,
  input: { tenant: Tenant; email: string; code: string; context: Presented; sessionTtlSeconds: number },
): Promise<NewSessionInfo> {
  const { tenant, email, context } = input;
  const now = deps.clock.now();
  const { link, attempt } = await reserveCodeAttempt(deps.db, tenant.id, email, MAX_CODE_ATTEMPTS);
  // An address without a link still pays for an HMAC: the answer's timing tells nothing.
  const stored = link ? { secretId: link.secret_id, hash: link.code_hash } : null;
  const right = compareCode(deps.keys, stored, tenant.id, email, input.code.trim());
  if (!right || !link) {
    if (link && attempt === MAX_CODE_ATTEMPTS) await codeBurned(deps, link, context, now);
    throw wrongCode();
  }
  // From here on the caller holds the right code: telling them the link's state leaks nothing.
  if (attempt === null) throw attemptsExceeded();
  const state = stateOf(link, now);
  if (state.kind !== 'valid') throw linkStateError(state);
  const result = await consumeLink(deps, link, {
    userAgent: context.userAgent,
    ip: context.clientIp,
    sessionTtlSeconds: input.sessionTtlSeconds,
    requestId: context.requestId,
    via: 'code',
    maxCodeAttempts: MAX_CODE_ATTEMPTS,
  });
  if (result.ok) return result.session;
  // Still valid but not consumed: a concurrent wrong guess burned the code first.
  throw result.state.kind === 'valid' ? attemptsExceeded() : linkStateError(result.state);
}

/** The last reserved attempt was wrong: burn the code, once, with an audit row and a security event. */
async function codeBurned(deps: MagicLinkDeps, link: LinkRow, context: Presented, now: Date): Promise<void> {
  if (!(await burnCode(deps.db, link.id, now))) return;
  await recordAudit(deps.db, {
    kind: 'code_burned',
    actor: 'visitor',
    requestId: context.requestId,
    tenantId: link.tenant_id,
    visitorId: link.visitor_id,
    detail: { linkId: link.id, attempts: MAX_CODE_ATTEMPTS },
    at: now,
  });
  await recordSecurityEvent(deps.db, {
    tenantId: link.tenant_id,
    visitorId: link.visitor_id,
    kind: 'code_burned',
    requestId: context.requestId,
    ip: context.clientIp,
    userAgent: context.userAgent,
    detail: { linkId: link.id },
    now,
  });
}
