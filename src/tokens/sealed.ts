// AES-GCM sealing of small secrets at rest (outbox payloads, stored answers holding a link) and in cookies, with the secret's id
// inside the sealed text so a rotated-out secret can still open what it sealed.
//
// Format: `<secret id>.<base64url(12-byte IV)>.<base64url(ciphertext ‖ 16-byte tag)>`, what WebCrypto's
// AES-GCM writes; node:crypto does the same work synchronously. Every sign-in request seals twice
// (its mail's payload, its pending cookie): crypto.subtle cost 17–24 µs of CPU per seal (a job for
// its thread pool and a promise), node:crypto 5–7 (one pinned core). test/sealed.test.ts pins the
// format to WebCrypto's both ways, so what either sealed opens with the other.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { KeyRing, SecretKeys } from './keys.ts';

type Purpose = 'outbox' | 'cookie' | 'credential' | 'stored';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export async function seal(keys: KeyRing, purpose: Purpose, value: unknown, aad = ''): Promise<string> {
  const iv = crypto.getRandomValues(Buffer.allocUnsafe(IV_BYTES)); // getRandomValues: node:crypto's randomBytes is slower in Bun
  const cipher = createCipheriv('aes-256-gcm', keys.current[purpose], iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${keys.current.id}.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The value, or null when the text is malformed, tampered with, or sealed by an unknown secret. */
export async function unseal<T>(keys: KeyRing, purpose: Purpose, sealed: string, aad = ''): Promise<T | null> {
  const [id, ivText, ciphertextText, extra] = sealed.split('.');
  if (!id || !ivText || !ciphertextText || extra !== undefined) return null;
  const secret: SecretKeys | undefined = keys.all.find((k) => k.id === id);
  if (!secret) return null;
  try {
    // Lenient base64url, as before (padding or stray characters ignored): the tag decides.
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(ciphertextText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', secret[purpose], iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    return JSON.parse(plaintext.toString('utf8')) as T;
  } catch {
    return null;
  }
}
