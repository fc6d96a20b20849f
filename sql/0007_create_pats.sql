-- purpose: personal access tokens for storefront servers (tenant_id set) and operators (service PATs,
-- tenant_id null). Stored as SHA-256 only, independent of TOKEN_SECRET.
create table pats (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid references tenants (id) on delete cascade,
  name text not null default '',
  token_hash text not null,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  constraint pats_token_hash_key unique (token_hash),
  -- operator:* scopes only on service PATs
  constraint pats_operator_scopes_service_only check (
    tenant_id is null or not (scopes && array['operator:read', 'operator:escalate']::text[])
  )
);
