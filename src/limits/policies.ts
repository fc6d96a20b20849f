// Limit policies: the defaults live in sql/0010, sql/0016, sql/0021, sql/0022, sql/0023, sql/0025 and sql/0026 (and docs/limits.md is generated from that table);
// tenants may override a quota. Cached briefly: policies change rarely and every limited request reads them.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export type LimitRoute =
  | 'magic-link'
  | 'verify'
  | 'reissue'
  | 'link'
  | 'pending'
  | 'support-report'
  | 'content-report'
  | 'handoff'
  | 'handoff-page'
  | 'passkey'
  | 'passkey-register'
  | 'erasure-code'
  | 'visitor-email';
/** `link`: the SHA-256 of a link token (never the token); `pending`: of a pending sign-in's id. */
export type KeyType = 'ip' | 'tenant' | 'email' | 'handle' | 'credential' | 'link' | 'pending' | 'visitor';

export type Policy = {
  name: string;
  route: LimitRoute;
  label: string;
  keyType: KeyType;
  quota: number;
  windowSeconds: number;
  daily: boolean;
  silent: boolean;
  description: string;
};

type PolicyRow = {
  name: string;
  route: LimitRoute;
  label: string;
  key_type: KeyType;
  quota: number;
  window_seconds: number;
  daily: boolean;
  silent: boolean;
  description: string;
};

function toPolicy(row: PolicyRow): Policy {
  return {
    name: row.name,
    route: row.route,
    label: row.label,
    keyType: row.key_type,
    quota: row.quota,
    windowSeconds: row.window_seconds,
    daily: row.daily,
    silent: row.silent,
    description: row.description,
  };
}

/** Every policy with the tenant's overrides applied (tenantId null: the defaults). */
export async function loadPolicies(db: Db, tenantId: string | null): Promise<Policy[]> {
  const rows = await db.many<PolicyRow>(sql`
    select p.name, p.route, p.label, p.key_type, coalesce(o.quota, p.quota) as quota, p.window_seconds, p.daily, p.silent, p.description
    from rate_limit_policies p
    left join rate_limit_overrides o on o.policy_name = p.name and o.tenant_id = ${tenantId}
    order by p.route, p.daily, p.name`);
  return rows.map(toPolicy);
}

export async function setOverride(db: Db, tenantId: string, policyName: string, quota: number): Promise<void> {
  await db.many(sql`
    insert into rate_limit_overrides (tenant_id, policy_name, quota) values (${tenantId}, ${policyName}, ${quota})
    on conflict (tenant_id, policy_name) do update set quota = excluded.quota`);
}

export class PolicyCache {
  private readonly entries = new Map<string, { policies: Promise<Policy[]>; until: number }>();
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 10_000,
  ) {}

  async forRoute(route: LimitRoute, tenantId: string | null): Promise<Policy[]> {
    const key = tenantId ?? '';
    let entry = this.entries.get(key);
    if (!entry || entry.until <= Date.now()) {
      if (this.entries.size > 1000) this.entries.clear();
      entry = { policies: loadPolicies(this.db, tenantId), until: Date.now() + this.ttlMs };
      entry.policies.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
    }
    return (await entry.policies).filter((p) => p.route === route);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Back to the default quota. True when there was an override. */
export async function clearOverride(db: Db, tenantId: string, policyName: string): Promise<boolean> {
  const rows = await db.many(sql`
    delete from rate_limit_overrides where tenant_id = ${tenantId} and policy_name = ${policyName} returning policy_name`);
  return rows.length === 1;
}

export async function overridesOf(db: Db, tenantId: string): Promise<Map<string, number>> {
  const rows = await db.many<{ policy_name: string; quota: number }>(sql`
    select policy_name, quota from rate_limit_overrides where tenant_id = ${tenantId}`);
  return new Map(rows.map((r) => [r.policy_name, r.quota]));
}
