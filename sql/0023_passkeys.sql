-- purpose: passkeys after the first email sign-in (issue #21). A shopper who proved their address by
-- link or code may register a WebAuthn credential for the storefront host they are on (rp_id = that
-- host); later it signs them in there without a mail. Challenges are stored as their SHA-256 only,
-- bound to tenant, host and purpose, single-use and short-lived.
create table passkeys (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid not null references visitors (id) on delete cascade,
  -- the storefront host it was registered on; it never signs in anywhere else
  rp_id text not null,
  -- base64url of the credential id the authenticator chose
  credential_id text not null,
  -- base64url of the COSE public key (not a secret)
  public_key text not null,
  -- the authenticator's signature counter (0 for most synced passkeys)
  sign_count bigint not null default 0,
  transports text[] not null default '{}',
  -- `singleDevice` or `multiDevice`; backed_up: a multi-device credential currently backed up
  device_type text not null,
  backed_up boolean not null,
  user_verified boolean not null,
  aaguid text,
  request_id text not null,
  created_at timestamptz not null,
  last_used_at timestamptz,
  -- removed by the shopper or support; a removed passkey never signs in
  removed_at timestamptz,
  removed_by text,
  constraint passkeys_credential_key unique (rp_id, credential_id),
  constraint passkeys_device_type_check check (device_type in ('singleDevice', 'multiDevice'))
);
create index passkeys_visitor_idx on passkeys (visitor_id, created_at);

create table passkey_challenges (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  rp_id text not null,
  purpose text not null,
  challenge_hash text not null,
  -- registration: the signed-in visitor and session that asked for it
  visitor_id uuid references visitors (id) on delete cascade,
  session_id uuid,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  constraint passkey_challenges_hash_key unique (challenge_hash),
  constraint passkey_challenges_purpose_check check (purpose in ('registration', 'authentication')),
  constraint passkey_challenges_visitor_check check ((purpose = 'registration') = (visitor_id is not null))
);
create index passkey_challenges_expires_idx on passkey_challenges (expires_at);

-- Passkey sign-ins are limited like codes: per client IP, and per tenant.
insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('passkey:per-ip', 'passkey', 'per-ip', 'ip', 60, 60, false, false, 'Passkey sign-in options and verifications from one client IP'),
  ('passkey:per-tenant', 'passkey', 'per-tenant', 'tenant', 1200, 60, false, false, 'Passkey sign-in options and verifications for one storefront'),
  ('passkey-register:per-ip', 'passkey-register', 'per-ip', 'ip', 30, 60, false, false, 'Passkey registration options and verifications from one client IP');
