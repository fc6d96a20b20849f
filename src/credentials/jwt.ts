// Storefront JWTs — placeholder until the JWT verifier lands: every JWT is rejected.
import type { CredentialDeps, ServerCaller } from './caller.ts';

export async function verifyStorefrontJwt(_deps: CredentialDeps, _token: string): Promise<ServerCaller | null> {
  return null;
}
