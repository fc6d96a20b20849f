-- purpose: checkout handoff links (issue #18). A storefront creates a one-use link after checkout;
-- opening it gives an order-scoped session: the buyer sees what that order granted and nothing
-- else of the address's purchases until they prove the address (step-up). The token is stored as
-- its SHA-256 only.
create table handoffs (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid not null references visitors (id) on delete cascade,
  order_id text not null,
  token_hash text not null,
  return_to text not null,
  request_id text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  -- the session it created (or the full session this browser already held)
  used_by_session_id uuid,
  -- the order was refunded or charged back before the link was used
  revoked_at timestamptz,
  constraint handoffs_token_hash_key unique (token_hash)
);
create index handoffs_order_idx on handoffs (tenant_id, order_id);
create index handoffs_visitor_idx on handoffs (visitor_id, created_at);

-- A session is full (the address was proven) or scoped to one order (opened from a handoff).
alter table sessions add column scope text not null default 'full';
alter table sessions add column order_id text;
alter table sessions add constraint sessions_scope_check
  check ((scope = 'full' and order_id is null) or (scope = 'order' and order_id is not null));
create index sessions_order_live_idx on sessions (tenant_id, order_id) where order_id is not null and revoked_at is null;

-- Refunds end grants by order id.
create index grants_order_idx on grants (tenant_id, order_id) where order_id is not null;

-- Handoffs count against per-tenant limits, like sign-in requests.
insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('handoff:per-tenant', 'handoff', 'per-tenant', 'tenant', 600, 60, false, false, 'Checkout handoff links created for one storefront'),
  ('handoff:per-tenant-daily', 'handoff', 'per-tenant-daily', 'tenant', 50000, 86400, true, false, 'Checkout handoff links created for one storefront per UTC day'),
  ('handoff-page:per-ip', 'handoff-page', 'per-ip', 'ip', 60, 60, false, false, 'Handoff page opens and confirmations (GET/POST) from one client IP'),
  ('handoff-page:per-link', 'handoff-page', 'per-link', 'link', 30, 900, false, false, 'Opens and confirmations of one handoff link (keyed by its hash)');
