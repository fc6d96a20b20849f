-- purpose: Idempotency-Key records, scoped to (tenant/host, caller); only 2xx/3xx answers are kept (24 h).
create table idempotency_keys (
  scope text not null,
  key text not null,
  fingerprint text not null,
  status text not null,
  response_status int,
  response_headers jsonb,
  response_body text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  constraint idempotency_keys_pkey primary key (scope, key),
  constraint idempotency_keys_status_check check (status in ('running', 'done'))
);
create index idempotency_keys_expires_idx on idempotency_keys (expires_at);
