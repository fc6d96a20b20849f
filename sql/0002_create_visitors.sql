-- purpose: one visitor per (tenant, normalised email); the opaque id is what upstreams see.
create table visitors (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  email text not null,
  created_at timestamptz not null,
  constraint visitors_tenant_email_key unique (tenant_id, email)
);
