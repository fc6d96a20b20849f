// Tenants (storefronts): row mapping, queries, and a short-lived in-process lookup cache, because
// every request resolves its tenant by host or handle and tenants change rarely (CLI, other process).
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n/locales.ts';
import type { TenantBranding } from './branding.ts';

export type Tenant = {
  id: string;
  handle: string;
  name: string;
  /** scheme://host[:port]; the first is the public origin. */
  origins: string[];
  hosts: string[];
  gatedPrefixes: string[];
  mailFrom: string | null;
  magicLinkTtlSeconds: number | null;
  sessionTtlSeconds: number | null;
  /** Support operators (not only admins) may add and remove this storefront's grants in the console. */
  supportCanEditGrants: boolean;
  /** Default language of its shopper pages and mail; a shipped one the browser asks for wins. */
  locale: Locale;
} & TenantBranding;

type TenantRow = {
  id: string;
  handle: string;
  name: string;
  origins: string[];
  hosts: string[];
  gated_prefixes: string[];
  mail_from: string | null;
  magic_link_ttl_seconds: number | null;
  session_ttl_seconds: number | null;
  support_can_edit_grants: boolean;
  locale: string;
  logo_url: string | null;
  logo_width: number | null;
  logo_height: number | null;
  accent_color: string | null;
  support_contact: string | null;
};

// Arrays are read as JSON: the same on both drivers (postgres.js runs without fetching array types).
const COLUMNS = sql`id, handle, name, array_to_json(origins) as origins, array_to_json(hosts) as hosts,
  array_to_json(gated_prefixes) as gated_prefixes, mail_from, magic_link_ttl_seconds, session_ttl_seconds, support_can_edit_grants, locale,
  logo_url, logo_width, logo_height, accent_color, support_contact`;

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    handle: row.handle,
    name: row.name,
    origins: row.origins,
    hosts: row.hosts,
    gatedPrefixes: row.gated_prefixes,
    mailFrom: row.mail_from,
    magicLinkTtlSeconds: row.magic_link_ttl_seconds,
    sessionTtlSeconds: row.session_ttl_seconds,
    supportCanEditGrants: row.support_can_edit_grants,
    // A value no catalogue ships (set by hand in SQL) reads as the default rather than failing pages.
    locale: isLocale(row.locale) ? row.locale : DEFAULT_LOCALE,
    logoUrl: row.logo_url,
    logoWidth: row.logo_width,
    logoHeight: row.logo_height,
    accentColor: row.accent_color,
    supportContact: row.support_contact,
  };
}

export const HANDLE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A new storefront's settings; support operators may not edit its grants unless said so; English and no branding unless given. */
export type TenantInput = Omit<Tenant, 'id' | 'supportCanEditGrants' | 'locale' | keyof TenantBranding> & {
  supportCanEditGrants?: boolean;
  locale?: Locale;
} & Partial<TenantBranding>;

export async function insertTenant(db: Db, input: TenantInput): Promise<Tenant> {
  const row = await db.one<TenantRow>(sql`
    insert into tenants (handle, name, origins, hosts, gated_prefixes, mail_from, magic_link_ttl_seconds, session_ttl_seconds,
                         support_can_edit_grants, locale, logo_url, logo_width, logo_height, accent_color, support_contact)
    values (${input.handle}, ${input.name}, ${input.origins}::text[], ${input.hosts}::text[], ${input.gatedPrefixes}::text[],
            ${input.mailFrom}, ${input.magicLinkTtlSeconds}, ${input.sessionTtlSeconds}, ${input.supportCanEditGrants ?? false},
            ${input.locale ?? DEFAULT_LOCALE}, ${input.logoUrl ?? null}, ${input.logoWidth ?? null}, ${input.logoHeight ?? null}, ${input.accentColor ?? null},
            ${input.supportContact ?? null})
    returning ${COLUMNS}`);
  return toTenant(row!);
}

/**
 * An internal tenant (the console's), created once: `on conflict do nothing`, so concurrent callers
 * and later ones leave the existing row as it is. It has no edge host and a reserved origin.
 */
export async function ensureInternalTenant(
  db: Db,
  input: { handle: string; name: string; origin: string; sessionTtlSeconds: number },
): Promise<void> {
  await db.many(sql`
    insert into tenants (handle, name, origins, hosts, gated_prefixes, internal, session_ttl_seconds)
    values (${input.handle}, ${input.name}, array[${input.origin}]::text[], '{}'::text[], '{}'::text[], true,
            ${input.sessionTtlSeconds})
    on conflict (handle) do nothing`);
}

