// Visitor sessions: read from the `__Host-visitor_session` cookie or `Authorization: Bearer vs_…`.
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { hashToken, mintToken, verifyToken } from '../tokens/tokens.ts';
import { findLiveSessionByTokenHash, slideSession, type SessionRow } from './queries.ts';

export const SESSION_COOKIE = '__Host-visitor_session';
export const CHECK_COOKIE = '__Host-visitor_check';
export const PENDING_COOKIE = '__Host-visitor_pending';

// What other features may call: the sessions feature owns the `sessions` table, and nobody else
// writes it (test/table-owners.test.ts) or imports its queries module.
export {
  ORDER_SESSION_CAP,
  deleteEndedSessionsBefore,
  findSessionOwner,
  orderSessionInsert,
  orderSessionRoom,
  revokeOrderSessions,
  listVisitorSessions,
  moveVisitorSessions,
  revokeSession,
  revokeSessions,
  revokeVisitorSessions,
  sessionInsert,
  type SessionRecord,
  type SessionScope,
  type SessionViewRow,
} from './queries.ts';

/** A session about to be written by a composite statement: the row's values, the token's hash only. */
export type NewSessionRow = {
  sessionId: string;
  tokenHash: string;
  expiresAt: Date;
  userAgent: string | null;
  ip: string;
  requestId: string;
  now: Date;
};

/**
 * Mints a session token (`vs_…`) and the row that will hold its hash, for whichever feature opens
 * the session (link or code, handoff, passkey, a pending sign-in's other browser).
 */
export function mintNewSession(
  keys: KeyRing,
  now: Date,
  context: { userAgent: string | null; ip: string; sessionTtlSeconds: number; requestId: string },
): { token: string; row: NewSessionRow } {
  const token = mintToken(keys, 'vs');
  return {
    token,
    row: {
      sessionId: crypto.randomUUID(),
      tokenHash: hashToken(token),
      expiresAt: addSeconds(now, context.sessionTtlSeconds),
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      ip: context.ip,
      requestId: context.requestId,
      now,
    },
  };
}

const SLIDE_EVERY_SECONDS = 3600;

export type VisitorSession = SessionRow & { via: 'cookie' | 'bearer' };

export function sessionTokenFrom(request: Request, cookieValue: string | undefined): { token: string; via: 'cookie' | 'bearer' } | null {
  const authorization = request.headers.get('authorization');
  if (authorization?.startsWith('Bearer vs_')) return { token: authorization.slice(7).trim(), via: 'bearer' };
  if (cookieValue) return { token: cookieValue, via: 'cookie' };
  return null;
}

/** The live session behind a token, or null; forged tokens never reach the database. */
export async function sessionFromToken(
  deps: { db: Db; keys: KeyRing; clock: Clock },
  presented: { token: string; via: 'cookie' | 'bearer' } | null,
): Promise<VisitorSession | null> {
  if (!presented || !verifyToken(deps.keys, 'vs', presented.token)) return null;
  const row = await findLiveSessionByTokenHash(deps.db, hashToken(presented.token), deps.clock.now());
  return row ? { ...row, via: presented.via } : null;
}

/**
 * The sliding expiry, capped by the absolute lifetime: however active, a session ends `maxAgeSeconds`
 * after sign-in, so a stolen cookie kept busy does not live for ever.
 */
function slidExpiry(createdAt: Date, now: Date, ttlSeconds: number, maxAgeSeconds: number): Date {
  return new Date(Math.min(addSeconds(now, ttlSeconds).getTime(), addSeconds(createdAt, maxAgeSeconds).getTime()));
}

/** Extends a session's expiry when it is used (never past its absolute lifetime), but writes at most once an hour. */
export async function touchSession(
  deps: { db: Db; clock: Clock },
  session: VisitorSession,
  ttlSeconds: number,
  maxAgeSeconds: number,
): Promise<VisitorSession> {
  const now = deps.clock.now();
  if (now.getTime() - session.last_seen_at.getTime() < SLIDE_EVERY_SECONDS * 1000) return session;
  const expiresAt = await slideSession(
    deps.db,
    session.id,
    now,
    slidExpiry(session.created_at, now, ttlSeconds, maxAgeSeconds),
    addSeconds(now, -SLIDE_EVERY_SECONDS),
  );
  return expiresAt ? { ...session, last_seen_at: now, expires_at: expiresAt } : session;
}
