-- purpose: storefronts (tenants): handle, origins (first = public origin), edge hosts, gated prefixes, sender.
create table tenants (
  id uuid primary key default gen_random_uuid(),
  handle text not null,
  name text not null,
  origins text[] not null,
  hosts text[] not null default '{}',
  gated_prefixes text[] not null default '{}',
  mail_from text,
  magic_link_ttl_seconds int,
  session_ttl_seconds int,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenants_handle_key unique (handle),
  constraint tenants_handle_format check (handle ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  constraint tenants_origins_present check (cardinality(origins) >= 1),
  constraint tenants_link_ttl_positive check (magic_link_ttl_seconds is null or magic_link_ttl_seconds >= 1),
  constraint tenants_session_ttl_positive check (session_ttl_seconds is null or session_ttl_seconds >= 60)
);
create index tenants_hosts_idx on tenants using gin (hosts);
