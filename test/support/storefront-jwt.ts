// A storefront server's HS256 key, registered for a tenant as `jwt-key add` does, and tokens signed
// with it: aud visitor-access, valid five minutes on the harness clock, with the scopes asked for.
import { SignJWT } from 'jose';
import { insertJwtKey, newKid } from '../../src/credentials/jwt-keys.ts';
import { seal } from '../../src/tokens/sealed.ts';
import type { Harness } from './harness.ts';

export type StorefrontKey = {
  kid: string;
  /** A fresh token (its own iat) with a space-separated `scope`. */
  jwt(scope: string): Promise<string>;
};

export async function storefrontJwtKey(h: Harness, tenantId: string): Promise<StorefrontKey> {
  const secret = `storefront-secret-${crypto.randomUUID()}`;
  const kid = newKid();
  await insertJwtKey(h.db, {
    kid,
    tenantId,
    alg: 'HS256',
    publicJwk: null,
    secretSealed: await seal(h.deps.keys, 'credential', secret, kid),
  });
  const key = new TextEncoder().encode(secret);
  return {
    kid,
    jwt(scope) {
      const now = Math.floor(h.clock.now().getTime() / 1000);
      return new SignJWT({ aud: 'visitor-access', iat: now, exp: now + 300, scope })
        .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
        .sign(key);
    },
  };
}
