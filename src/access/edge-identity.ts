// Who holds this session token, and what may they see? The edge check's one query, shared.
//
// Edge checks that miss the cache in the same event-loop turn are answered by one statement for all
// of them (`token_hash = any(…)`, the same unique index). Under load the CDN asks many at once, and
// a lookup in a batch of 8–16 costs a fraction of a round trip of its own: client CPU per lookup
// fell from 13–18 µs alone to 2.4–3.6 µs (docs/performance.md). A lone request is not held back: the
// turn ends as soon as the requests already read from the sockets are handled.
// A token already being looked up joins that lookup instead of sending a second one.
//
// With replicas (DATABASE_REPLICA_URL) a batch is read on one that is at most half the cache's
// lifetime behind, and each answer says how old its data may be (`asOfMs`), so the cache counts
// its lifetime from then: a revocation still reaches the edge within EDGE_CACHE_SECONDS. A token
// the replica does not know is asked of the primary (a session just signed in may not have
// arrived yet), and so is a batch whose replica fails.
import type { Db } from '../db/db.ts';
import type { ReadRouter, ReadSource } from '../db/replicas.ts';
import { sql } from '../db/sql.ts';
import { afterThisTurn } from '../db/turn-batch.ts';
import { hashToken } from '../tokens/tokens.ts';
import { visitorGrantEmails } from '../visitors/visitors.ts';
import type { EdgeIdentity } from './edge-cache.ts';

type IdentityRow = {
  token_hash: string;
  tenant_id: string;
  visitor_id: string;
  expires_at: Date;
  order_id: string | null;
  grants: { r: string; e: string | null; o: string | null }[];
};

/** The identity (null: no live session) and the time its data is at least as new as. */
export type LoadedIdentity = { identity: EdgeIdentity | null; asOfMs: number };

type Waiting = { hash: string; resolve: (loaded: LoadedIdentity) => void; reject: (error: unknown) => void };

/** Most tokens per statement; more waiting than this go in the next one, sent at the same time. */
export const MAX_BATCH = 64;

/**
 * The session's tenant, visitor, scope and live grants (each with its order id, which an
 * order-scoped session is held to), for many token hashes in one indexed statement. The grants are
 * those of every address of the visitor: the primary and the verified further ones.
 */
async function loadIdentities(db: Db, hashes: string[], now: Date): Promise<Map<string, EdgeIdentity>> {
  const rows = await db.many<IdentityRow>(sql`
    select s.token_hash, s.tenant_id, s.visitor_id, s.expires_at, s.order_id,
           coalesce((select json_agg(json_build_object('r', g.resource, 'e', g.expires_at, 'o', g.order_id))
                     from grants g
                     where g.tenant_id = s.tenant_id and g.email = any(${visitorGrantEmails(sql`v`)})
                       and (g.expires_at is null or g.expires_at > ${now})), '[]'::json) as grants
    from sessions s
    join visitors v on v.id = s.visitor_id
    where s.token_hash = any(${hashes}::text[]) and s.revoked_at is null and s.expires_at > ${now}`);
  const found = new Map<string, EdgeIdentity>();
  for (const row of rows) {
    found.set(row.token_hash, {
      tenantId: row.tenant_id,
      visitorId: row.visitor_id,
      sessionExpiresAt: row.expires_at.getTime(),
      orderId: row.order_id,
      grants: row.grants.map((g) => ({ resource: g.r, expiresAt: g.e ? Date.parse(g.e) : null, orderId: g.o })),
    });
  }
  return found;
}

/** One batch on `source`; what a replica does not know (or a failing replica) is asked of the primary. */
async function loadBatch(reads: ReadRouter, source: ReadSource, hashes: string[], sentAtMs: number): Promise<Map<string, LoadedIdentity>> {
  const sentAt = new Date(sentAtMs);
  const loaded = new Map<string, LoadedIdentity>();
  let fromPrimary = hashes;
  if (source.replica) {
    try {
      const asOfMs = sentAtMs - source.stalenessMs;
      for (const [hash, identity] of await loadIdentities(source.db, hashes, sentAt)) loaded.set(hash, { identity, asOfMs });
      fromPrimary = hashes.filter((hash) => !loaded.has(hash));
    } catch {
      reads.failed(source);
    }
    if (fromPrimary.length === 0) return loaded;
  }
  const primary = reads.pick(0).db;
  const found = await loadIdentities(primary, fromPrimary, sentAt);
  for (const hash of fromPrimary) loaded.set(hash, { identity: found.get(hash) ?? null, asOfMs: sentAtMs });
  return loaded;
}

/** `maxStalenessMs`: how far behind a replica may be to answer (0: the primary only). */
export function createIdentityLoader(reads: ReadRouter, maxStalenessMs: number, now: () => number) {
  let waiting: Waiting[] = [];
  const inFlight = new Map<string, Promise<LoadedIdentity>>();

  function flush(): void {
    const batch = waiting;
    waiting = [];
    // Checked against the time of sending: a session or grant that ends while the batch waited is not honoured.
    const sentAtMs = now();
    const source = reads.pick(maxStalenessMs);
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      const part = batch.slice(start, start + MAX_BATCH);
      loadBatch(
        reads,
        source,
        part.map((w) => w.hash),
        sentAtMs,
      ).then(
        (loaded) => {
          for (const w of part) w.resolve(loaded.get(w.hash)!);
        },
        (error: unknown) => {
          for (const w of part) w.reject(error);
        },
      );
    }
  }

  return {
    /** The live identity behind a (verified) token (null when no live session has it), and how new. */
    load(token: string): Promise<LoadedIdentity> {
      const pending = inFlight.get(token);
      if (pending) return pending;
      const hash = hashToken(token);
      const lookup = new Promise<LoadedIdentity>((resolve, reject) => {
        if (waiting.length === 0) afterThisTurn(flush);
        waiting.push({ hash, resolve, reject });
      });
      inFlight.set(token, lookup);
      const done = () => inFlight.delete(token);
      lookup.then(done, done);
      return lookup;
    },
  };
}
