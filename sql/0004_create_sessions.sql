-- purpose: visitor sessions; the token is stored as its SHA-256 only.
create table sessions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid not null references visitors (id) on delete cascade,
  token_hash text not null,
  magic_link_id uuid references magic_links (id) on delete set null,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  user_agent text,
  ip text,
  constraint sessions_token_hash_key unique (token_hash)
);
create index sessions_visitor_live_idx on sessions (visitor_id) where revoked_at is null;
