// `jwt-key add --key-file <path|->`: reads the key material (from a file or stdin, never argv) and
// checks it fits the algorithm, before the database is opened. Synchronous on purpose (node:crypto
// KeyObjects), so a bad key fails like any other argument error.
import { closeSync, openSync, readSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JwtAlg, PublicJwk } from '../credentials/jwt-keys.ts';
import { invalidArgument } from './command.ts';

const MAX_BYTES = 64 * 1024;
const MIN_SECRET_BYTES = 32;
const MAX_SECRET_BYTES = 4096;

export type KeyMaterial = { publicJwk: PublicJwk; secret: null } | { publicJwk: null; secret: string };

/** The bytes of the file, or of stdin for "-"; at most 64 KiB. */
export function readKeyFile(path: string): Uint8Array {
  const source = path === '-' ? 'stdin' : `--key-file "${path}"`;
  let fd: number;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message);
    throw invalidArgument(`${source} cannot be read: ${reason}`);
  }
  const buffer = new Uint8Array(MAX_BYTES + 1);
  let length = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_BYTES) throw invalidArgument(`${source} is larger than 64 KiB: that is not a key`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN')
      throw invalidArgument('stdin is not readable: pipe the key in (--key-file - < key.pem)');
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw invalidArgument(`${source} is a directory`);
    throw error;
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  if (length === 0) throw invalidArgument(`${source} is empty: give the key material there`);
  return buffer.slice(0, length);
}

/** Validated key material for `alg`, or an `invalid_argument` naming --key-file. */
export function parseKeyMaterial(alg: JwtAlg, bytes: Uint8Array): KeyMaterial {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidArgument(
      alg === 'HS256'
        ? '--key-file: the HS256 secret must be text: encode random bytes first (openssl rand -base64 48) and sign with that text'
        : '--key-file must hold a PEM public key or a JWK (text), not binary DER',
    );
  }
  return alg === 'HS256' ? { publicJwk: null, secret: parseSecret(text) } : { publicJwk: parsePublicKey(alg, text), secret: null };
}

/**
 * The HS256 secret is the file's text (one trailing line break dropped, as `echo` writes one),
 * at least 32 bytes. Anything shaped like a key is refused: a public key used as an HMAC secret is
 * exactly the key-confusion mistake, because anyone holding the public key could then sign.
 */
function parseSecret(text: string): string {
  const secret = text.replace(/\r?\n$/, '');
  if (/-----BEGIN |^\s*\{/.test(secret)) {
    throw invalidArgument(
      '--key-file: HS256 takes a raw shared secret, not a PEM or JWK key (for a key pair use --alg ES256 or EdDSA with the public key)',
    );
  }
  if (/[\u0000-\u001f\u007f]/.test(secret) || secret.trim() !== secret) {
    throw invalidArgument('--key-file: the HS256 secret must be one line of text without control characters or surrounding spaces');
  }
  const bytes = new TextEncoder().encode(secret).length;
  if (bytes < MIN_SECRET_BYTES)
    throw invalidArgument(
      `--key-file: the HS256 secret is ${bytes} bytes; it must be at least ${MIN_SECRET_BYTES} (openssl rand -base64 48)`,
    );
  if (bytes > MAX_SECRET_BYTES) throw invalidArgument(`--key-file: the HS256 secret is longer than ${MAX_SECRET_BYTES} bytes`);
  return secret;
}

/** A PEM SPKI (`-----BEGIN PUBLIC KEY-----`) or a public JWK; private keys are refused, not trimmed. */
function parsePublicKey(alg: Exclude<JwtAlg, 'HS256'>, raw: string): PublicJwk {
  const text = raw.trim();
  const expected = alg === 'ES256' ? 'an ECDSA P-256 public key' : 'an Ed25519 public key';
  // Refused rather than reduced to its public half: a private key in a file handed to this CLI
  // has already travelled further than it should, and the operator needs to hear that.
  if (/PRIVATE KEY-----/.test(text)) {
    throw invalidArgument(
      `--key-file holds a private key: give only ${expected} (openssl pkey -in key.pem -pubout), and keep the private key on the storefront`,
    );
  }
  let key: KeyObject;
  if (text.startsWith('{')) {
    key = publicKeyFromJwk(alg, text, expected);
  } else if (/^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/.test(text)) {
    try {
      key = createPublicKey({ key: text, format: 'pem' });
    } catch {
      throw invalidArgument(`--key-file: the PEM public key cannot be read; it must be ${expected}`);
    }
  } else {
    throw invalidArgument(`--key-file must hold ${expected} as PEM (-----BEGIN PUBLIC KEY-----) or as a JWK`);
  }
  const curveFits =
    alg === 'ES256'
      ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      : key.asymmetricKeyType === 'ed25519';
  if (!curveFits) throw invalidArgument(`--key-file holds ${describeKey(key)}, but --alg ${alg} needs ${expected}`);
  const jwk = key.export({ format: 'jwk' });
  // Only the members that define the key: nothing from the input file is stored verbatim.
  return alg === 'ES256' ? { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! } : { kty: 'OKP', crv: 'Ed25519', x: jwk.x! };
}

function publicKeyFromJwk(alg: JwtAlg, text: string, expected: string): KeyObject {
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(text) as JsonWebKey;
  } catch {
    throw invalidArgument('--key-file: the JWK is not valid JSON');
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalidArgument('--key-file: a JWK must be a JSON object');
  if ('keys' in jwk) throw invalidArgument('--key-file holds a JWK set: give one key (one jwt-key add per key)');
  if ('d' in jwk) {
    throw invalidArgument(
      `--key-file holds a private JWK (it has "d"): give only ${expected} (drop "d"), and keep the private key on the storefront`,
    );
  }
  if (typeof jwk.alg === 'string' && jwk.alg !== alg)
    throw invalidArgument(`--key-file: the JWK says "alg":"${jwk.alg}", but --alg is ${alg}`);
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw invalidArgument(`--key-file: the JWK is not a valid public key; it must be ${expected}`);
  }
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `a key of type ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''}`;
}
