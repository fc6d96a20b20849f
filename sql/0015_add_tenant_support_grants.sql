-- purpose: a tenant setting: may support operators (not only admins) add and remove its grants in
-- the console? Off unless the storefront asks for it.
alter table tenants add column support_can_edit_grants boolean not null default false;
