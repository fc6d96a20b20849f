-- purpose: sign in where you started. A browser that asks for a sign-in link holds a pending
-- sign-in (its id, ≥ 128 bits, only in its sealed cookie; here only the SHA-256). The link opened
-- on another device may approve it by picking the two-digit number the first screen shows; the
-- waiting browser then claims its session once. Polling the pending sign-in is limited per client
-- IP and per pending sign-in (keyed by its hash).
create table pending_sign_ins (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  -- null when no mail was sent (past the per-email limit): it can only wait and expire
  visitor_id uuid references visitors (id) on delete cascade,
  link_id uuid references magic_links (id) on delete cascade,
  id_hash text not null,
  -- the number the waiting screen shows: a challenge, not a credential (alone it signs nobody in)
  number smallint not null,
  -- the three numbers the link page offers (the right one among them), fixed so that reloading
  -- the page never tells which one stays
  choices smallint[] not null,
  status text not null default 'waiting',
  request_id text not null,
  ip text,
  user_agent text,
  created_at timestamptz not null,
  -- when it ends unless its link's validity (which starts when the mail is sent) says otherwise
  expires_at timestamptz not null,
  -- the other device's answer: approved (the right number) or rejected (a wrong one)
  decided_at timestamptz,
  decided_request_id text,
  decided_ip text,
  decided_user_agent text,
  -- the session the approval reserved for the waiting browser (created when it claims it)
  session_id uuid,
  signed_in_at timestamptz,
  signed_in_request_id text,
  constraint pending_sign_ins_id_hash_key unique (id_hash),
  constraint pending_sign_ins_number_check check (number between 10 and 99),
  -- superseded: the same browser asked again; its newer pending sign-in is the one that waits
  constraint pending_sign_ins_status_check check (status in ('waiting', 'approved', 'rejected', 'signed_in', 'superseded'))
);
create index pending_sign_ins_link_idx on pending_sign_ins (link_id);
create index pending_sign_ins_visitor_idx on pending_sign_ins (visitor_id, created_at desc);

alter table rate_limit_policies drop constraint rate_limit_policies_key_type_check;
alter table rate_limit_policies add constraint rate_limit_policies_key_type_check
  check (key_type in ('ip', 'tenant', 'email', 'handle', 'credential', 'link', 'pending'));

insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('pending:per-ip', 'pending', 'per-ip', 'ip', 300, 60, false, false, 'Polls of pending sign-ins from one client IP'),
  ('pending:per-pending', 'pending', 'per-pending', 'pending', 120, 900, false, false, 'Polls of one pending sign-in (keyed by its hash)');
