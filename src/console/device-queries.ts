// Reads (never writes) of the console's explanations: which device, place and time a session is —
// for a revoke confirmation — and which session and request first used a link that was opened
// again (the replay), so support can tell a mail scanner or a forward from the shopper.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { visitorIdOfEmail } from '../visitors/visitors.ts';

export type SessionFacts = {
  id: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  ip: string | null;
  user_agent: string | null;
};

/** One session of a shopper at a storefront (undefined: not theirs, or none). */
export async function shopperSession(db: Db, tenantId: string, email: string, sessionId: string): Promise<SessionFacts | undefined> {
  return db.one<SessionFacts>(sql`
    select s.id, s.created_at, s.expires_at, s.revoked_at, s.ip, s.user_agent
    from sessions s join visitors v on v.id = s.visitor_id
    where s.id = ${sessionId}::uuid and v.tenant_id = ${tenantId}::uuid and v.id = ${visitorIdOfEmail(tenantId, email)}`);
}

/** A shopper's live sessions at a storefront, newest first: what "revoke all" ends. */
export async function liveShopperSessions(db: Db, tenantId: string, email: string, now: Date): Promise<SessionFacts[]> {
  return db.many<SessionFacts>(sql`
    select s.id, s.created_at, s.expires_at, s.revoked_at, s.ip, s.user_agent
    from sessions s join visitors v on v.id = s.visitor_id
    where v.tenant_id = ${tenantId}::uuid and v.id = ${visitorIdOfEmail(tenantId, email)} and s.revoked_at is null and s.expires_at > ${now}
    order by s.created_at desc`);
}

export type FirstUse = {
  link_id: string;
  session_id: string | null;
  /** The request that used the link (its link_consumed or code_consumed audit row). */
  request_id: string | null;
  used_at: Date | null;
  ip: string | null;
  user_agent: string | null;
};

/** For each link, the session its first (and only) use created, and that request. */
export async function firstUsesOfLinks(db: Db, linkIds: readonly string[]): Promise<Map<string, FirstUse>> {
  const ids = [...new Set(linkIds)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (!ids.length) return new Map();
  const rows = await db.many<FirstUse>(sql`
    select l.id as link_id, l.used_by_session_id as session_id, l.used_at, s.ip, s.user_agent,
           (select a.request_id from audit_events a
            where a.visitor_id = l.visitor_id and a.session_id = l.used_by_session_id
              and a.kind in ('link_consumed', 'code_consumed')
            order by a.created_at limit 1) as request_id
    from magic_links l
    left join sessions s on s.id = l.used_by_session_id
    where l.id = any(${ids}::uuid[])`);
  return new Map(rows.map((row) => [row.link_id, row]));
}

/** The replay's link id (from its detail), to look up its first use. */
export function replayedLinkId(event: { kind: string; detail: Record<string, unknown> | null }): string | null {
  const linkId = event.kind === 'used_link_replayed' ? event.detail?.linkId : undefined;
  return typeof linkId === 'string' ? linkId : null;
}
