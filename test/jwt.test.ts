// Storefront JWTs: verifyStorefrontJwt against a real migrated database, keys registered through
// jwt-keys.ts, tokens signed with jose as a storefront would, and a clock the tests move.
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { encodeBase64urlNoPadding } from '@oslojs/encoding';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey as JoseKey, type JWTPayload } from 'jose';
import type { CredentialDeps } from '../src/credentials/caller.ts';
import { verifyStorefrontJwt } from '../src/credentials/jwt.ts';
import { insertJwtKey, newKid, removeJwtKey, type JwtAlg, type PublicJwk } from '../src/credentials/jwt-keys.ts';
import { insertTenant, type Tenant } from '../src/tenants/tenants.ts';
import { deriveKeyRing } from '../src/tokens/keys.ts';
import { seal } from '../src/tokens/sealed.ts';
import { TestClock } from './support/clock.ts';
import { freshDatabase, type TestDatabase } from './support/database.ts';

// A fresh PGlite database takes seconds to create, and more on a busy machine: don't depend on
// the runner's --timeout flag.
setDefaultTimeout(30_000);

const SECRET = 'jwt-test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const HS_SECRET = 'storefront-shared-secret-0123456789-abcdefghij';

type Signer = { kid: string; alg: JwtAlg; key: JoseKey | Uint8Array; publicPem?: string; publicJwk?: PublicJwk };

let database: TestDatabase;
let deps: CredentialDeps;
let clock: TestClock;
let shop: Tenant;
let other: Tenant;
let hs: Signer;
let es: Signer;
let ed: Signer;

async function tenant(handle: string): Promise<Tenant> {
  return insertTenant(database.db, {
    handle,
    name: handle,
    origins: [`https://${handle}.example`],
    hosts: [`${handle}.example`],
    gatedPrefixes: ['/content/'],
    mailFrom: null,
    magicLinkTtlSeconds: null,
    sessionTtlSeconds: null,
  });
}

async function registerHs256(owner: Tenant, secret = HS_SECRET): Promise<Signer> {
  const kid = newKid();
  const secretSealed = await seal(deps.keys, 'credential', secret, kid);
  await insertJwtKey(database.db, { kid, tenantId: owner.id, alg: 'HS256', publicJwk: null, secretSealed });
  return { kid, alg: 'HS256', key: new TextEncoder().encode(secret) };
}

async function registerKeyPair(owner: Tenant, alg: 'ES256' | 'EdDSA'): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = (await exportJWK(publicKey)) as PublicJwk;
  const kid = newKid();
  await insertJwtKey(database.db, { kid, tenantId: owner.id, alg, publicJwk, secretSealed: null });
  return { kid, alg, key: privateKey, publicPem: await exportSPKI(publicKey), publicJwk };
}

const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

