// AES-GCM sealing of small secrets at rest (outbox payloads, stored answers holding a link) and in cookies, with the secret's id
// inside the sealed text so a rotated-out secret can still open what it sealed.
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';
import type { KeyRing, SecretKeys } from './keys.ts';

type Purpose = 'outbox' | 'cookie' | 'credential' | 'stored';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function seal(keys: KeyRing, purpose: Purpose, value: unknown, aad = ''): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(aad) },
    keys.current[purpose],
    encoder.encode(JSON.stringify(value)),
  );
  return `${keys.current.id}.${encodeBase64urlNoPadding(iv)}.${encodeBase64urlNoPadding(new Uint8Array(ciphertext))}`;
}

/** The value, or null when the text is malformed, tampered with, or sealed by an unknown secret. */
export async function unseal<T>(keys: KeyRing, purpose: Purpose, sealed: string, aad = ''): Promise<T | null> {
  const [id, ivText, ciphertextText, extra] = sealed.split('.');
  if (!id || !ivText || !ciphertextText || extra !== undefined) return null;
  const secret: SecretKeys | undefined = keys.all.find((k) => k.id === id);
  if (!secret) return null;
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: decodeBase64urlIgnorePadding(ivText) as BufferSource, additionalData: encoder.encode(aad) },
      secret[purpose],
      decodeBase64urlIgnorePadding(ciphertextText) as BufferSource,
    );
    return JSON.parse(decoder.decode(plaintext)) as T;
  } catch {
    return null;
  }
}
