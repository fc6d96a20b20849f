-- purpose: security-relevant events (replayed links, ...) for support and the shopper; no secrets.
create table security_events (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid references visitors (id) on delete cascade,
  kind text not null,
  request_id text,
  ip text,
  user_agent text,
  detail jsonb not null default '{}',
  created_at timestamptz not null
);
create index security_events_visitor_idx on security_events (visitor_id, created_at desc);