/** A storefront's token: aud visitor-access, exp in 5 min, unless the test says otherwise. */
function sign(signer: Signer, claims: JWTPayload = {}, header: { alg?: string; kid?: string } = {}): Promise<string> {
  const payload: JWTPayload = {
    aud: 'visitor-access',
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
    scope: 'access:read access:write',
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', ...header }).sign(signer.key);
}

/** A hand-made token: for headers jose refuses to produce. */
function forge(header: object, payload: object, signature = ''): string {
  const part = (value: object) => encodeBase64urlNoPadding(new TextEncoder().encode(JSON.stringify(value)));
  return `${part(header)}.${part(payload)}.${signature}`;
}

const verify = (token: string) => verifyStorefrontJwt(deps, token);

beforeAll(async () => {
  database = await freshDatabase();
  clock = new TestClock(Date.parse('2026-11-20T12:00:00Z'));
  deps = { db: database.db, keys: await deriveKeyRing([SECRET]), clock };
  shop = await tenant('jwt-shop');
  other = await tenant('jwt-other');
  hs = await registerHs256(shop);
  es = await registerKeyPair(shop, 'ES256');
  ed = await registerKeyPair(shop, 'EdDSA');
});

afterAll(() => database.drop());

describe('a valid storefront JWT', () => {
  it.each([
    ['HS256', () => hs],
    ['ES256', () => es],
    ['EdDSA', () => ed],
  ])('is accepted when signed with a registered %s key, as that key and its tenant', async (_, signer) => {
    const caller = await verify(await sign(signer()));
    expect(caller).toEqual({ kind: 'jwt', id: signer().kid, tenantId: shop.id, scopes: new Set(['access:read', 'access:write']) });
  });

  it("belongs to the key's tenant whatever the claims say", async () => {
    const otherKey = await registerKeyPair(other, 'ES256');
    const caller = await verify(await sign(otherKey, { handle: shop.handle, tenant: shop.id, sub: shop.handle }));
    expect(caller?.tenantId).toBe(other.id);
    expect(caller?.id).toBe(otherKey.kid);
  });

  it('accepts an aud array that contains visitor-access', async () => {
    expect(await verify(await sign(es, { aud: ['some-other-api', 'visitor-access'] }))).not.toBeNull();
  });
});

describe('the algorithm is the key’s, never the token’s', () => {
  it('rejects alg none, with and without a signature', async () => {
    const payload = { aud: 'visitor-access', exp: nowSeconds() + 300, scope: 'access:write' };
    expect(await verify(forge({ alg: 'none', kid: hs.kid }, payload))).toBeNull();
    expect(await verify(forge({ alg: 'none', kid: es.kid }, payload))).toBeNull();
    expect(await verify(forge({ alg: 'None', kid: hs.kid }, payload, 'c2ln'))).toBeNull();
  });

  it("rejects a token whose alg is not its key's", async () => {
    // EdDSA-signed, naming the ES256 key.
    expect(await verify(await sign({ ...ed, kid: es.kid }))).toBeNull();
    // ES256-signed, naming the HS256 key.
    expect(await verify(await sign({ ...es, kid: hs.kid }))).toBeNull();
    // A genuine HS256 signature under an ES256 kid.
    expect(await verify(await sign({ ...hs, kid: es.kid }))).toBeNull();
  });

  it('rejects HS256 signed with the public key as the HMAC secret (key confusion)', async () => {
    const asSecrets = [es.publicPem!, `${es.publicPem!}\n`, JSON.stringify(es.publicJwk), ed.publicPem!, JSON.stringify(ed.publicJwk)];
    for (const [signer, publicText] of [
      [es, asSecrets[0]],
      [es, asSecrets[1]],
      [es, asSecrets[2]],
      [ed, asSecrets[3]],
      [ed, asSecrets[4]],
    ] as const) {
      const confused: Signer = { kid: signer.kid, alg: 'HS256', key: new TextEncoder().encode(publicText) };
      expect(await verify(await sign(confused))).toBeNull();
      // Nor when the header claims the key's own alg over an HMAC signature.
      const hmacToken = await sign(confused);
      const [, payload, signature] = hmacToken.split('.');
      const relabelled = `${forge({ alg: signer.alg, kid: signer.kid }, {}).split('.')[0]}.${payload}.${signature}`;
      expect(await verify(relabelled)).toBeNull();
    }
  });

  it('rejects a signature made with another key of the same algorithm', async () => {
    const stranger = await generateKeyPair('ES256');
    expect(await verify(await sign({ ...es, key: stranger.privateKey }))).toBeNull();
    expect(await verify(await sign({ ...hs, key: new TextEncoder().encode(`${HS_SECRET}-not`) }))).toBeNull();
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const token = await sign(es, { scope: 'access:read' });
    const [header, , signature] = token.split('.');
    const widened = forge({}, { aud: 'visitor-access', exp: nowSeconds() + 300, scope: 'access:read access:write' }).split('.')[1];
    expect(await verify(`${header}.${widened}.${signature}`)).toBeNull();
  });
});

describe('time claims, with 60 s of clock skew', () => {
  it('rejects an expired token, but not one expired less than 60 s ago', async () => {
    expect(await verify(await sign(hs, { iat: nowSeconds() - 400, exp: nowSeconds() - 61 }))).toBeNull();
    expect(await verify(await sign(hs, { iat: nowSeconds() - 400, exp: nowSeconds() - 30 }))).not.toBeNull();
  });

  it('rejects exp more than 10 minutes (plus the skew) ahead', async () => {
    expect(await verify(await sign(es, { exp: nowSeconds() + 600 }))).not.toBeNull();
    expect(await verify(await sign(es, { exp: nowSeconds() + 660 }))).not.toBeNull();
    expect(await verify(await sign(es, { exp: nowSeconds() + 662 }))).toBeNull();
    expect(await verify(await sign(es, { exp: nowSeconds() + 24 * 3600 }))).toBeNull();
  });

  it('rejects a token without exp, or with a non-numeric exp', async () => {
    expect(await verify(await sign(ed, { exp: undefined }))).toBeNull();
    expect(await verify(await sign(ed, { exp: String(nowSeconds() + 300) as unknown as number }))).toBeNull();
  });

  it('honours nbf: in the future it is rejected, within the skew it is accepted', async () => {
    expect(await verify(await sign(es, { nbf: nowSeconds() + 120 }))).toBeNull();
    expect(await verify(await sign(es, { nbf: nowSeconds() + 45 }))).not.toBeNull();
    expect(await verify(await sign(es, { nbf: nowSeconds() - 10 }))).not.toBeNull();
  });

  it('reads now from the injected clock, so a token ages with it', async () => {
    const token = await sign(ed, { exp: nowSeconds() + 300 });
    expect(await verify(token)).not.toBeNull();
    clock.advance(300 + 50);
    expect(await verify(token)).not.toBeNull(); // 50 s past exp: within the skew
    clock.advance(20);
    expect(await verify(token)).toBeNull();
  });
});

describe('audience, kid and key lifecycle', () => {
  it('rejects a wrong or missing aud', async () => {
    expect(await verify(await sign(hs, { aud: 'other-service' }))).toBeNull();
    expect(await verify(await sign(hs, { aud: ['other-service'] }))).toBeNull();
    expect(await verify(await sign(hs, { aud: undefined }))).toBeNull();
  });

  it('rejects an unknown, malformed or missing kid', async () => {
    expect(await verify(await sign({ ...es, kid: newKid() }))).toBeNull();
    expect(await verify(await sign({ ...es, kid: "k_' or 1=1 --" }))).toBeNull();
    expect(await verify(await sign(es, {}, { kid: undefined }))).toBeNull();
  });

  it('rejects garbage that only looks like a JWT', async () => {
    for (const token of [
      'a.b.c',
      'eyJhbGciOiJIUzI1NiJ9.e30.',
      `${forge({ alg: 'HS256', kid: hs.kid }, {})}AAAA`,
      forge({ alg: 'HS256', kid: hs.kid }, { exp: 'x' }, '!!'),
    ]) {
      expect(await verify(token)).toBeNull();
    }
  });

  it('stops accepting a removed key at once', async () => {
    const key = await registerKeyPair(shop, 'EdDSA');
    const token = await sign(key);
    expect(await verify(token)).not.toBeNull();
    expect(await removeJwtKey(database.db, key.kid)).toBe(true);
    expect(await verify(token)).toBeNull();
    expect(await removeJwtKey(database.db, key.kid)).toBe(false);
  });

  it('rejects HS256 tokens once the TOKEN_SECRET that sealed the key is no longer configured', async () => {
    const token = await sign(hs);
    const rotated = { ...deps, keys: await deriveKeyRing(['a-new-token-secret-0123456789abcdefghijklmnop', SECRET]) };
    expect(await verifyStorefrontJwt(rotated, token)).not.toBeNull(); // still listed: still opens
    const dropped = { ...deps, keys: await deriveKeyRing(['a-new-token-secret-0123456789abcdefghijklmnop']) };
    expect(await verifyStorefrontJwt(dropped, token)).toBeNull();
  });
});

describe('the scope claim', () => {
  it('keeps known tenant scopes and drops unknown and operator scopes', async () => {
    const caller = await verify(
      await sign(es, { scope: 'access:read  bogus operator:read visitor:write operator:escalate support:read ACCESS:WRITE' }),
    );
    expect(caller?.scopes).toEqual(new Set(['access:read', 'visitor:write', 'support:read']));
  });

  it('gives no scopes when the claim is absent or empty', async () => {
    expect((await verify(await sign(es, { scope: undefined })))?.scopes).toEqual(new Set());
    expect((await verify(await sign(es, { scope: '' })))?.scopes).toEqual(new Set());
  });

  it('rejects a scope claim that is not a string', async () => {
    expect(await verify(await sign(es, { scope: ['access:read'] }))).toBeNull();
  });
});
