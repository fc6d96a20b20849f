-- purpose: a tenant's branding on its hosted pages and sign-in mail: a logo (an https URL shown at
-- the given width × height in CSS pixels, all three or none), an accent colour (#rrggbb, lower-case,
-- checked for WCAG AA contrast with white by the code) and a support contact (an email address or
-- an https URL). All optional: without them the pages keep the neutral look.
alter table tenants
  add column logo_url text,
  add column logo_width int,
  add column logo_height int,
  add column accent_color text,
  add column support_contact text,
  add constraint tenants_logo_complete check (
    (logo_url is null and logo_width is null and logo_height is null)
    or (logo_url is not null and logo_width is not null and logo_height is not null)),
  add constraint tenants_logo_https check (logo_url is null or (logo_url like 'https://%' and length(logo_url) <= 2048)),
  add constraint tenants_logo_size check (logo_width is null or (logo_width between 1 and 600 and logo_height between 1 and 300)),
  add constraint tenants_accent_format check (accent_color is null or accent_color ~ '^#[0-9a-f]{6}$'),
  add constraint tenants_support_contact_length check (support_contact is null or length(support_contact) <= 2048);
