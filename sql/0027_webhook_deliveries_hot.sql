-- purpose: a delivery's claim as a HOT update (issue #16 §5). The claim wrote a new entry in every
-- index of webhook_deliveries (status and next_attempt_at were in index keys and predicates): it
-- now sets only columns no index reads — status, attempts and the lease's end in `lease_until` —
-- so PostgreSQL keeps the new row version on the same page without index entries, and the
-- fillfactor leaves room there for it. A claimed row keeps its next_attempt_at and is due again
-- once its lease has ended (a crashed worker's delivery is retried). The partial indexes say
-- "unfinished", "dead" and "finished" by delivered_at and dead_at, which are set exactly when the
-- status becomes 'delivered' or 'dead' and cleared when a delivery is re-sent.
alter table webhook_deliveries add column lease_until timestamptz;
-- in-flight rows: their lease's end was next_attempt_at, which they keep
update webhook_deliveries set lease_until = next_attempt_at where status = 'sending';
alter table webhook_deliveries set (fillfactor = 50);
drop index webhook_deliveries_due_idx;
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where delivered_at is null and dead_at is null;
drop index webhook_deliveries_dead_idx;
create index webhook_deliveries_dead_idx on webhook_deliveries (tenant_id, dead_at) where dead_at is not null;
drop index webhook_deliveries_finished_idx;
create index webhook_deliveries_finished_idx on webhook_deliveries ((coalesce(delivered_at, dead_at)))
  where delivered_at is not null or dead_at is not null;
