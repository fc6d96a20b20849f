-- purpose: "this email may see this resource at this tenant" — keyed by normalised email, so a
-- storefront can grant before the shopper ever signs in.
create table grants (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  email text not null,
  resource text not null,
  kind text not null,
  title text,
  order_id text,
  expires_at timestamptz,
  granted_at timestamptz not null,
  updated_at timestamptz not null,
  constraint grants_tenant_email_resource_key unique (tenant_id, email, resource),
  constraint grants_kind_check check (kind in ('content', 'order'))
);
