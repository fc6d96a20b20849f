-- purpose: who marked a support report handled (`operator:<id>`, as in the audit trail) and their
-- note of what was done (optional; at most 1000 characters as typed, then redacted — redaction may
-- lengthen it, so the bound is the console's, not a check here), shown on the report in the console.
alter table support_reports
  add column handled_by text,
  add column handled_note text;
