-- purpose: single-use sign-in links and their 6-digit codes; only hashes are stored.
create table magic_links (
  id uuid primary key default gen_random_uuid(),
  -- issue order: "the newest link of an address" must not depend on clock resolution
  seq bigint generated always as identity,
  tenant_id uuid not null references tenants (id) on delete cascade,
  visitor_id uuid not null references visitors (id) on delete cascade,
  token_hash text not null,
  code_hash text not null,
  -- which TOKEN_SECRET keyed the code hash (secrets rotate)
  secret_id text not null,
  return_to text not null,
  request_id text not null,
  created_at timestamptz not null,
  -- validity starts when SMTP accepts the mail: null until then
  sent_at timestamptz,
  expires_at timestamptz,
  used_at timestamptz,
  used_by_session_id uuid,
  code_attempts int not null default 0,
  code_burned_at timestamptz,
  constraint magic_links_token_hash_key unique (token_hash)
);
create index magic_links_visitor_seq_idx on magic_links (visitor_id, seq desc);
