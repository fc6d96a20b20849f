// Passkeys (WebAuthn, through @simplewebauthn/server) on a storefront's own host: rpId is the host
// the shopper is on, so a passkey is first-party like the session cookie and never signs in on
// another storefront's host. Challenges are stored as hashes, bound to tenant, host and purpose,
// spent before the answer is checked (single use even when the check fails) and live 5 minutes.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { addSeconds, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/db.ts';
import { AppError } from '../errors.ts';
import { originAllowed } from '../http/csrf.ts';
import { requestContext } from '../http/request-context.ts';
import type { Tenant } from '../tenants/tenants.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { mintNewSession } from '../sessions/sessions.ts';
import { hashToken } from '../tokens/tokens.ts';
import {
  type ChallengePurpose,
  findLivePasskey,
  findPasskey,
  hasLivePasskey,
  insertChallenge,
  insertPasskey,
  listPasskeys,
  movePasskeys,
  type PasskeyRow,
  type PasskeySessionRow,
  removePasskey,
  signInWithPasskey,
  spendChallenge,
} from './queries.ts';

export type { PasskeyRow } from './queries.ts';
export { hasLivePasskey, listPasskeys, movePasskeys, removePasskey };
export { deleteExpiredChallengesBefore } from './queries.ts';

/** Whose a passkey is (tenant and address), for support's actions; undefined when no passkey has this id. */
export function passkeyOwner(db: Db, passkeyId: string): Promise<(PasskeyRow & { email: string }) | undefined> {
  return findPasskey(db, passkeyId);
}

/** How long a challenge may be answered (and the browser's timeout for the ceremony). */
export const CHALLENGE_SECONDS = 300;
/** ES256, EdDSA, RS256: what every platform authenticator offers; the same list on both sides. */
const ALGORITHMS = [-7, -8, -257];

export type PasskeyDeps = { db: Db; keys: KeyRing; clock: Clock };

/**
 * @simplewebauthn/server, loaded by the first ceremony rather than at start-up: with its ASN.1 and
 * X.509 dependencies it is ~300 modules, ~7 MiB of a service that may never see a passkey
 * (docs/performance.md, "RSS").
 */
let library: Promise<typeof import('@simplewebauthn/server') & typeof import('@simplewebauthn/server/helpers')> | undefined;
function webauthn() {
  library ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]).then(([server, helpers]) => ({
    ...server,
    ...helpers,
  }));
  return library;
}

/** Where the ceremony runs: the storefront's host and the exact origin the browser shows. */
export type RelyingParty = { tenant: Tenant; rpId: string; origin: string };

/**
 * The relying party of a request, or 400: passkeys belong to a storefront host (never the
 * service's own). The ceremony's origin is the page's: the request's `Origin` when the CSRF rule
 * accepts it (behind nginx the forwarded host carries no port, the browser's origin does), else
 * the request's own origin when it is one of the storefront's; its host must be the request's.
 */
export function relyingPartyOf(tenant: Tenant | null, request: Request, config: Config): RelyingParty {
  const context = requestContext(request, config);
  const header = request.headers.get('origin');
  const origin = header && header !== 'null' ? header : context.origin;
  const allowed =
    header && header !== 'null' ? tenant !== null && originAllowed(request, tenant, config) : tenant?.origins.includes(origin);
  if (!tenant || !allowed || !tenant.hosts.includes(context.hostname) || hostnameOf(origin) !== context.hostname) {
    throw new AppError('invalid_request', { detail: 'Passkeys work only on the storefront’s own host, through one of its origins.' });
  }
  return { tenant, rpId: context.hostname, origin };
}

function hostnameOf(origin: string): string | null {
  try {
    return new URL(origin).hostname;
  } catch {
    return null;
  }
}

async function newChallenge(
  deps: PasskeyDeps,
  rp: RelyingParty,
  purpose: ChallengePurpose,
  who: { visitorId: string; sessionId: string } | null,
): Promise<Uint8Array<ArrayBuffer>> {
  // Bytes: the library sends bytes as their base64url, which is what the answer's clientDataJSON carries.
  const { isoBase64URL } = await webauthn();
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const challenge = isoBase64URL.fromBuffer(bytes);
  const now = deps.clock.now();
  await insertChallenge(deps.db, {
    tenantId: rp.tenant.id,
    rpId: rp.rpId,
    purpose,
    challengeHash: hashToken(challenge),
    visitorId: who?.visitorId ?? null,
    sessionId: who?.sessionId ?? null,
    now,
    expiresAt: addSeconds(now, CHALLENGE_SECONDS),
  });
  return bytes;
}

/** The challenge a WebAuthn answer signed (base64url, from its clientDataJSON), or 400. */
async function answeredChallenge(clientDataJSON: string): Promise<string> {
  const { isoBase64URL } = await webauthn();
  try {
    const data = JSON.parse(isoBase64URL.toUTF8String(clientDataJSON)) as { challenge?: unknown };
    if (typeof data.challenge === 'string' && data.challenge.length > 0 && data.challenge.length <= 128) return data.challenge;
  } catch {
    // fall through: unreadable is the same as wrong
  }
  throw challengeInvalid();
}

function challengeInvalid(): AppError {
  return new AppError('passkey_challenge_invalid', {
    detail:
      'This passkey answer is for no open challenge of this storefront and host (wrong, already used, or older than 5 minutes). Ask for new options.',
  });
}

