// Keys storefront servers sign JWTs with: every SQL statement of `jwt_keys`. The header `kid` picks
// the key and so the tenant. HS256 secrets are stored AES-GCM sealed (the caller seals them, with
// the kid as associated data so a sealed secret cannot be moved to another row); ES256/EdDSA keys
// are public JWKs.
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

export const JWT_ALGS = ['HS256', 'ES256', 'EdDSA'] as const;
export type JwtAlg = (typeof JWT_ALGS)[number];

/** `k_` + 16 base64url characters (96 random bits). */
const KID_SHAPE = /^k_[A-Za-z0-9_-]{16}$/;

export type PublicJwk = { kty: string; crv: string; x: string; y?: string };

export type JwtKey = {
  kid: string;
  tenantId: string;
  handle: string;
  alg: JwtAlg;
  /** ES256 / EdDSA only. */
  publicJwk: PublicJwk | null;
  /** HS256 only: sealed text, opened with `unseal(keys, 'credential', …, kid)`. */
  secretSealed: string | null;
  createdAt: Date;
};

type JwtKeyRow = {
  kid: string;
  tenant_id: string;
  handle: string;
  alg: JwtAlg;
  public_jwk: PublicJwk | null;
  secret_sealed: string | null;
  created_at: Date;
};

function toJwtKey(row: JwtKeyRow): JwtKey {
  return {
    kid: row.kid,
    tenantId: row.tenant_id,
    handle: row.handle,
    alg: row.alg,
    publicJwk: row.public_jwk,
    secretSealed: row.secret_sealed,
    createdAt: row.created_at,
  };
}

export function isJwtAlg(value: string): value is JwtAlg {
  return (JWT_ALGS as readonly string[]).includes(value);
}

export function newKid(): string {
  return `k_${encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(12)))}`;
}

/** Lets a forged or garbage `kid` be refused without a query. */
export function looksLikeKid(value: string): boolean {
  return KID_SHAPE.test(value);
}

export type JwtKeyInput = {
  kid: string;
  tenantId: string;
  alg: JwtAlg;
  publicJwk: PublicJwk | null;
  secretSealed: string | null;
};

export async function insertJwtKey(db: Db, input: JwtKeyInput): Promise<JwtKey> {
  const row = await db.one<JwtKeyRow>(sql`
    with created as (
      insert into jwt_keys (kid, tenant_id, alg, public_jwk, secret_sealed)
      values (${input.kid}, ${input.tenantId}, ${input.alg}, ${input.publicJwk}, ${input.secretSealed})
      returning *
    )
    select c.kid, c.tenant_id, t.handle, c.alg, c.public_jwk, c.secret_sealed, c.created_at
    from created c join tenants t on t.id = c.tenant_id`);
  return toJwtKey(row!);
}

export async function findJwtKey(db: Db, kid: string): Promise<JwtKey | null> {
  if (!looksLikeKid(kid)) return null;
  const row = await db.one<JwtKeyRow>(sql`
    select k.kid, k.tenant_id, t.handle, k.alg, k.public_jwk, k.secret_sealed, k.created_at
    from jwt_keys k join tenants t on t.id = k.tenant_id
    where k.kid = ${kid}`);
  return row ? toJwtKey(row) : null;
}

export async function listJwtKeys(db: Db): Promise<JwtKey[]> {
  const rows = await db.many<JwtKeyRow>(sql`
    select k.kid, k.tenant_id, t.handle, k.alg, k.public_jwk, k.secret_sealed, k.created_at
    from jwt_keys k join tenants t on t.id = k.tenant_id
    order by t.handle, k.created_at`);
  return rows.map(toJwtKey);
}

/** True when a key was removed now. Tokens signed with it stop verifying at once (no cache). */
export async function removeJwtKey(db: Db, kid: string): Promise<boolean> {
  if (!looksLikeKid(kid)) return false;
  const rows = await db.many(sql`delete from jwt_keys where kid = ${kid} returning kid`);
  return rows.length === 1;
}
