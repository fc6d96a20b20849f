-- purpose: keys storefront servers sign JWTs with; the header `kid` picks the key and so the tenant.
create table jwt_keys (
  kid text primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  alg text not null,
  -- ES256 / EdDSA: the public key as a JWK
  public_jwk jsonb,
  -- HS256: the shared secret, AES-GCM sealed (the sealed text names the TOKEN_SECRET used)
  secret_sealed text,
  created_at timestamptz not null default now(),
  constraint jwt_keys_alg_check check (alg in ('HS256', 'ES256', 'EdDSA')),
  constraint jwt_keys_material_check check (
    (alg = 'HS256' and secret_sealed is not null and public_jwk is null)
    or (alg <> 'HS256' and public_jwk is not null and secret_sealed is null)
  )
);
create index jwt_keys_tenant_idx on jwt_keys (tenant_id);
