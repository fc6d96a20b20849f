-- purpose: transactional mail outbox; secret parts encrypted and wiped once sent.
create table mail_outbox (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  magic_link_id uuid references magic_links (id) on delete cascade,
  kind text not null,
  to_address text not null,
  -- stable across retries, so a rare duplicate is recognisable as the same message
  message_id text not null,
  -- which TOKEN_SECRET encrypted the payload
  secret_id text,
  payload text,
  request_id text not null,
  status text not null default 'pending',
  attempts int not null default 0,
  -- when the row is next due: for 'pending' the retry time, for 'sending' the end of the claim lease
  next_attempt_at timestamptz not null,
  last_error text,
  created_at timestamptz not null,
  sent_at timestamptz,
  failed_at timestamptz,
  constraint mail_outbox_status_check check (status in ('pending', 'sending', 'sent', 'failed'))
);
create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where status in ('pending', 'sending');
create index mail_outbox_magic_link_idx on mail_outbox (magic_link_id);
