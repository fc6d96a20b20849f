// Opaque bearer tokens: `<prefix>_<base64url(32 random bytes)>.<base64url(16-byte HMAC tag)>`.
// The tag lets forged or tampered tokens be rejected before any query; the database keeps only
// SHA-256(token), and lookups go by that hash, so timing reveals nothing about stored tokens.
import { hmac } from '@oslojs/crypto/hmac';
import { SHA256, sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { KeyRing } from './keys.ts';

export type TokenPrefix = 'vml' | 'vs';

const RANDOM_BYTES = 32; // 256 bits
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const SHAPE = /^(vml|vs)_([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

function tag(key: Uint8Array, prefix: string, random: string): Uint8Array {
  return hmac(SHA256, key, encoder.encode(`${prefix}_${random}`)).slice(0, TAG_BYTES);
}

export function mintToken(keys: KeyRing, prefix: TokenPrefix): string {
  const random = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)));
  return `${prefix}_${random}.${encodeBase64urlNoPadding(tag(keys.current.tokenMac, prefix, random))}`;
}

/** True when the token has our shape and a tag from any configured secret (constant-time compare). */
export function verifyToken(keys: KeyRing, prefix: TokenPrefix, token: string): boolean {
  const match = SHAPE.exec(token);
  if (!match || match[1] !== prefix) return false;
  let given: Uint8Array;
  try {
    given = decodeBase64urlIgnorePadding(match[3]!);
  } catch {
    return false;
  }
  if (given.length !== TAG_BYTES) return false;
  let ok = false;
  for (const secret of keys.all) {
    // No early exit: every secret is tried, so timing doesn't say which one matched.
    ok = constantTimeEqual(tag(secret.tokenMac, prefix, match[2]!), given) || ok;
  }
  return ok;
}

/** What the database stores and looks up by. */
export function hashToken(token: string): string {
  return encodeHexLowerCase(sha256(encoder.encode(token)));
}