function rejected(detail = 'The passkey’s answer was not accepted. Try again, or sign in with your email.'): AppError {
  return new AppError('passkey_rejected', { detail });
}

/** Spends the challenge the answer signed, or 400 passkey_challenge_invalid. */
async function spend(
  deps: PasskeyDeps,
  rp: RelyingParty,
  purpose: ChallengePurpose,
  clientDataJSON: string,
  visitorId: string | null,
): Promise<string> {
  const challenge = await answeredChallenge(clientDataJSON);
  const spent = await spendChallenge(deps.db, {
    challengeHash: hashToken(challenge),
    tenantId: rp.tenant.id,
    rpId: rp.rpId,
    purpose,
    visitorId,
    now: deps.clock.now(),
  });
  if (!spent) throw challengeInvalid();
  return challenge;
}

/** A uuid as the 16 bytes WebAuthn's user handle carries (no address or name in it). */
function userHandleOf(visitorId: string): Uint8Array<ArrayBuffer> {
  const hex = visitorId.replaceAll('-', '');
  return Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

export type Visitor = { visitorId: string; email: string; sessionId: string };

export async function registrationOptions(deps: PasskeyDeps, rp: RelyingParty, visitor: Visitor) {
  const existing = (await listPasskeys(deps.db, visitor.visitorId, { live: true })).filter((p) => p.rp_id === rp.rpId);
  const challenge = await newChallenge(deps, rp, 'registration', visitor);
  const { generateRegistrationOptions } = await webauthn();
  return generateRegistrationOptions({
    rpName: rp.tenant.name,
    rpID: rp.rpId,
    userName: visitor.email,
    userDisplayName: visitor.email,
    userID: userHandleOf(visitor.visitorId),
    challenge,
    timeout: CHALLENGE_SECONDS * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
    // Discoverable, so the sign-in page's autofill (conditional UI) can offer it without an address.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

export async function registerPasskey(
  deps: PasskeyDeps,
  rp: RelyingParty,
  visitor: Visitor,
  response: RegistrationResponseJSON,
  requestId: string,
): Promise<PasskeyRow> {
  const challenge = await spend(deps, rp, 'registration', response.response.clientDataJSON, visitor.visitorId);
  const { verifyRegistrationResponse, isoBase64URL } = await webauthn();
  const verified = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.rpId,
    requireUserVerification: false,
    supportedAlgorithmIDs: ALGORITHMS,
  }).catch(() => ({ verified: false as const }));
  if (!verified.verified) throw rejected('The new passkey’s answer was not accepted. Try again.');
  const info = verified.registrationInfo;
  const row = await insertPasskey(deps.db, {
    tenantId: rp.tenant.id,
    visitorId: visitor.visitorId,
    rpId: rp.rpId,
    credentialId: info.credential.id,
    publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
    signCount: info.credential.counter,
    transports: (response.response.transports ?? []).slice(0, 8).map((t) => String(t).slice(0, 32)),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    userVerified: info.userVerified,
    aaguid: info.aaguid,
    requestId,
    sessionId: visitor.sessionId,
    now: deps.clock.now(),
  });
  if (!row) throw rejected('This passkey is already registered here.');
  return row;
}

export async function authenticationOptions(deps: PasskeyDeps, rp: RelyingParty) {
  const challenge = await newChallenge(deps, rp, 'authentication', null);
  const { generateAuthenticationOptions } = await webauthn();
  // No allowCredentials: the browser offers the discoverable passkeys it holds for this host.
  return generateAuthenticationOptions({ rpID: rp.rpId, challenge, timeout: CHALLENGE_SECONDS * 1000, userVerification: 'preferred' });
}

export type PasskeySession = PasskeySessionRow & { token: string };

/**
 * A passkey sign-in: the challenge is spent first; then only a live passkey of this tenant
 * registered on this very host, with a valid signature and a counter that moved on (or stays 0),
 * creates a session — the same kind a link creates.
 */
export async function signInByPasskey(
  deps: PasskeyDeps,
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  context: { requestId: string; ip: string; userAgent: string | null; sessionTtlSeconds: number },
): Promise<PasskeySession> {
  const challenge = await spend(deps, rp, 'authentication', response.response.clientDataJSON, null);
  const passkey = await findLivePasskey(deps.db, rp.tenant.id, rp.rpId, response.id);
  if (!passkey) throw rejected('This passkey is not registered here (or was removed). Sign in with your email.');
  const { verifyAuthenticationResponse, isoBase64URL } = await webauthn();
  const handle = response.response.userHandle;
  if (handle && handle !== isoBase64URL.fromBuffer(userHandleOf(passkey.visitor_id))) throw rejected();
  const verified = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.rpId,
    credential: {
      id: passkey.credential_id,
      publicKey: isoBase64URL.toBuffer(passkey.public_key),
      counter: passkey.sign_count,
      transports: passkey.transports,
    },
    requireUserVerification: false,
  }).catch(() => null);
  if (!verified?.verified) throw rejected();
  const now = deps.clock.now();
  const { token, row } = mintNewSession(deps.keys, now, context);
  const session = await signInWithPasskey(deps.db, {
    passkey,
    newSignCount: verified.authenticationInfo.newCounter,
    backedUp: verified.authenticationInfo.credentialBackedUp,
    ...row,
  });
  if (!session) throw rejected();
  return { ...session, token };
}
