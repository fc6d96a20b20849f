// Per-purpose subkeys derived from each TOKEN_SECRET with HKDF, so one leaked subkey opens one door.
// The first secret signs and encrypts; all of them verify and decrypt (rotation).
import { createSecretKey, type KeyObject } from 'node:crypto';
import { encodeHexLowerCase } from '@oslojs/encoding';

export type SecretKeys = {
  /** Short public fingerprint of the secret, recorded on rows it encrypted or keyed. */
  id: string;
  tokenMac: Uint8Array;
  codeMac: Uint8Array;
  /** AES-256-GCM keys (sealed.ts; node:crypto, not WebCrypto: it seals on every sign-in request). */
  outbox: KeyObject;
  cookie: KeyObject;
  /** Credentials at rest (HS256 JWT secrets). */
  credential: KeyObject;
  /** Stored Idempotency-Key answers that hold a live credential (a handoff's link). */
  stored: KeyObject;
};

export type KeyRing = { current: SecretKeys; all: readonly SecretKeys[] };

const encoder = new TextEncoder();

async function hkdf(base: CryptoKey, info: string, bytes = 32): Promise<Uint8Array> {
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('visitor-access/v1'), info: encoder.encode(info) },
    base,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

function aesKey(raw: Uint8Array): KeyObject {
  return createSecretKey(raw);
}

async function deriveSecretKeys(secret: string): Promise<SecretKeys> {
  const base = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits']);
  return {
    id: encodeHexLowerCase(await hkdf(base, 'key-id', 6)),
    tokenMac: await hkdf(base, 'token-mac'),
    codeMac: await hkdf(base, 'code-mac'),
    outbox: aesKey(await hkdf(base, 'outbox-encryption')),
    cookie: aesKey(await hkdf(base, 'cookie-encryption')),
    credential: aesKey(await hkdf(base, 'credential-encryption')),
    stored: aesKey(await hkdf(base, 'stored-answer-encryption')),
  };
}

export async function deriveKeyRing(secrets: readonly string[]): Promise<KeyRing> {
  if (secrets.length === 0) throw new Error('at least one TOKEN_SECRET is required');
  const all = await Promise.all(secrets.map(deriveSecretKeys));
  return { current: all[0]!, all };
}
