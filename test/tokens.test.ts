// The token primitives use node:crypto on the hot path (src/tokens/tokens.ts says why); these tests
// pin them to the @oslojs/crypto results the rest of the code base relies on, and to the token rules.
import { describe, expect, test } from 'bun:test';
import { hmac } from '@oslojs/crypto/hmac';
import { SHA256, sha256 } from '@oslojs/crypto/sha2';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { compareCode, hashCode, mintCode } from '../src/tokens/codes.ts';
import { hashToken, mintToken, verifyToken } from '../src/tokens/tokens.ts';

const encoder = new TextEncoder();

describe('session and link tokens', async () => {
  const keys = await deriveKeyRing(['first-secret-of-at-least-32-characters!!']);

  test('the stored hash is SHA-256 hex, as @oslojs computes it', () => {
    for (let i = 0; i < 50; i++) {
      const token = mintToken(keys, i % 2 ? 'vs' : 'vml');
      expect(hashToken(token)).toBe(encodeHexLowerCase(sha256(encoder.encode(token))));
    }
    expect(hashToken('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('the tag is HMAC-SHA-256 truncated to 16 bytes, as @oslojs computes it', () => {
    const token = mintToken(keys, 'vs');
    const [body, tag] = token.split('.') as [string, string];
    const expected = hmac(SHA256, keys.current.tokenMac, encoder.encode(body)).slice(0, 16);
    expect(tag).toBe(encodeBase64urlNoPadding(expected));
    expect(decodeBase64urlIgnorePadding(tag)).toEqual(expected);
    expect(body).toMatch(/^vs_[A-Za-z0-9_-]{43}$/); // 32 random bytes
  });

  test('a minted token verifies only under its own prefix', () => {
    const token = mintToken(keys, 'vs');
    expect(verifyToken(keys, 'vs', token)).toBe(true);
    expect(verifyToken(keys, 'vml', token)).toBe(false);
    expect(verifyToken(keys, 'vml', `vml${token.slice(2)}`)).toBe(false); // the prefix is signed too
  });

  test('tampered, truncated, re-spelled or foreign tokens are refused', async () => {
    const token = mintToken(keys, 'vs');
    const [body, tag] = token.split('.') as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    expect(verifyToken(keys, 'vs', `${flip(body, 10)}.${tag}`)).toBe(false);
    expect(verifyToken(keys, 'vs', `${body}.${flip(tag, 3)}`)).toBe(false);
    expect(verifyToken(keys, 'vs', `${body}.${tag.slice(0, -1)}`)).toBe(false);
    expect(verifyToken(keys, 'vs', `${body}.${tag}=`)).toBe(false);
    expect(verifyToken(keys, 'vs', body)).toBe(false);
    expect(verifyToken(keys, 'vs', '')).toBe(false);
    // The 22nd character carries 2 data bits and 4 spare ones: another spelling of the same 16 bytes is not our token.
    const last = tag.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[(alphabet.indexOf(last) & 0b110000) | 0b0001]!; // same 2 data bits
    expect(Buffer.from(tag.slice(0, -1) + sibling, 'base64url')).toEqual(Buffer.from(tag, 'base64url')); // lenient decoders agree
    expect(verifyToken(keys, 'vs', `${body}.${tag.slice(0, -1)}${sibling}`)).toBe(false);
    const other = await deriveKeyRing(['another-secret-of-at-least-32-characters']);
    expect(verifyToken(other, 'vs', token)).toBe(false);
  });

  test('after rotation, tokens signed with the previous secret still verify; new ones use the first', async () => {
    const old = mintToken(keys, 'vs');
    const rotated = await deriveKeyRing(['the-new-secret-of-at-least-32-characters', 'first-secret-of-at-least-32-characters!!']);
    expect(verifyToken(rotated, 'vs', old)).toBe(true);
    const fresh = mintToken(rotated, 'vs');
    expect(verifyToken(rotated, 'vs', fresh)).toBe(true);
    expect(verifyToken(keys, 'vs', fresh)).toBe(false);
  });
});

describe('sign-in codes', async () => {
  const keys = await deriveKeyRing(['first-secret-of-at-least-32-characters!!']);
  const tenantId = '00000000-0000-4000-8000-000000000001';

  test('the stored hash is HMAC-SHA-256(tenant|email|code) hex, as @oslojs computes it', () => {
    for (const email of ['a@example.com', 'jörg@example.de']) {
      const code = mintCode();
      const { hash, secretId } = hashCode(keys, tenantId, email, code);
      expect(hash).toBe(encodeHexLowerCase(hmac(SHA256, keys.current.codeMac, encoder.encode(`${tenantId}|${email}|${code}`))));
      expect(secretId).toBe(keys.current.id);
      expect(compareCode(keys, { secretId, hash }, tenantId, email, code)).toBe(true);
      expect(compareCode(keys, { secretId, hash }, tenantId, email, code === '000000' ? '000001' : '000000')).toBe(false);
      expect(compareCode(keys, { secretId, hash: hash.slice(2) }, tenantId, email, code)).toBe(false);
      expect(compareCode(keys, null, tenantId, email, code)).toBe(false);
    }
  });
});
