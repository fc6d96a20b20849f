-- purpose: a shopper's own erasure (issue #20 §4) needs their session PLUS a fresh 6-digit code
-- mailed for that purpose. One live code per visitor (a new one replaces the old), bound to the
-- session that asked, valid 15 minutes, 5 tries; stored as its HMAC only (keyed for the purpose,
-- so a sign-in code never matches). Erasing the visitor deletes its codes.
create table erasure_codes (
  visitor_id uuid primary key references visitors (id) on delete cascade,
  tenant_id uuid not null references tenants (id) on delete cascade,
  session_id uuid not null,
  code_hash text not null,
  -- which TOKEN_SECRET keyed the code hash (secrets rotate)
  secret_id text not null,
  request_id text not null,
  attempts int not null default 0,
  created_at timestamptz not null,
  expires_at timestamptz not null
);
-- The janitor deletes expired codes through it (docs/deploy.md, Retention).
create index erasure_codes_expires_idx on erasure_codes (expires_at);

-- Asking for such codes is limited per client IP (each one is a mail).
insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('erasure-code:per-ip', 'erasure-code', 'per-ip', 'ip', 10, 3600, false, false, 'Codes to confirm a shopper''s erasure mailed on requests from one client IP');
