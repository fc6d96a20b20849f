// 6-digit sign-in codes. Stored as HMAC(code subkey, tenant|email|code): a plain SHA-256 of a
// 6-digit number would be reversed in milliseconds.
//
// The HMAC is node:crypto's (native), as for tokens (tokens.ts): every sign-in request hashes a code.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyRing } from './keys.ts';

export function mintCode(): string {
  // Rejection sampling: uniform over 000000–999999.
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0]! < 4_294_000_000) return String(buffer[0]! % 1_000_000).padStart(6, '0');
  }
}

function codeMac(key: Uint8Array, tenantId: string, email: string, code: string): Buffer {
  return createHmac('sha256', key).update(`${tenantId}|${email}|${code}`, 'utf8').digest();
}

export function hashCode(keys: KeyRing, tenantId: string, email: string, code: string): { hash: string; secretId: string } {
  return { hash: codeMac(keys.current.codeMac, tenantId, email, code).toString('hex'), secretId: keys.current.id };
}

function codeMatches(keys: KeyRing, secretId: string, storedHash: string, tenantId: string, email: string, code: string): boolean {
  const secret = keys.all.find((k) => k.id === secretId);
  if (!secret || !/^\d{6}$/.test(code)) return false;
  const mac = codeMac(secret.codeMac, tenantId, email, code);
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === mac.length && timingSafeEqual(mac, stored);
}

const NO_CODE_HASH = '00'.repeat(32);

/**
 * Compares a code against the stored hash of an address's code, or — when the address has none —
 * does the same HMAC and compare against nothing: an unknown address costs what a known one does.
 */
export function compareCode(
  keys: KeyRing,
  stored: { secretId: string; hash: string } | null,
  tenantId: string,
  email: string,
  code: string,
): boolean {
  const matches = codeMatches(keys, stored?.secretId ?? keys.current.id, stored?.hash ?? NO_CODE_HASH, tenantId, email, code);
  return stored !== null && matches;
}
