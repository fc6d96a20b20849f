-- purpose: operational limits in one place. Policies are seeded here (the defaults; docs/limits.md is
-- generated from this table), tenants may override a quota, and fixed-window counters shared by
-- every instance are counted atomically with `insert … on conflict do update … returning`.
create table rate_limit_policies (
  name text primary key,
  route text not null,
  -- the item name in the RateLimit / RateLimit-Policy headers
  label text not null,
  key_type text not null,
  quota int not null,
  window_seconds int not null,
  -- daily write limits answer 429 daily_limit_reached (windows aligned to UTC days)
  daily boolean not null default false,
  -- silent limits never change the answer (per-email sign-in limits: no probing, no lock-out)
  silent boolean not null default false,
  description text not null,
  constraint rate_limit_policies_key_type_check check (key_type in ('ip', 'tenant', 'email', 'handle', 'credential')),
  constraint rate_limit_policies_quota_check check (quota >= 0 and window_seconds >= 1)
);

create table rate_limit_overrides (
  tenant_id uuid not null references tenants (id) on delete cascade,
  policy_name text not null references rate_limit_policies (name) on delete cascade,
  quota int not null,
  constraint rate_limit_overrides_pkey primary key (tenant_id, policy_name),
  constraint rate_limit_overrides_quota_check check (quota >= 0)
);

create table rate_limit_counters (
  key text primary key,
  count int not null,
  expires_at timestamptz not null
);
create index rate_limit_counters_expires_idx on rate_limit_counters (expires_at);

insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('magic-link:per-ip', 'magic-link', 'per-ip', 'ip', 30, 60, false, false, 'Sign-in link requests from one client IP'),
  ('magic-link:per-tenant', 'magic-link', 'per-tenant', 'tenant', 600, 60, false, false, 'Sign-in link requests to one storefront'),
  ('magic-link:per-email', 'magic-link', 'per-email', 'email', 5, 900, false, true, 'Sign-in mails to one address (past it: same 202, no mail, a security event)'),
  ('magic-link:per-email-daily', 'magic-link', 'per-email-daily', 'email', 20, 86400, true, true, 'Sign-in mails to one address per UTC day (silent like per-email)'),
  ('verify:per-ip', 'verify', 'per-ip', 'ip', 60, 60, false, false, 'Verify attempts (token or code) from one client IP'),
  ('verify:wrong-code-per-ip', 'verify', 'wrong-code-per-ip', 'ip', 20, 900, false, false, 'Wrong codes from one client IP (429 for that IP; burns nothing)'),
  ('reissue:per-ip', 'reissue', 'per-ip', 'ip', 30, 60, false, false, 'Fresh-link requests for expired links from one client IP'),
  ('reissue:per-tenant', 'reissue', 'per-tenant', 'tenant', 600, 60, false, false, 'Fresh-link requests to one storefront'),
  ('support-report:per-ip', 'support-report', 'per-ip', 'ip', 10, 3600, false, false, 'Support reports from one client IP'),
  ('support-report:per-handle-daily', 'support-report', 'per-handle-daily', 'handle', 200, 86400, true, false, 'Support reports for one storefront per UTC day'),
  ('content-report:per-ip', 'content-report', 'per-ip', 'ip', 10, 3600, false, false, 'Content reports from one client IP');
