-- purpose: a tenant's default language for shopper pages and sign-in mail ('en', 'de'; checked by
-- the CLI against the shipped catalogues). A shipped language the shopper's browser asks for wins.
alter table tenants add column locale text not null default 'en';
