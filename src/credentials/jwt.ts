// Storefront JWTs, verified with `jose` (Web Crypto; see docs/credentials.md for why not @oslojs/jwt).
// The header `kid` picks a registered key and so the tenant; the token's `alg` must be that key's,
// which is what defeats `none` and the HS256-signed-with-a-public-key confusion. No key cache: one
// primary-key lookup per token, so a removed key stops working at once.
import type { CryptoKey as JoseKey, JWTPayload } from 'jose';
import { unseal } from '../tokens/sealed.ts';
import type { KeyRing } from '../tokens/keys.ts';
import type { CredentialDeps, ServerCaller } from './caller-types.ts';
import { findJwtKey, looksLikeKid, type JwtKey } from './jwt-keys.ts';
import { TENANT_SCOPES } from './scopes.ts';

const JWT_AUDIENCE = 'visitor-access';
const JWT_CLOCK_SKEW_SECONDS = 60;
/** `exp` may be at most this far ahead of now (plus the skew): a leaked token is short-lived. */
const JWT_MAX_LIFETIME_SECONDS = 600;

const TENANT_SCOPE_SET = new Set<string>(TENANT_SCOPES);

let library: Promise<typeof import('jose')> | undefined;
/**
 * `jose` (46 modules), imported by the first JWT rather than at start-up: a service whose tenants
 * never send one keeps it unloaded (docs/performance.md, "RSS"). Later calls await a settled promise.
 */
export function joseLibrary(): Promise<typeof import('jose')> {
  library ??= import('jose');
  return library;
}

/** The caller for a valid storefront JWT, or null (the caller answers 401 unauthorized). */
export async function verifyStorefrontJwt(deps: CredentialDeps, token: string): Promise<ServerCaller | null> {
  const { decodeProtectedHeader, errors, jwtVerify } = await joseLibrary();
  let kid: unknown;
  let alg: unknown;
  try {
    ({ kid, alg } = decodeProtectedHeader(token));
  } catch {
    return null;
  }
  if (typeof kid !== 'string' || typeof alg !== 'string' || !looksLikeKid(kid)) return null;
  const key = await findJwtKey(deps.db, kid);
  // The key decides the algorithm, never the token: `none`, another algorithm, or HS256 "signed"
  // with an ES256/EdDSA public key as the HMAC secret all end here.
  if (!key || key.alg !== alg) return null;
  const verifier = await verificationKey(deps.keys, key);
  if (!verifier) return null;

  const now = deps.clock.now();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, verifier, {
      algorithms: [key.alg],
      audience: JWT_AUDIENCE,
      requiredClaims: ['exp'],
      currentDate: now,
      clockTolerance: JWT_CLOCK_SKEW_SECONDS,
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
  if (payload.exp! > now.getTime() / 1000 + JWT_MAX_LIFETIME_SECONDS + JWT_CLOCK_SKEW_SECONDS) return null;
  const scopes = tenantScopesOf(payload.scope);
  if (!scopes) return null;
  return { kind: 'jwt', id: key.kid, tenantId: key.tenantId, scopes };
}

/** The stored key in the form jose verifies with; null when it cannot be opened (e.g. its TOKEN_SECRET was dropped). */
async function verificationKey(keys: KeyRing, key: JwtKey): Promise<JoseKey | Uint8Array | null> {
  if (key.alg === 'HS256') {
    const secret = key.secretSealed ? await unseal<string>(keys, 'credential', key.secretSealed, key.kid) : null;
    return typeof secret === 'string' ? new TextEncoder().encode(secret) : null;
  }
  if (!key.publicJwk) return null;
  const { errors, importJWK } = await joseLibrary();
  try {
    return await importJWK({ ...key.publicJwk }, key.alg);
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof TypeError || error instanceof DOMException) return null;
    throw error;
  }
}

/**
 * `scope` is a space-separated string (RFC 8693). Only tenant scopes survive: unknown ones are
 * dropped, and operator:* never comes from a JWT. A missing claim means no scopes; a claim of
 * another type makes the token invalid.
 */
function tenantScopesOf(claim: unknown): Set<string> | null {
  if (claim === undefined) return new Set();
  if (typeof claim !== 'string') return null;
  return new Set(claim.split(' ').filter((scope) => TENANT_SCOPE_SET.has(scope)));
}
