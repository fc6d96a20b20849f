// Personal access tokens: `vapat_<base64url(32 random bytes)>`, shown once, stored as SHA-256 only.
// Deliberately independent of TOKEN_SECRET, so rotating secrets never breaks an integration.
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase64urlNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';

const PAT_SHAPE = /^vapat_[A-Za-z0-9_-]{43}$/;
const LAST_USED_EVERY_MS = 60_000;

export type Pat = {
  id: string;
  tenantId: string | null;
  handle: string | null;
  name: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

type PatRow = {
  id: string;
  tenant_id: string | null;
  handle: string | null;
  name: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

function toPat(row: PatRow): Pat {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    handle: row.handle,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

function hashPat(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

function looksLikePat(token: string): boolean {
  return PAT_SHAPE.test(token);
}

/** Creates a PAT; the returned token is the only time it exists in clear. */
export async function createPat(
  db: Db,
  input: { tenantId: string | null; name: string; scopes: string[] },
): Promise<{ pat: Pat; token: string }> {
  const token = `vapat_${encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))}`;
  const row = await db.one<PatRow>(sql`
    with created as (
      insert into pats (tenant_id, name, token_hash, scopes)
      values (${input.tenantId}, ${input.name}, ${hashPat(token)}, ${input.scopes}::text[])
      returning *
    )
    select c.id, c.tenant_id, t.handle, c.name, array_to_json(c.scopes) as scopes, c.created_at, c.last_used_at, c.revoked_at
    from created c left join tenants t on t.id = c.tenant_id`);
  return { pat: toPat(row!), token };
}

export async function findLivePatByToken(db: Db, token: string): Promise<Pat | null> {
  if (!looksLikePat(token)) return null;
  const row = await db.one<PatRow>(sql`
    select p.id, p.tenant_id, t.handle, p.name, array_to_json(p.scopes) as scopes, p.created_at, p.last_used_at, p.revoked_at
    from pats p left join tenants t on t.id = p.tenant_id
    where p.token_hash = ${hashPat(token)} and p.revoked_at is null`);
  return row ? toPat(row) : null;
}

/** Records use, but writes at most once a minute per PAT. */
export async function touchPat(db: Db, pat: Pat, now: Date): Promise<void> {
  if (pat.lastUsedAt && now.getTime() - pat.lastUsedAt.getTime() < LAST_USED_EVERY_MS) return;
  await db.many(sql`update pats set last_used_at = ${now} where id = ${pat.id}::uuid`);
}

export async function listPats(db: Db): Promise<Pat[]> {
  const rows = await db.many<PatRow>(sql`
    select p.id, p.tenant_id, t.handle, p.name, array_to_json(p.scopes) as scopes, p.created_at, p.last_used_at, p.revoked_at
    from pats p left join tenants t on t.id = p.tenant_id
    order by p.created_at`);
  return rows.map(toPat);
}

/** True when a live PAT was revoked now. */
export async function revokePat(db: Db, id: string, now: Date): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  const rows = await db.many(sql`update pats set revoked_at = ${now} where id = ${id}::uuid and revoked_at is null returning id`);
  return rows.length === 1;
}
