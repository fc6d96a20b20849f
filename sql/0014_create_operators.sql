-- purpose: the support console's people and their sign-in. Operators are people (not tokens) with a
-- role: `support` sees the tenants listed in operator_tenants, `admin` sees every tenant. They sign in
-- with the ordinary magic-link machinery as visitors of one reserved internal tenant, `_console`: its
-- handle is outside the handle grammar on purpose, so no visitor route, credential or CLI verb can
-- name it (tenant lookups by handle reject it before any query), and it owns no edge host.
alter table tenants add column internal boolean not null default false;
alter table tenants drop constraint tenants_handle_format;
alter table tenants add constraint tenants_handle_format check (
  handle ~ '^[a-z0-9][a-z0-9-]{0,62}$' or (internal and handle = '_console')
);

create table operators (
  id uuid primary key default gen_random_uuid(),
  -- normalised like a visitor's email: it is the console visitor's key
  email text not null,
  role text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  -- removed operators are kept, so the audit trail's `operator:<id>` still names someone
  removed_at timestamptz,
  constraint operators_role_check check (role in ('support', 'admin'))
);
create unique index operators_email_live_key on operators (email) where removed_at is null;

create table operator_tenants (
  operator_id uuid not null references operators (id) on delete cascade,
  tenant_id uuid not null references tenants (id) on delete cascade,
  constraint operator_tenants_pkey primary key (operator_id, tenant_id)
);
create index operator_tenants_tenant_idx on operator_tenants (tenant_id);

-- A console session is an ordinary session row (token hash, revocation) that the console confirm
-- page created: only a row here makes it one, so a session made any other way never opens the
-- console. The absolute lifetime counts from sessions.created_at, the idle one from last_active_at.
create table console_sessions (
  session_id uuid primary key references sessions (id) on delete cascade,
  operator_id uuid not null references operators (id) on delete cascade,
  -- per-session CSRF token, sent back in a hidden field of every console form
  csrf_token text not null,
  created_at timestamptz not null,
  last_active_at timestamptz not null
);
create index console_sessions_operator_idx on console_sessions (operator_id);

-- What the console reads per tenant and per shopper.
create index mail_outbox_tenant_status_idx on mail_outbox (tenant_id, status, created_at);
create index sessions_visitor_created_idx on sessions (visitor_id, created_at desc);
