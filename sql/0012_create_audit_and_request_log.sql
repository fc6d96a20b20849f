-- purpose: the audit trail (what happened, keyed by request id; never a secret) and a compact log
-- of every request but the edge check, so support can go from a request id to the whole story.
create table audit_events (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid references tenants (id) on delete cascade,
  visitor_id uuid references visitors (id) on delete cascade,
  session_id uuid,
  request_id text,
  kind text not null,
  -- who did it: visitor, system, credential:<id>, operator:<id>
  actor text not null,
  detail jsonb not null default '{}',
  created_at timestamptz not null
);
create index audit_events_request_idx on audit_events (request_id);
create index audit_events_visitor_idx on audit_events (visitor_id, created_at);
create index audit_events_tenant_idx on audit_events (tenant_id, created_at);

create table request_log (
  request_id text primary key,
  method text not null,
  -- the path with any link token redacted
  path text not null,
  status int not null,
  code text,
  tenant_id uuid,
  visitor_id uuid,
  session_id uuid,
  ip text,
  user_agent text,
  duration_ms real not null,
  created_at timestamptz not null
);
create index request_log_visitor_idx on request_log (visitor_id, created_at);
create index request_log_session_idx on request_log (session_id, created_at);
create index request_log_created_idx on request_log (created_at);
