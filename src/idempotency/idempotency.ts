// Idempotency-Key on POSTs that do not create a session (docs/api.md "Idempotency-Key"). The first request
// stores its 2xx/3xx answer for 24 h; the same key + same fingerprint gets it again with
// `Idempotent-Replayed: true` and no second side effect; another fingerprint → 422; still running
// → 409. Records live in Postgres, so every instance agrees. Keys are scoped to (host, tenant,
// caller), after the route's Origin checks (scope.ts).
import { createHash } from 'node:crypto';
import { addSeconds, type Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { AppError } from '../errors.ts';
import { bodyLimitFor, invalid, readLimitedBody } from '../http/body.ts';
import type { RequestContext } from '../http/request-context.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { seal, unseal } from '../tokens/sealed.ts';
import { idempotencyScope, type ScopeDeps } from './scope.ts';

const KEEP_SECONDS = 24 * 3600;
// A "running" record older than this belongs to a crashed request: the key is free again.
const STALE_RUNNING_SECONDS = 60;
const REPLAYED_HEADERS = ['content-type', 'location', 'set-cookie', 'cache-control'];
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

const IDEMPOTENT_PATHS = new Set([
  '/v2/visitor/auth/magic-link',
  '/v2/visitor/auth/logout',
  '/v2/support/report',
  '/v2/public/content-report',
  '/v2/operator/escalations',
  '/v2/access/handoffs',
  '/v2/access/visitors/sign-out',
]);
/**
 * Routes whose answer holds a live credential (a handoff's link): the stored body is sealed at rest
 * (AES-GCM, bound to its scope and key), as the outbox seals a mail's link, and opened to replay.
 */
const SEALED_PATHS = new Set(['/v2/access/handoffs']);
const SEALED_MARK = 'sealed:';
const REISSUE_PATH = /^\/_edge\/visitor\/access\/t\/[^/]+\/reissue$/;

/** Every POST except those that create a session (verify, link confirm): their answers hold live credentials. */
export function acceptsIdempotencyKey(method: string, path: string): boolean {
  return method === 'POST' && (IDEMPOTENT_PATHS.has(path) || REISSUE_PATH.test(path));
}

/** The route template of a path that takes a key: metrics label a replay (answered before routing) by it. */
export function idempotentRouteTemplate(path: string): string | null {
  if (IDEMPOTENT_PATHS.has(path)) return path;
  return REISSUE_PATH.test(path) ? '/_edge/visitor/access/t/:token/reissue' : null;
}

/** Surrounding quotes stripped (the IETF draft writes `"…"`); 1–255 visible ASCII characters. */
function parseIdempotencyKey(header: string): string {
  const trimmed = header.trim();
  const key = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (!KEY_SHAPE.test(key)) throw invalid('Idempotency-Key', 'Idempotency-Key must be 1–255 visible ASCII characters.');
  return key;
}

/** SHA-256 in native code (`node:crypto`, in Bun and Deno alike): bodies are hashed on every keyed request. */
function hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

type StoredRow = {
  fingerprint: string;
  status: 'running' | 'done';
  response_status: number | null;
  response_headers: Record<string, string | string[]> | null;
  response_body: string | null;
};

export type IdempotencyDeps = { db: Db; clock: Clock; keys: KeyRing };

/**
 * Runs `handle` at most once per (scope, key, fingerprint). `handle` receives a fresh copy of the
 * request: the body is read here once, at the route's limit (a larger one is refused with 413
 * before the rest arrives), fingerprinted, and handed on.
 */
export async function withIdempotency(
  deps: IdempotencyDeps & ScopeDeps,
  request: Request,
  context: RequestContext,
  handle: (request: Request) => Promise<Response>,
): Promise<Response> {
  const key = parseIdempotencyKey(request.headers.get('idempotency-key')!);
  const body = await readLimitedBody(request, bodyLimitFor(context.path));
  const scope = await idempotencyScope(deps, request, context, body);
  const fingerprint = hex(`${request.method} ${context.path} ${hex(body)}`);

  // The record can vanish between the claim and the read (expired and cleaned up): claim again.
  for (let attempt = 1; ; attempt++) {
    if (await claim(deps, scope, key, fingerprint)) break;
    const stored = await deps.db.one<StoredRow>(sql`
      select fingerprint, status, response_status, response_headers, response_body
      from idempotency_keys where scope = ${scope} and key = ${key}`);
    if (!stored && attempt < 3) continue;
    if (stored && stored.fingerprint !== fingerprint) {
      throw new AppError('idempotency_key_reused', { detail: 'This Idempotency-Key was already used for a different request.' });
    }
    if (!stored || stored.status === 'running') {
      throw new AppError('idempotency_in_progress', {
        detail: 'A request with this Idempotency-Key is still running; retry shortly.',
        headers: { 'retry-after': '1' },
      });
    }
    return replay(deps.keys, stored, `${scope}\n${key}`);
  }

  let response: Response;
  try {
    response = await handle(
      new Request(request.url, { method: request.method, headers: request.headers, body: body.length ? body : undefined }),
    );
  } catch (error) {
    await release(deps.db, scope, key);
    throw error;
  }
  if (response.status >= 200 && response.status < 400) {
    const text = await response.text();
    const headers: Record<string, string | string[]> = {};
    for (const name of REPLAYED_HEADERS) {
      if (name === 'set-cookie') {
        const cookies = response.headers.getSetCookie();
        if (cookies.length) headers[name] = cookies;
      } else {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = value;
      }
    }
    const stored = SEALED_PATHS.has(context.path) ? SEALED_MARK + (await seal(deps.keys, 'stored', text, `${scope}\n${key}`)) : text;
    await deps.db.many(sql`
      update idempotency_keys
      set status = 'done', response_status = ${response.status}, response_headers = ${headers}, response_body = ${stored}
      where scope = ${scope} and key = ${key}`);
    return new Response(response.status === 204 || response.status === 304 ? null : text, response);
  }
  // Only successes are kept: after an error the key is free for a corrected retry.
  await release(deps.db, scope, key);
  return response;
}

/** Takes the key for this request: a new record, or one that expired or whose request crashed. */
async function claim(deps: IdempotencyDeps, scope: string, key: string, fingerprint: string): Promise<boolean> {
  const now = deps.clock.now();
  const claimed = await deps.db.one<{ key: string }>(sql`
    insert into idempotency_keys (scope, key, fingerprint, status, created_at, expires_at)
    values (${scope}, ${key}, ${fingerprint}, 'running', ${now}, ${addSeconds(now, KEEP_SECONDS)})
    on conflict (scope, key) do update
      set fingerprint = excluded.fingerprint, status = 'running', response_status = null, response_headers = null,
          response_body = null, created_at = excluded.created_at, expires_at = excluded.expires_at
      where idempotency_keys.expires_at <= ${now}
         or (idempotency_keys.status = 'running' and idempotency_keys.created_at < ${addSeconds(now, -STALE_RUNNING_SECONDS)})
    returning key`);
  return claimed !== undefined;
}

async function release(db: Db, scope: string, key: string): Promise<void> {
  await db.many(sql`delete from idempotency_keys where scope = ${scope} and key = ${key} and status = 'running'`);
}

async function replay(keys: KeyRing, stored: StoredRow, aad: string): Promise<Response> {
  let body = stored.response_body;
  if (body?.startsWith(SEALED_MARK)) {
    body = await unseal<string>(keys, 'stored', body.slice(SEALED_MARK.length), aad);
    // Sealed by a secret no longer configured: the answer cannot be given again.
    if (body === null)
      throw new AppError('idempotency_key_reused', { detail: 'This stored answer can no longer be replayed; use a new Idempotency-Key.' });
  }
  const headers = new Headers({ 'idempotent-replayed': 'true' });
  for (const [name, value] of Object.entries(stored.response_headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const status = stored.response_status!;
  return new Response(status === 204 ? null : body, { status, headers });
}

/** Deletes up to `limit` records that expired before `before` (24 h after their request; the janitor repeats). */
export async function deleteExpiredIdempotencyKeys(db: Db, before: Date, limit: number): Promise<number> {
  const rows = await db.many(sql`
    delete from idempotency_keys where ctid = any(array(
      select ctid from idempotency_keys where expires_at < ${before} limit ${limit}))
    returning 1`);
  return rows.length;
}
