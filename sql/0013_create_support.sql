-- purpose: what shoppers, the public and operators file — support reports (free text redacted before
-- storing), content (abuse) reports, operator escalations — each keyed by the request that filed it
-- and the request id it cites, so the operator's request-id lookup finds them.
create table support_reports (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  -- the visitor whose live session came with the report, if any
  visitor_id uuid references visitors (id) on delete set null,
  session_id uuid,
  -- the request that filed the report
  request_id text not null,
  -- what the shopper cites, in their words (not checked against our logs)
  cited_request_id text,
  cited_session_id text,
  summary text not null,
  details text not null,
  repro_artifact text,
  ip text,
  user_agent text,
  status text not null default 'open',
  handled_at timestamptz,
  created_at timestamptz not null,
  constraint support_reports_status_check check (status in ('open', 'handled'))
);
create index support_reports_cited_request_idx on support_reports (cited_request_id);
create index support_reports_request_idx on support_reports (request_id);
create index support_reports_tenant_idx on support_reports (tenant_id, created_at);
create index support_reports_visitor_idx on support_reports (visitor_id, created_at);

create table escalations (
  id uuid primary key default gen_random_uuid(),
  -- the tenant of the cited report or request, when known
  tenant_id uuid references tenants (id) on delete cascade,
  report_id uuid references support_reports (id) on delete set null,
  request_id text not null,
  cited_request_id text,
  summary text not null,
  severity text not null,
  -- the service PAT that filed it
  filed_by_pat_id uuid references pats (id) on delete set null,
  created_at timestamptz not null,
  constraint escalations_severity_check check (severity in ('low', 'medium', 'high', 'critical'))
);
create index escalations_cited_request_idx on escalations (cited_request_id);
create index escalations_request_idx on escalations (request_id);
create index escalations_report_idx on escalations (report_id);

create table content_reports (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  request_id text not null,
  url text not null,
  reason text not null,
  details text,
  reporter_email text,
  ip text,
  user_agent text,
  status text not null default 'open',
  handled_at timestamptz,
  created_at timestamptz not null,
  constraint content_reports_status_check check (status in ('open', 'handled'))
);
create index content_reports_request_idx on content_reports (request_id);
create index content_reports_tenant_idx on content_reports (tenant_id, created_at);

-- The request-id lookup reads mail and security events by request id.
create index mail_outbox_request_idx on mail_outbox (request_id);
create index security_events_request_idx on security_events (request_id);
