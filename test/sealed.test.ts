// Sealed values (outbox payloads, cookies, stored answers, credentials at rest) are AES-256-GCM in
// WebCrypto's layout: `<secret id>.<base64url IV>.<base64url ciphertext ‖ tag>`. sealed.ts uses
// node:crypto (it seals on every sign-in request); what WebCrypto sealed before must still open,
// and what is sealed now must open with WebCrypto, so rows and cookies survive either way.
import { describe, expect, test } from 'bun:test';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { seal, unseal } from '../src/tokens/sealed.ts';

const SECRET = 'sealed-test-secret-of-at-least-32-characters';
const encoder = new TextEncoder();

/** The AES key sealed.ts derives for `outbox`, as a WebCrypto key (HKDF as in keys.ts). */
async function webCryptoOutboxKey(): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', encoder.encode(SECRET), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('visitor-access/v1'), info: encoder.encode('outbox-encryption') },
    base,
    256,
  );
  return crypto.subtle.importKey('raw', bits, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

const value = { token: 'vml_x.y', code: '012345', linkOrigin: 'https://shop.example', locale: 'de' };
const aad = '<message-id@visitor-access>';

describe('sealed values', async () => {
  const keys = await deriveKeyRing([SECRET]);
  const key = await webCryptoOutboxKey();

  test('a value WebCrypto sealed opens', async () => {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const body = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(aad) }, key, encoder.encode(JSON.stringify(value))),
    );
    const sealed = `${keys.current.id}.${Buffer.from(iv).toString('base64url')}.${Buffer.from(body).toString('base64url')}`;
    expect(await unseal(keys, 'outbox', sealed, aad)).toEqual(value);
  });

  test('a sealed value opens with WebCrypto', async () => {
    const sealed = await seal(keys, 'outbox', value, aad);
    const [id, iv, body] = sealed.split('.') as [string, string, string];
    expect(id).toBe(keys.current.id);
    expect(sealed).toMatch(/^[0-9a-f]{12}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: Buffer.from(iv, 'base64url'), additionalData: encoder.encode(aad) },
      key,
      Buffer.from(body, 'base64url'),
    );
    expect(JSON.parse(new TextDecoder().decode(plain))).toEqual(value);
  });

  test('another purpose, another associated text, a changed byte or a foreign secret: nothing opens', async () => {
    const sealed = await seal(keys, 'outbox', value, aad);
    expect(await unseal(keys, 'outbox', sealed, aad)).toEqual(value);
    expect(await unseal(keys, 'cookie', sealed, aad)).toBeNull();
    expect(await unseal(keys, 'outbox', sealed, 'other')).toBeNull();
    const [id, iv, body] = sealed.split('.') as [string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0]! ^= 1;
    expect(await unseal(keys, 'outbox', `${id}.${iv}.${flipped.toString('base64url')}`, aad)).toBeNull();
    expect(await unseal(keys, 'outbox', `${id}.${iv}.${body.slice(0, 10)}`, aad)).toBeNull();
    expect(await unseal(keys, 'outbox', `${id}.${iv}`, aad)).toBeNull();
    expect(await unseal(keys, 'outbox', `${sealed}.x`, aad)).toBeNull();
    const other = await deriveKeyRing(['another-secret-of-at-least-32-characters!!']);
    expect(await unseal(other, 'outbox', sealed, aad)).toBeNull();
    const rotated = await deriveKeyRing(['another-secret-of-at-least-32-characters!!', SECRET]);
    expect(await unseal(rotated, 'outbox', sealed, aad)).toEqual(value);
  });
});
