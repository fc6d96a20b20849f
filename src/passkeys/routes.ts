// The passkey routes: register one (signed in, on the storefront's host), sign in with one, list
// and remove the shopper's own. Every POST and the DELETE are exact-origin checked for cookie
// sessions; the ceremony's origin is the request's own, which must be one of the storefront's.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { Elysia, t } from 'elysia';
import { sessionTtlFor, type AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { type CookieJar, seeOther } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { pageHeaders } from '../http/html.ts';
import { pageLocale } from '../magic-link/link-pages.ts';
import { resolveReturnTo } from '../magic-link/return-to.ts';
import { setSessionCookie } from '../magic-link/sign-in-cookies.ts';
import { IsoTime, operation, PUBLIC, Text, VISITOR } from '../openapi/schemas.ts';
import { type RouteContext, routeContext } from '../route-context.ts';
import { endSupersededOrderSession, requireFullSession } from '../sessions/current.ts';
import {
  authenticationOptions,
  listPasskeys,
  type PasskeyRow,
  registerPasskey,
  registrationOptions,
  relyingPartyOf,
  removePasskey,
  signInByPasskey,
} from './passkeys.ts';
import { passkeyHostOf } from './offer.ts';
import { passkeyOfferPage } from './pages.ts';
import { PASSKEY_SCRIPT } from './passkey-script.ts';

const Base64Url = (description: string) => Text({ maxLength: 2048, description });

/** What `@simplewebauthn/browser`'s startRegistration / startAuthentication return (JSON-ready). */
const CredentialBase = {
  id: Base64Url('The credential id.'),
  rawId: Base64Url('The credential id (again, as the browser gives it).'),
  type: t.Literal('public-key'),
  clientExtensionResults: t.Optional(t.Record(t.String(), t.Unknown())),
  authenticatorAttachment: t.Optional(t.Union([t.Literal('platform'), t.Literal('cross-platform')])),
};

const RegistrationCredential = t.Object({
  ...CredentialBase,
  response: t.Object({
    clientDataJSON: Base64Url('base64url'),
    attestationObject: Base64Url('base64url'),
    authenticatorData: t.Optional(Base64Url('base64url')),
    transports: t.Optional(t.Array(Text({ maxLength: 32 }), { maxItems: 8 })),
    publicKeyAlgorithm: t.Optional(t.Number()),
    publicKey: t.Optional(Base64Url('base64url')),
  }),
});

const AuthenticationCredential = t.Object({
  ...CredentialBase,
  response: t.Object({
    clientDataJSON: Base64Url('base64url'),
    authenticatorData: Base64Url('base64url'),
    signature: Base64Url('base64url'),
    userHandle: t.Optional(Base64Url('base64url')),
  }),
});

const Passkey = t.Object({
  id: t.String(),
  rpId: t.String({ description: 'The storefront host it signs in on (and nowhere else).' }),
  createdAt: IsoTime(),
  lastUsedAt: t.Nullable(IsoTime()),
  backedUp: t.Boolean({ description: 'A multi-device passkey currently backed up (synced).' }),
  deviceType: t.Union([t.Literal('singleDevice'), t.Literal('multiDevice')]),
});

/** The options JSON for navigator.credentials (as `@simplewebauthn/browser` takes it). */
const Options = t.Object(
  { challenge: t.String(), rpId: t.Optional(t.String()), timeout: t.Optional(t.Number()) },
  { additionalProperties: true, description: 'PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON.' },
);

export function passkeyJson(row: PasskeyRow) {
  return {
    id: row.id,
    rpId: row.rp_id,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    backedUp: row.backed_up,
    deviceType: row.device_type,
  };
}

export function passkeyRoutes(deps: AppDeps) {
  const { config } = deps;
  const signInUrl = (tenant: { origins: readonly string[] }) => `${tenant.origins[0] ?? ''}/_edge/visitor/sign-in`;

  /** A full session on its storefront's host (an order-scoped one has not proven the address). */
  async function registering(ctx: RouteContext, request: Request) {
    const found = await ctx.requireSession();
    const { session, tenant } = requireFullSession(found, signInUrl(found.tenant));
    if (session.via === 'cookie') assertOriginAllowed(request, tenant, config);
    const rp = relyingPartyOf(await ctx.hostTenant(), request, config);
    return { rp, visitor: { visitorId: session.visitor_id, email: session.email, sessionId: session.id } };
  }

  /** The storefront of this host, for a sign-in (browser POSTs: exact origin). */
  async function signingIn(ctx: RouteContext, request: Request) {
    const tenant = await ctx.hostTenant();
    if (tenant) assertOriginAllowed(request, tenant, config);
    const rp = relyingPartyOf(tenant, request, config);
    ctx.facts.tenantId = rp.tenant.id;
    await ctx.enforceLimits('passkey', rp.tenant.id, { ip: ctx.clientIp, tenant: rp.tenant.id });
    return rp;
  }

  return new Elysia({ name: 'passkeys' })
    .use(routeContext(deps))
    .post(
      '/v2/visitor/passkeys/registration/options',
      async ({ ctx, request, set }) => {
        const { rp, visitor } = await registering(ctx, request);
        await ctx.enforceLimits('passkey-register', rp.tenant.id, { ip: ctx.clientIp });
        set.headers['cache-control'] = 'no-store';
        return registrationOptions(deps, rp, visitor);
      },
      {
        response: { 200: Options },
        detail: operation({
          summary: 'Options to register a passkey for this storefront host (signed in by link or code)',
          tags: ['passkeys'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'step_up_required', 'csrf_rejected', 'invalid_request', 'rate_limited'],
          rateLimited: true,
        }),
      },
    )
    .post(
      '/v2/visitor/passkeys/registration/verify',
      async ({ ctx, request, body, set }) => {
        const { rp, visitor } = await registering(ctx, request);
        await ctx.enforceLimits('passkey-register', rp.tenant.id, { ip: ctx.clientIp });
        const row = await registerPasskey(deps, rp, visitor, body.credential as RegistrationResponseJSON, ctx.requestId);
        deps.logger.info('passkey registered', { requestId: ctx.requestId, tenant: rp.tenant.handle, visitorId: visitor.visitorId });
        set.status = 201;
        return passkeyJson(row);
      },
      {
        body: t.Object({ credential: RegistrationCredential }),
        response: { 201: Passkey },
        detail: operation({
          summary: 'Register the passkey the browser created from those options',
          tags: ['passkeys'],
          security: VISITOR,
          errors: [
            'not_signed_in',
            'wrong_tenant',
            'step_up_required',
            'csrf_rejected',
            'invalid_request',
            'passkey_challenge_invalid',
            'passkey_rejected',
            'rate_limited',
          ],
          rateLimited: true,
        }),
      },
    )
    .post(
      '/v2/visitor/auth/passkey/options',
      async ({ ctx, request, set }) => {
        const rp = await signingIn(ctx, request);
        set.headers['cache-control'] = 'no-store';
        return authenticationOptions(deps, rp);
      },
      {
        response: { 200: Options },
        detail: operation({
          summary: 'Options to sign in with a passkey on this storefront host',
          tags: ['sign-in'],
          security: PUBLIC,
          errors: ['invalid_request', 'csrf_rejected', 'rate_limited'],
          rateLimited: true,
        }),
      },
    )
    .post(
      '/v2/visitor/auth/passkey/verify',
      async ({ ctx, request, body, cookie }) => {
        const jar = cookie as CookieJar;
        const rp = await signingIn(ctx, request);
        const returnTo = resolveReturnTo(body.returnTo, rp.tenant, ctx.linkOrigin(rp.tenant));
        const ttl = sessionTtlFor(deps, rp.tenant);
        const session = await signInByPasskey(deps, rp, body.credential as AuthenticationResponseJSON, {
          requestId: ctx.requestId,
          ip: ctx.clientIp,
          userAgent: ctx.userAgent,
          sessionTtlSeconds: ttl,
        });
        Object.assign(ctx.facts, { visitorId: session.visitor_id, sessionId: session.session_id });
        // Read before the new cookie replaces the one this browser presented.
        const held = await ctx.presentedSession();
        setSessionCookie(jar, session.token, ttl);
        await endSupersededOrderSession(deps, held, session.visitor_id, ctx.requestId);
        deps.logger.info('signed in by passkey', { requestId: ctx.requestId, tenant: rp.tenant.handle, visitorId: session.visitor_id });
        return {
          visitor: { id: session.visitor_id, email: session.email, handle: rp.tenant.handle },
          session: { id: session.session_id, expiresAt: session.expires_at.toISOString() },
          returnTo,
        };
      },
      {
        body: t.Object({
          credential: AuthenticationCredential,
          returnTo: t.Optional(
            Text({ maxLength: 2048, description: 'Where to go next (a path or a URL on the storefront); answered back.' }),
          ),
        }),
        response: {
          200: t.Object({
            visitor: t.Object({ id: t.String(), email: t.String(), handle: t.String() }),
            session: t.Object({ id: t.String(), expiresAt: IsoTime() }),
            returnTo: t.String({ description: 'Where to go now; the session cookie is set.' }),
          }),
        },
        detail: operation({
          summary: 'Sign in with a passkey: sets the same session cookie a link does',
          tags: ['sign-in'],
          security: PUBLIC,
          errors: [
            'invalid_request',
            'invalid_return_to',
            'csrf_rejected',
            'passkey_challenge_invalid',
            'passkey_rejected',
            'rate_limited',
          ],
          rateLimited: true,
        }),
      },
    )
    .get(
      '/_edge/visitor/passkeys/new',
      async ({ ctx, query, set }) => {
        const tenant = await ctx.hostTenant();
        if (!tenant) throw new AppError('not_found', { detail: 'This host is not a storefront.' });
        let returnTo: string;
        try {
          returnTo = resolveReturnTo(typeof query.returnTo === 'string' ? query.returnTo : undefined, tenant, ctx.linkOrigin(tenant));
        } catch {
          returnTo = resolveReturnTo(undefined, tenant, ctx.linkOrigin(tenant));
        }
        // Nothing to offer (not signed in with a full session, or not a passkey's host): just go on.
        const { session } = await ctx.session().catch(() => ({ session: null }));
        if (session?.scope !== 'full' || !passkeyHostOf(tenant, ctx.hostname)) return seeOther(set, returnTo);
        set.headers['cache-control'] = 'no-store';
        Object.assign(set.headers, pageHeaders(tenant, { script: true }));
        return passkeyOfferPage({ tenant, requestId: ctx.requestId, locale: pageLocale(ctx, set, tenant), returnTo });
      },
      {
        query: t.Object({ returnTo: t.Optional(Text({ maxLength: 2048, description: 'Where "Not now" (and a new passkey) go on to.' })) }),
        detail: operation({
          summary: '"Sign in faster next time": the offer to create a passkey after an email sign-in',
          tags: ['pages'],
          security: VISITOR,
          errors: ['not_found'],
          html: { 200: 'The offer page.' },
          bare: { 303: 'Nothing to offer (no full session here, or not the storefront’s own origin): on to returnTo.' },
        }),
      },
    )
    .get(
      '/_edge/visitor/assets/passkeys.js',
      ({ set }) => {
        set.headers['content-type'] = 'text/javascript; charset=utf-8';
        // The pages ask for it by a versioned URL (passkey-script.ts), so it may be kept for good.
        set.headers['cache-control'] = 'public, max-age=31536000, immutable';
        return PASSKEY_SCRIPT;
      },
      {
        detail: {
          ...operation({
            summary: 'The pages’ passkey script: @simplewebauthn/browser and its driver (versioned URL, immutable)',
            tags: ['pages'],
            security: PUBLIC,
            errors: [],
          }),
          responses: { 200: { description: 'The script.', content: { 'text/javascript': { schema: { type: 'string' } } } } },
        },
      },
    )
    .get(
      '/v2/visitor/passkeys',
      async ({ ctx }) => {
        const found = await ctx.requireUsedSession();
        const { session } = requireFullSession(found, signInUrl(found.tenant));
        const rows = await listPasskeys(deps.db, session.visitor_id, { live: true });
        return { items: rows.map(passkeyJson) };
      },
      {
        response: { 200: t.Object({ items: t.Array(Passkey) }) },
        detail: operation({
          summary: 'The signed-in shopper’s passkeys',
          tags: ['passkeys'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'step_up_required'],
        }),
      },
    )
    .delete(
      '/v2/visitor/passkeys/:id',
      async ({ ctx, request, params, set }) => {
        const found = await ctx.requireSession();
        const { session, tenant } = requireFullSession(found, signInUrl(found.tenant));
        if (session.via === 'cookie') assertOriginAllowed(request, tenant, config);
        const removed =
          /^[0-9a-f-]{36}$/i.test(params.id) &&
          (await removePasskey(deps.db, {
            visitorId: session.visitor_id,
            passkeyId: params.id,
            actor: 'visitor',
            requestId: ctx.requestId,
            sessionId: session.id,
            now: deps.clock.now(),
          }));
        if (!removed) throw new AppError('not_found', { detail: 'You have no passkey with that id.' });
        set.status = 204;
        return '';
      },
      {
        params: t.Object({ id: Text({ description: 'A passkey id from GET /v2/visitor/passkeys.' }) }),
        detail: operation({
          summary: 'Remove one of the shopper’s passkeys (it never signs in again)',
          tags: ['passkeys'],
          security: VISITOR,
          errors: ['not_signed_in', 'wrong_tenant', 'csrf_rejected', 'step_up_required', 'not_found'],
          bare: { 204: 'Removed.' },
        }),
      },
    );
}
