// The edge check's in-process cache: session token → (tenant, visitor, session scope, live grants) for a few
// seconds. Bounded (oldest entries evicted first) so a flood of distinct cookies cannot grow memory;
// its lifetime is the bound on how long a revoked session or grant keeps working.

export type EdgeGrant = { resource: string; expiresAt: number | null; orderId: string | null };
/** `orderId`: set for an order-scoped session, which may open only that order's grants. */
export type EdgeIdentity = { tenantId: string; visitorId: string; sessionExpiresAt: number; orderId: string | null; grants: EdgeGrant[] };

type Entry = { identity: EdgeIdentity | null; until: number };

/** This process's caches (one per app; tests build several), for forgetting a visitor at once. */
const caches = new Set<WeakRef<EdgeCache>>();

/**
 * A visitor whose sessions were just ended here (erasure, sign out everywhere, a console revoke)
 * stops passing this instance's edge at once; other instances' caches let them pass for
 * EDGE_CACHE_SECONDS at most. A scan of at most `maxEntries` per cache, on a rare write. Callers
 * include the CLI and the console, which hold no app, hence a registry rather than a parameter.
 */
export function forgetVisitorAtTheEdge(visitorId: string): void {
  for (const ref of caches) {
    const cache = ref.deref();
    if (cache) cache.forgetVisitor(visitorId);
    else caches.delete(ref);
  }
}

export class EdgeCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 20_000,
  ) {
    caches.add(new WeakRef(this));
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** undefined: not cached; null: cached "no such live session". */
  get(token: string, nowMs: number): EdgeIdentity | null | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until <= nowMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.identity;
  }

  set(token: string, identity: EdgeIdentity | null, nowMs: number): void {
    if (!this.enabled) return;
    if (this.entries.size >= this.maxEntries) {
      // Evict the oldest insertion (Map keeps insertion order).
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(token, { identity, until: nowMs + this.ttlMs });
  }

  /**
   * Drops this visitor's cached answers (their sessions were just ended here): this instance refuses
   * them at once, others within their cache's lifetime. A scan of at most `maxEntries`, on a rare write.
   */
  forgetVisitor(visitorId: string): number {
    let dropped = 0;
    for (const [token, entry] of this.entries) {
      if (entry.identity?.visitorId === visitorId) {
        this.entries.delete(token);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.entries.size;
  }
}
