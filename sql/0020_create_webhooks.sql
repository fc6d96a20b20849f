-- purpose: signed webhooks (Standard Webhooks). Endpoints per tenant, their signing secrets sealed
-- with TOKEN_SECRET (AES-GCM, never plain); and the delivery outbox: one row per event and
-- endpoint, written in the same statement or transaction as what it reports, claimed by the
-- webhook worker with `for update skip locked` and a lease.
create table webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  url text not null,
  -- event types, or '{*}' for all
  events text[] not null,
  description text,
  include_email boolean not null default false,
  -- whsec_… sealed (purpose 'credential', bound to the endpoint id)
  secret_sealed text not null,
  -- after a rotation, the previous secret still signs until previous_secret_expires_at
  previous_secret_sealed text,
  previous_secret_expires_at timestamptz,
  created_at timestamptz not null
);
create index webhook_endpoints_tenant_idx on webhook_endpoints (tenant_id, created_at);

create table webhook_deliveries (
  -- also the `webhook-id` header: stable across retries and re-sends, so receivers can deduplicate
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
  type text not null,
  -- ids and the request id only: never a token, code or cookie
  data jsonb not null,
  -- set only when the endpoint asked for it (include_email), wiped once delivered
  email text,
  request_id text,
  -- one event per endpoint and key (the sweep's "opened without confirm": the link id)
  dedupe_key text,
  status text not null default 'pending',
  attempts int not null default 0,
  -- for 'pending' the retry time, for 'sending' the end of the claim lease
  next_attempt_at timestamptz not null,
  last_error text,
  last_status int,
  created_at timestamptz not null,
  delivered_at timestamptz,
  dead_at timestamptz,
  constraint webhook_deliveries_status_check check (status in ('pending', 'sending', 'delivered', 'dead'))
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status in ('pending', 'sending');
create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, created_at);
create index webhook_deliveries_dead_idx on webhook_deliveries (tenant_id, dead_at) where status = 'dead';
create unique index webhook_deliveries_dedupe_key on webhook_deliveries (endpoint_id, type, dedupe_key) where dedupe_key is not null;
-- the sweep for links opened but not confirmed reads link_opened audit rows by time
create index audit_events_link_opened_idx on audit_events (created_at) where kind = 'link_opened';
