// `jwt-key add|list|remove`: keys a storefront signs its server JWTs with. `add` prints the kid the
// storefront puts in the JWT header. HS256 secrets are sealed with the first TOKEN_SECRET (so the
// CLI must run with the service's TOKEN_SECRET); public keys are stored as JWKs. Nothing prints a secret.
import type { Config } from '../config.ts';
import { insertJwtKey, isJwtAlg, JWT_ALGS, listJwtKeys, looksLikeKid, newKid, removeJwtKey, type JwtKey } from '../credentials/jwt-keys.ts';
import { deriveKeyRing } from '../tokens/keys.ts';
import { seal } from '../tokens/sealed.ts';
import { parseHandleFlag, requireFlag, requireTenant, table, when } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command, dispatchVerb } from './command.ts';
import { parseKeyMaterial, readKeyFile } from './jwt-key-material.ts';

const ADD_FLAGS = {
  handle: { type: 'string' },
  alg: { type: 'string' },
  'key-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const JSON_ONLY = { json: { type: 'boolean' } } as const;

export function jwtKeyCommand(args: string[]): Command {
  return dispatchVerb('jwt-key', args, {
    add: addCommand,
    list: listCommand,
    remove: removeCommand,
  });
}

function addCommand(args: string[]): Command {
  const { values } = parseVerbArgs('jwt-key add', args, ADD_FLAGS, []);
  const handle = parseHandleFlag('jwt-key add', values.handle);
  const alg = requireFlag('jwt-key add', 'alg', values.alg);
  if (!isJwtAlg(alg)) throw invalidArgument(`--alg "${alg}" is not supported: use ${JWT_ALGS.join(', ')}`);
  const keyFile = requireFlag('jwt-key add', 'key-file', values['key-file']);
  // Read and checked now, before the database opens: a wrong key fails like a typo.
  const material = parseKeyMaterial(alg, readKeyFile(keyFile));
  return {
    needsCurrentSchema: true,
    async run(db, config) {
      const tenant = await requireTenant(db, handle);
      const kid = newKid();
      const ring = material.secret === null ? null : await keyRing(config);
      const secretSealed = ring ? await seal(ring, 'credential', material.secret, kid) : null;
      await insertJwtKey(db, { kid, tenantId: tenant.id, alg, publicJwk: material.publicJwk, secretSealed });
      const sealedNote = ring
        ? `\nThe secret is sealed with TOKEN_SECRET ${ring.current.id}: keep that secret configured (docs/credentials.md).`
        : '';
      return {
        json: { kid },
        text: `added ${alg} key ${kid} for tenant ${handle}\nSign with the JWT header {"alg":"${alg}","kid":"${kid}"} and "aud":"visitor-access".${sealedNote}`,
      };
    },
  };
}

/** The service's KeyRing: HS256 secrets must be sealed with the secret the service opens them with. */
async function keyRing(config: Config) {
  // Loaded only here: runtime.ts pulls in the whole app, which no other CLI verb needs.
  const { devTokenSecret } = await import('../runtime.ts');
  return deriveKeyRing(config.tokenSecrets ?? [devTokenSecret(config.dataDir)]);
}

function listCommand(args: string[]): Command {
  parseVerbArgs('jwt-key list', args, JSON_ONLY, []);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const keys = await listJwtKeys(db);
      return { json: { keys: keys.map(describeKey) }, text: keyTable(keys) };
    },
  };
}

function removeCommand(args: string[]): Command {
  const { positionals } = parseVerbArgs('jwt-key remove', args, JSON_ONLY, ['kid']);
  const kid = positionals[0]!;
  if (!looksLikeKid(kid))
    throw invalidArgument(`<kid> "${kid}" is not a key id (k_ and 16 characters, as jwt-key add and jwt-key list print)`);
  return {
    needsCurrentSchema: true,
    async run(db) {
      if (!(await removeJwtKey(db, kid))) throw new CliError('jwt_key_not_found', `no JWT key has the kid ${kid}`);
      return { json: { kid, removed: true }, text: `removed key ${kid}: tokens signed with it stop working at once` };
    },
  };
}

/** Never the secret: for HS256 only the id of the TOKEN_SECRET that sealed it (rotation needs it). */
function describeKey(key: JwtKey) {
  return {
    kid: key.kid,
    handle: key.handle,
    alg: key.alg,
    createdAt: key.createdAt,
    publicJwk: key.publicJwk,
    sealedWith: key.secretSealed?.split('.')[0] ?? null,
  };
}

function keyTable(keys: JwtKey[]): string {
  if (keys.length === 0) return 'no JWT keys (add one: bun run cli jwt-key add --handle <h> --alg ES256 --key-file public.pem)';
  return table(
    ['KID', 'TENANT', 'ALG', 'CREATED', 'KEY'],
    keys.map((k) => [
      k.kid,
      k.handle,
      k.alg,
      when(k.createdAt),
      k.publicJwk ? `${k.publicJwk.crv} public key` : `secret sealed by ${k.secretSealed!.split('.')[0]}`,
    ]),
  );
}
