-- purpose: retention (issue #20 §5). The janitor deletes what ended more than RETENTION_*_DAYS ago
-- in batches of a bounded size, each found through an index on the time it ended (the same
-- expression its delete statement uses), so a batch never scans a table.
create index audit_events_created_idx on audit_events (created_at);
create index security_events_seen_idx on security_events ((coalesce(last_seen_at, created_at)));
create index mail_outbox_finished_idx on mail_outbox ((coalesce(sent_at, failed_at))) where status in ('sent', 'failed');
create index magic_links_unused_ended_idx on magic_links ((coalesce(expires_at, created_at))) where used_at is null;
create index magic_links_used_idx on magic_links (used_at) where used_at is not null;
create index pending_sign_ins_expires_idx on pending_sign_ins (expires_at);
create index webhook_deliveries_finished_idx on webhook_deliveries ((coalesce(delivered_at, dead_at))) where status in ('delivered', 'dead');
create index console_sessions_active_idx on console_sessions (last_active_at);
create index handoffs_expires_idx on handoffs (expires_at);
create index sessions_ended_idx on sessions ((least(revoked_at, expires_at)));
-- Deleting a link sets sessions.magic_link_id to null (on delete set null): found by this index,
-- not by a scan of sessions per deleted link.
create index sessions_magic_link_idx on sessions (magic_link_id) where magic_link_id is not null;