export async function updateTenant(db: Db, handle: string, input: Partial<TenantInput>): Promise<Tenant | null> {
  const current = await findTenantByHandle(db, handle);
  if (!current) return null;
  const next = { ...current, ...input };
  const row = await db.one<TenantRow>(sql`
    update tenants
    set name = ${next.name}, origins = ${next.origins}::text[], hosts = ${next.hosts}::text[],
        gated_prefixes = ${next.gatedPrefixes}::text[], mail_from = ${next.mailFrom},
        magic_link_ttl_seconds = ${next.magicLinkTtlSeconds}, session_ttl_seconds = ${next.sessionTtlSeconds},
        support_can_edit_grants = ${next.supportCanEditGrants}, locale = ${next.locale}, logo_url = ${next.logoUrl}, logo_width = ${next.logoWidth},
        logo_height = ${next.logoHeight}, accent_color = ${next.accentColor}, support_contact = ${next.supportContact}, updated_at = now()
    where handle = ${handle}
    returning ${COLUMNS}`);
  return row ? toTenant(row) : null;
}

export async function findTenantByHandle(db: Db, handle: string): Promise<Tenant | null> {
  const row = await db.one<TenantRow>(sql`select ${COLUMNS} from tenants where handle = ${handle}`);
  return row ? toTenant(row) : null;
}

async function findTenantById(db: Db, id: string): Promise<Tenant | null> {
  const row = await db.one<TenantRow>(sql`select ${COLUMNS} from tenants where id = ${id}`);
  return row ? toTenant(row) : null;
}

async function findTenantByHost(db: Db, hostname: string): Promise<Tenant | null> {
  const row = await db.one<TenantRow>(sql`select ${COLUMNS} from tenants where hosts @> array[${hostname}]::text[] limit 1`);
  return row ? toTenant(row) : null;
}

async function findTenantByOrigin(db: Db, origin: string): Promise<Tenant | null> {
  const row = await db.one<TenantRow>(sql`select ${COLUMNS} from tenants where origins @> array[${origin}]::text[] limit 1`);
  return row ? toTenant(row) : null;
}

export async function listTenants(db: Db): Promise<Tenant[]> {
  // The console's internal tenant is not a storefront.
  return (await db.many<TenantRow>(sql`select ${COLUMNS} from tenants where not internal order by handle`)).map(toTenant);
}

/** Cached lookups (a few seconds), bounded so a flood of random Host headers cannot grow memory. */
export class TenantDirectory {
  private readonly byHost = new Map<string, { tenant: Tenant | null; until: number }>();
  private readonly byHandle = new Map<string, { tenant: Tenant | null; until: number }>();
  private readonly byOrigin = new Map<string, { tenant: Tenant | null; until: number }>();
  private readonly byId = new Map<string, { tenant: Tenant | null; until: number }>();
  private readonly loading = new Map<Map<string, unknown>, Map<string, Promise<Tenant | null>>>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5000,
    private readonly maxEntries = 1000,
  ) {}

  /** The cached answer for a host, synchronously; undefined when it must be looked up. */
  peekHost(hostname: string): Tenant | null | undefined {
    const hit = this.byHost.get(hostname);
    return hit && hit.until > Date.now() ? hit.tenant : undefined;
  }

  forHost(hostname: string): Promise<Tenant | null> {
    return this.cached(this.byHost, hostname, () => findTenantByHost(this.db, hostname));
  }

  forHandle(handle: string): Promise<Tenant | null> {
    if (!HANDLE.test(handle)) return Promise.resolve(null);
    return this.cached(this.byHandle, handle, () => findTenantByHandle(this.db, handle));
  }

  forId(id: string): Promise<Tenant | null> {
    return this.cached(this.byId, id, () => findTenantById(this.db, id));
  }

  forOrigin(origin: string): Promise<Tenant | null> {
    return this.cached(this.byOrigin, origin, () => findTenantByOrigin(this.db, origin));
  }

  clear(): void {
    this.loading.clear();
    this.byOrigin.clear();
    this.byId.clear();
    this.byHost.clear();
    this.byHandle.clear();
  }

  private async cached(
    map: Map<string, { tenant: Tenant | null; until: number }>,
    key: string,
    load: () => Promise<Tenant | null>,
  ): Promise<Tenant | null> {
    const hit = map.get(key);
    const now = Date.now();
    if (hit && hit.until > now) return hit.tenant;
    // One lookup per key at a time: when an entry expires under load (the edge check, every few
    // seconds), the requests arriving meanwhile share it instead of each sending the same query.
    let loads = this.loading.get(map);
    if (!loads) {
      loads = new Map();
      this.loading.set(map, loads);
    }
    let loading = loads.get(key);
    if (!loading) {
      loading = load().then((tenant) => {
        // Not if clear() ran meanwhile: this answer may predate the change that cleared the cache.
        if (this.loading.get(map)?.get(key) !== loading) return tenant;
        if (map.size >= this.maxEntries) map.delete(map.keys().next().value!);
        map.set(key, { tenant, until: now + this.ttlMs });
        return tenant;
      });
      loads.set(key, loading);
      const forget = () => loads.delete(key);
      loading.then(forget, forget);
    }
    return loading;
  }
}

export function publicOrigin(tenant: Tenant): string {
  return tenant.origins[0]!;
}
