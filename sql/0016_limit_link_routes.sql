-- purpose: the link page (GET and POST /_edge/visitor/access/t/{token}) writes an audit row per
-- request and a security event per replay, so it gets limits: per client IP and per link (keyed by
-- the token's SHA-256, never the token). Replays of one used link fold into ONE security event with
-- a count and a last-seen time, updated in place.
alter table rate_limit_policies drop constraint rate_limit_policies_key_type_check;
alter table rate_limit_policies add constraint rate_limit_policies_key_type_check
  check (key_type in ('ip', 'tenant', 'email', 'handle', 'credential', 'link'));

insert into rate_limit_policies (name, route, label, key_type, quota, window_seconds, daily, silent, description) values
  ('link:per-ip', 'link', 'per-ip', 'ip', 60, 60, false, false, 'Link page opens and confirmations (GET/POST) from one client IP'),
  ('link:per-link', 'link', 'per-link', 'link', 30, 900, false, false, 'Opens and confirmations of one sign-in link (keyed by its hash)');

alter table security_events add column occurrences int not null default 1;
-- null: seen once (at created_at)
alter table security_events add column last_seen_at timestamptz;

-- Fold replays recorded before this migration: keep each link's first event, with the count.
update security_events e
set occurrences = g.n, last_seen_at = g.last_at
from (
  select detail->>'linkId' as link_id, count(*)::int as n, max(created_at) as last_at, min(created_at) as first_at
  from security_events
  where kind = 'used_link_replayed'
  group by 1
  having count(*) > 1
) g
where e.kind = 'used_link_replayed' and e.detail->>'linkId' = g.link_id and e.created_at = g.first_at;
delete from security_events e
where e.kind = 'used_link_replayed'
  and exists (
    select 1 from security_events k
    where k.kind = 'used_link_replayed' and k.detail->>'linkId' = e.detail->>'linkId'
      and (k.created_at, k.id) < (e.created_at, e.id)
  );

create unique index security_events_replayed_link_idx on security_events ((detail->>'linkId')) where kind = 'used_link_replayed';
