// Data the sign-in bench needs in the service's database: limits raised above the offered load
// (the checks keep running), and fresh magic links minted in bulk with the service's own token
// functions — each as requestMagicLink() would leave it once the mail went out (sent, valid for the
// link TTL), so that one wrk request consumes one link.
import { writeFileSync } from 'node:fs';
import type { Db } from '../../src/db/db.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { sql } from '../../src/db/sql.ts';
import { setOverride } from '../../src/limits/policies.ts';
import { hashCode, mintCode } from '../../src/tokens/codes.ts';
import { deriveKeyRing, type KeyRing } from '../../src/tokens/keys.ts';
import { hashToken, mintToken } from '../../src/tokens/tokens.ts';
import { createEndpoint, systemResolver } from '../../src/webhooks/endpoints.ts';

/** Every policy that sign-in, verify and link requests count against. */
const SIGN_IN_POLICIES = [
  'magic-link:per-ip',
  'magic-link:per-tenant',
  'magic-link:per-email',
  'magic-link:per-email-daily',
  'verify:per-ip',
  'link:per-ip',
] as const;

/** Far above anything wrk can offer in a window; the counters are still bumped on every request. */
export const RAISED_QUOTA = 1_000_000_000;

export async function tenantIdOf(db: Db, handle: string): Promise<string> {
  const row = await db.one<{ id: string }>(sql`select id from tenants where handle = ${handle}`);
  if (!row) throw new Error(`no tenant with handle ${handle}`);
  return row.id;
}

export async function raiseLimits(url: string, handle: string): Promise<void> {
  const db = openPostgres(url, { max: 1, applicationName: 'va-bench-setup' });
  try {
    const tenantId = await tenantIdOf(db, handle);
    for (const policy of SIGN_IN_POLICIES) await setOverride(db, tenantId, policy, RAISED_QUOTA);
  } finally {
    await db.close();
  }
}

/**
 * Mints `count` links for `count` new shoppers of the tenant and writes their tokens to `file`, one a
 * line. Tokens come from mintToken() with the service's key ring, stored as hashToken(); each link has
 * a code hash from hashCode() like a requested one. Batched inserts: ~50 k links in a few seconds.
 */
export async function mintLinks(
  url: string,
  tokenSecret: string,
  handle: string,
  count: number,
  file: string,
  ttlSeconds = 900,
): Promise<void> {
  const keys: KeyRing = await deriveKeyRing(tokenSecret.split(',').map((s) => s.trim()));
  const db = openPostgres(url, { max: 2, applicationName: 'va-bench-mint' });
  const run = crypto.randomUUID().slice(0, 8);
  const tokens: string[] = [];
  try {
    const tenantId = await tenantIdOf(db, handle);
    const now = new Date();
    const expires = new Date(now.getTime() + ttlSeconds * 1000);
    for (let start = 0; start < count; start += 5000) {
      const size = Math.min(5000, count - start);
      const emails = Array.from({ length: size }, (_, i) => `mint-${run}-${start + i}@example.com`);
      const visitors = await db.many<{ id: string; email: string }>(sql`
        insert into visitors (tenant_id, email, created_at)
        select ${tenantId}::uuid, e, ${now} from unnest(${emails}::text[]) as t(e)
        returning id, email`);
      const idOf = new Map(visitors.map((v) => [v.email, v.id]));
      const batch = emails.map((email) => {
        const token = mintToken(keys, 'vml');
        tokens.push(token);
        return { visitorId: idOf.get(email)!, tokenHash: hashToken(token), codeHash: hashCode(keys, tenantId, email, mintCode()).hash };
      });
      await db.many(sql`
        insert into magic_links (tenant_id, visitor_id, token_hash, code_hash, secret_id, return_to, request_id, created_at, sent_at, expires_at)
        select ${tenantId}::uuid, v::uuid, t, c, ${keys.current.id}, '/', 'bench-mint', ${now}, ${now}, ${expires}
        from unnest(${batch.map((b) => b.visitorId)}::text[], ${batch.map((b) => b.tokenHash)}::text[], ${batch.map((b) => b.codeHash)}::text[]) as x(v, t, c)`);
    }
  } finally {
    await db.close();
  }
  writeFileSync(file, `${tokens.join('\n')}\n`);
}

/**
 * Registers one webhook endpoint of the tenant subscribed to every event, through the webhooks
 * feature's own createEndpoint (the URL rules of NODE_ENV=test: a loopback receiver is allowed).
 * Returns its id; the secret is not needed (the bench's receiver does not verify).
 */
export async function addWebhookEndpoint(url: string, tokenSecret: string, handle: string, receiverUrl: string): Promise<string> {
  const keys = await deriveKeyRing(tokenSecret.split(',').map((s) => s.trim()));
  const db = openPostgres(url, { max: 1, applicationName: 'va-bench-setup' });
  try {
    const tenantId = await tenantIdOf(db, handle);
    const endpoint = await createEndpoint(
      { db, keys, urlPolicy: { production: false, resolve: systemResolver } },
      tenantId,
      { url: receiverUrl, events: ['*'], description: 'bench receiver', includeEmail: false },
      new Date(),
    );
    return endpoint.id;
  } finally {
    await db.close();
  }
}
