-- purpose: several addresses per buyer (issue #20 §1–2). The primary address stays `visitors.email`;
-- every further one is a row here, unverified until the link or code sent to it was used. A
-- verified address belongs to one visitor of the tenant (the partial unique index); an unverified
-- one takes nothing from anyone. The pending proof's link and code are stored as hashes only.
create table visitor_emails (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid not null references visitors (id) on delete cascade,
  email text not null,
  added_at timestamptz not null,
  verified_at timestamptz,
  -- the proof in flight (null once verified): SHA-256 of the `vae_` link token, HMAC of the code
  token_hash text,
  code_hash text,
  secret_id text,
  code_attempts int not null default 0,
  proof_expires_at timestamptz,
  constraint visitor_emails_visitor_email_key unique (visitor_id, email),
  constraint visitor_emails_token_hash_key unique (token_hash)
);
create unique index visitor_emails_verified_key on visitor_emails (tenant_id, email) where verified_at is not null;

-- The verified further addresses, copied onto the visitor (kept equal by src/visitors/ in the same
-- transaction as every change): the edge check reads grants by `email = any(primary + these)` in
-- its one index scan of grants, with no second lookup on the hot path.
alter table visitors add column further_emails text[] not null default '{}';

-- purpose: a change of primary address, and its "this wasn't me" link to the old address (7 days,
-- the `vec_` token stored as its SHA-256 only); used once, it reverts the change and ends every session.
create table visitor_email_changes (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid not null references visitors (id) on delete cascade,
  old_email text not null,
  new_email text not null,
  token_hash text not null,
  request_id text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  reverted_at timestamptz,
  constraint visitor_email_changes_token_hash_key unique (token_hash)
);
create index visitor_email_changes_visitor_idx on visitor_email_changes (visitor_id, created_at);

alter table rate_limit_policies drop constraint rate_limit_policies_key_type_check;
alter table rate_limit_policies add constraint rate_limit_policies_key_type_check
  check (key_type in ('ip', 'tenant', 'email', 'handle', 'credential', 'link', 'pending', 'visitor'));

-- Adding an address sends mail: limited per signed-in visitor, per address (silent, like sign-in
-- mail: the answer never says whether the address is busy) and per client IP; wrong codes per IP.
insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('visitor-email:per-visitor', 'visitor-email', 'per-visitor', 'visitor', 10, 3600, false, false, 'Address verification mails one signed-in shopper may ask for'),
  ('visitor-email:per-ip', 'visitor-email', 'per-ip', 'ip', 30, 3600, false, false, 'Address verification mails asked for from one client IP'),
  ('visitor-email:per-email', 'visitor-email', 'per-email', 'email', 5, 3600, false, true, 'Address verification mails to one address (past it: same 202, no mail)');
