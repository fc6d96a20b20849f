// The shopper's addresses: the API (/v2/visitor/emails…) and the storefront pages
// (/_edge/visitor/emails…), including the address link's page and the "this wasn't me" page.
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { AppError } from '../errors.ts';
import { seeOther } from '../http/cookies.ts';
import { assertOriginAllowed } from '../http/csrf.ts';
import { pageHeaders } from '../http/html.ts';
import { languageHeaders, negotiateLocale, type Locale } from '../i18n/locales.ts';
import { IsoTime, operation, PUBLIC, Text, VISITOR } from '../openapi/schemas.ts';
import { routeContext, type RouteContext } from '../route-context.ts';
import { requireFullSession } from '../sessions/current.ts';
import type { VisitorSession } from '../sessions/sessions.ts';
import type { Tenant } from '../tenants/tenants.ts';
import {
  ADDRESS_LINK_PATH,
  addAddress,
  classifyAddressLink,
  classifyRevertLink,
  confirmAddressLink,
  listAddresses,
  makePrimary,
  proofMerges,
  proofStateError,
  removeAddress,
  REVERT_LINK_PATH,
  revertPrimaryChange,
  verifyAddressCode,
  type AddressDeps,
} from './addresses.ts';
import { normaliseEmail } from './email.ts';
import { ADDRESSES_PAGE_PATH, addressConfirmedPage, addressesPage, confirmAddressPage, revertedPage, revertPage } from './pages.ts';

const Address = t.Object({
  email: t.String(),
  verified: t.Boolean({ description: 'The link or code sent to it was used: its grants count for this shopper.' }),
  primary: t.Boolean({ description: 'The address the account is known by (exactly one).' }),
  addedAt: IsoTime(),
  verifiedAt: t.Nullable(IsoTime()),
});
const Addresses = t.Object({ items: t.Array(Address) });
const EmailBody = t.Object({ email: t.String({ maxLength: 512, examples: ['work@example.com'] }) });
const EmailParam = t.Object({ email: Text({ description: 'One of the shopper’s addresses (URL-encoded).' }) });
const CodeBody = t.Object({
  email: t.String({ maxLength: 512 }),
  code: t.String({ maxLength: 16, description: 'The 6-digit code from the mail sent to the address.' }),
});
const Added = t.Object({
  email: t.String(),
  status: t.Union([t.Literal('sent'), t.Literal('own')], {
    description:
      '`sent`: a link and code are on their way (whoever holds the address); `own`: already one of your verified addresses, nothing sent.',
  }),
});
const Verified = t.Object({
  email: t.String(),
  merged: t.Boolean({ description: 'The address belonged to another account of this storefront, which is now part of this one.' }),
});
const LinkToken = t.Object({ token: Text({ description: 'The token from the mail.' }) });

const SESSION_ERRORS = ['not_signed_in', 'wrong_tenant', 'step_up_required', 'csrf_rejected'] as const;

function emailOrThrow(value: unknown): string {
  const email = normaliseEmail(value);
  if (!email) throw new AppError('invalid_email', { detail: 'email must be a valid email address.' });
  return email;
}

export function addressRoutes(deps: AppDeps) {
  const { config } = deps;
  const addressDeps: AddressDeps = { db: deps.db, keys: deps.keys, clock: deps.clock, outbox: deps.outbox };
  const signInUrl = (tenant: Tenant) => `${tenant.origins[0] ?? ''}/_edge/visitor/sign-in`;

  /** A full session (the address it signed in with was proven); a cookie-borne write must come from the storefront. */
  async function fullSession(ctx: RouteContext, request: Request, write: boolean): Promise<{ session: VisitorSession; tenant: Tenant }> {
    const found = await ctx.requireUsedSession();
    if (write && found.session.via === 'cookie') assertOriginAllowed(request, found.tenant, config);
    return requireFullSession(found, signInUrl(found.tenant));
  }

  function localeOf(ctx: RouteContext, tenant: Tenant): Locale {
    return negotiateLocale(ctx.request.headers.get('accept-language'), tenant.locale);
  }

  /** Adds the address within the limits: past the per-address one the answer is the same, no mail. */
  async function add(ctx: RouteContext, session: VisitorSession, tenant: Tenant, email: string): Promise<'sent' | 'own'> {
    const limits = await ctx.enforceLimits('visitor-email', tenant.id, { visitor: session.visitor_id, ip: ctx.clientIp, email });
    if (limits.silentExceeded) return 'sent';
    return addAddress(addressDeps, {
      tenant,
      visitorId: session.visitor_id,
      email,
      linkOrigin: ctx.linkOrigin(tenant),
      locale: localeOf(ctx, tenant),
      requestId: ctx.requestId,
    });
  }

  /** A storefront page of this feature: its language and strict CSP headers. */
  function pageLocale(ctx: RouteContext, set: { headers: Record<string, unknown> }, tenant: Tenant): Locale {
    const locale = localeOf(ctx, tenant);
    languageHeaders(set.headers as Record<string, string>, locale);
    Object.assign(set.headers, pageHeaders(tenant));
    return locale;
  }

  /** The tenant of an edge host's link page (another host: not a link here). */
  /**
   * A mailed link's page (GET or its button's POST): the token kept out of the request log, the
   * host's storefront, a form's origin checked, then the per-IP limit of link pages.
   */
  async function linkPageTenant(ctx: RouteContext, path: string, form?: Request): Promise<Tenant> {
    ctx.logPathAs(`${path}[redacted]`);
    const tenant = await ctx.hostTenant();
    if (!tenant) throw new AppError('invalid_email_link');
    if (form) assertOriginAllowed(form, tenant, config);
    await ctx.enforceLimits('link', tenant.id, { ip: ctx.clientIp });
    return tenant;
  }

  return (
    new Elysia({ name: 'visitor-addresses' })
      .use(routeContext(deps))
      .get(
        '/v2/visitor/emails',
        async ({ ctx, request }) => {
          const { session } = await fullSession(ctx, request, false);
          return { items: await listAddresses(deps.db, session.visitor_id) };
        },
        {
          response: { 200: Addresses },
          detail: operation({
            summary: 'The signed-in shopper’s addresses (primary first)',
            tags: ['visitor'],
            security: VISITOR,
            errors: ['not_signed_in', 'wrong_tenant', 'step_up_required'],
          }),
        },
      )
      .post(
        '/v2/visitor/emails',
        async ({ ctx, request, body, set }) => {
          const { session, tenant } = await fullSession(ctx, request, true);
          const email = emailOrThrow(body.email);
          const status = await add(ctx, session, tenant, email);
          set.status = status === 'sent' ? 202 : 200;
          return { email, status };
        },
        {
          body: EmailBody,
          response: { 200: Added, 202: Added },
          detail: operation({
            summary: 'Add an address: a link and a code are mailed to it; it counts once verified',
            description:
              'The answer is the same whether or not the address belongs to someone else. Verified by the link (its page has a confirm button) or by POST /v2/visitor/emails/verify with the code.',
            tags: ['visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'rate_limited'],
            rateLimited: true,
          }),
        },
      )
      .post(
        '/v2/visitor/emails/verify',
        async ({ ctx, request, body }) => {
          const { session, tenant } = await fullSession(ctx, request, true);
          const email = emailOrThrow(body.email);
          const verified = await verifyAddressCode(addressDeps, {
            tenant,
            visitorId: session.visitor_id,
            email,
            code: body.code,
            requestId: ctx.requestId,
          });
          return { email: verified.email, merged: verified.merged !== null };
        },
        {
          body: CodeBody,
          response: { 200: Verified },
          detail: operation({
            summary: 'Verify an added address with the code from its mail',
            description:
              'An address already verified for another account of this storefront is proven by both sides now: that account becomes part of this one (its sessions, passkeys and purchases follow).',
            tags: ['visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'email_not_found', 'invalid_code', 'code_attempts_exceeded', 'expired_email_link'],
          }),
        },
      )
      .delete(
        '/v2/visitor/emails/:email',
        async ({ ctx, request, params, set }) => {
          const { session, tenant } = await fullSession(ctx, request, true);
          await removeAddress(
            addressDeps,
            { id: session.visitor_id, tenantId: tenant.id, email: session.email },
            emailOrThrow(params.email),
            ctx.requestId,
          );
          set.status = 204;
          return '';
        },
        {
          params: EmailParam,
          detail: operation({
            summary: 'Remove one of the shopper’s further addresses (not the primary)',
            tags: ['visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'email_not_found', 'email_is_primary'],
            bare: { 204: 'Removed: its grants no longer count for this shopper.' },
          }),
        },
      )
      .post(
        '/v2/visitor/emails/:email/primary',
        async ({ ctx, request, params }) => {
          const { session, tenant } = await fullSession(ctx, request, true);
          await makePrimary(addressDeps, {
            tenant,
            visitorId: session.visitor_id,
            email: emailOrThrow(params.email),
            linkOrigin: ctx.linkOrigin(tenant),
            locale: localeOf(ctx, tenant),
            requestId: ctx.requestId,
          });
          return { items: await listAddresses(deps.db, session.visitor_id) };
        },
        {
          params: EmailParam,
          response: { 200: Addresses },
          detail: operation({
            summary: 'Make a verified address primary; the old one is sent a "this wasn’t me" link (7 days)',
            tags: ['visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'email_not_found', 'email_not_verified'],
          }),
        },
      )
      // The storefront pages: a signed-in shopper's "Your email addresses".
      .get(
        ADDRESSES_PAGE_PATH,
        async ({ ctx, request, set }) => {
          const { session, tenant } = await fullSession(ctx, request, false);
          const locale = pageLocale(ctx, set, tenant);
          return addressesPage({ tenant, requestId: ctx.requestId, locale, items: await listAddresses(deps.db, session.visitor_id) });
        },
        {
          detail: operation({
            summary: 'The shopper’s addresses page: add, confirm by code, make primary, remove',
            tags: ['pages', 'visitor'],
            security: VISITOR,
            errors: ['not_signed_in', 'wrong_tenant', 'step_up_required'],
            html: { 200: 'The page.' },
          }),
        },
      )
      .post(
        `${ADDRESSES_PAGE_PATH}/add`,
        async ({ ctx, request, body, set }) => {
          const found = await ctx.requireUsedSession();
          assertOriginAllowed(request, found.tenant, config);
          const { session, tenant } = requireFullSession(found, signInUrl(found.tenant));
          const email = emailOrThrow(body.email);
          await add(ctx, session, tenant, email);
          const locale = pageLocale(ctx, set, tenant);
          const items = await listAddresses(deps.db, session.visitor_id);
          return addressesPage({ tenant, requestId: ctx.requestId, locale, items, sentTo: email });
        },
        {
          body: EmailBody,
          detail: operation({
            summary: 'The addresses page’s "add" form (as POST /v2/visitor/emails)',
            tags: ['pages', 'visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'rate_limited'],
            html: { 200: 'The page again, saying where the mail went.' },
            rateLimited: true,
            forms: true,
          }),
        },
      )
      .post(
        `${ADDRESSES_PAGE_PATH}/verify`,
        async ({ ctx, request, body, set }) => {
          const found = await ctx.requireUsedSession();
          assertOriginAllowed(request, found.tenant, config);
          const { session, tenant } = requireFullSession(found, signInUrl(found.tenant));
          await verifyAddressCode(addressDeps, {
            tenant,
            visitorId: session.visitor_id,
            email: emailOrThrow(body.email),
            code: body.code,
            requestId: ctx.requestId,
          });
          return seeOther(set, ADDRESSES_PAGE_PATH);
        },
        {
          body: CodeBody,
          detail: operation({
            summary: 'The addresses page’s code form (as POST /v2/visitor/emails/verify)',
            tags: ['pages', 'visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'email_not_found', 'invalid_code', 'code_attempts_exceeded', 'expired_email_link'],
            bare: { 303: 'Verified: back to the addresses page.' },
            forms: true,
          }),
        },
      )
      .post(
        `${ADDRESSES_PAGE_PATH}/primary`,
        async ({ ctx, request, body, set }) => {
          const found = await ctx.requireUsedSession();
          assertOriginAllowed(request, found.tenant, config);
          const { session, tenant } = requireFullSession(found, signInUrl(found.tenant));
          await makePrimary(addressDeps, {
            tenant,
            visitorId: session.visitor_id,
            email: emailOrThrow(body.email),
            linkOrigin: ctx.linkOrigin(tenant),
            locale: localeOf(ctx, tenant),
            requestId: ctx.requestId,
          });
          return seeOther(set, ADDRESSES_PAGE_PATH);
        },
        {
          body: EmailBody,
          detail: operation({
            summary: 'The addresses page’s "make main address" button (as POST /v2/visitor/emails/{email}/primary)',
            tags: ['pages', 'visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'email_not_found', 'email_not_verified'],
            bare: { 303: 'Changed: back to the addresses page.' },
            forms: true,
          }),
        },
      )
      .post(
        `${ADDRESSES_PAGE_PATH}/remove`,
        async ({ ctx, request, body, set }) => {
          const found = await ctx.requireUsedSession();
          assertOriginAllowed(request, found.tenant, config);
          const { session, tenant } = requireFullSession(found, signInUrl(found.tenant));
          await removeAddress(
            addressDeps,
            { id: session.visitor_id, tenantId: tenant.id, email: session.email },
            emailOrThrow(body.email),
            ctx.requestId,
          );
          return seeOther(set, ADDRESSES_PAGE_PATH);
        },
        {
          body: EmailBody,
          detail: operation({
            summary: 'The addresses page’s "remove" button (as DELETE /v2/visitor/emails/{email})',
            tags: ['pages', 'visitor'],
            security: VISITOR,
            errors: [...SESSION_ERRORS, 'invalid_email', 'email_not_found', 'email_is_primary'],
            bare: { 303: 'Removed: back to the addresses page.' },
            forms: true,
          }),
        },
      )
      // The address link's page: GET shows a confirm button (mail scanners open links), POST confirms.
      .get(
        `${ADDRESS_LINK_PATH}:token`,
        async ({ ctx, params, set }) => {
          const tenant = await linkPageTenant(ctx, ADDRESS_LINK_PATH);
          const state = await classifyAddressLink(addressDeps, tenant, params.token);
          if (state.kind !== 'valid') throw proofStateError(state);
          const locale = pageLocale(ctx, set, tenant);
          return confirmAddressPage({
            tenant,
            requestId: ctx.requestId,
            locale,
            email: state.proof.email,
            action: `${ADDRESS_LINK_PATH}${params.token}`,
            merges: await proofMerges(addressDeps, state.proof),
          });
        },
        {
          params: LinkToken,
          detail: operation({
            summary: 'The address link’s page: a confirm button (never verifies by itself)',
            tags: ['pages', 'visitor'],
            security: PUBLIC,
            errors: ['invalid_email_link', 'expired_email_link', 'rate_limited'],
            html: { 200: 'The page.' },
            rateLimited: true,
          }),
        },
      )
      .post(
        `${ADDRESS_LINK_PATH}:token`,
        async ({ ctx, request, params, set }) => {
          const tenant = await linkPageTenant(ctx, ADDRESS_LINK_PATH, request);
          await confirmAddressLink(addressDeps, tenant, params.token, ctx.requestId);
          return addressConfirmedPage({ tenant, requestId: ctx.requestId, locale: pageLocale(ctx, set, tenant) });
        },
        {
          params: LinkToken,
          detail: operation({
            summary: 'Confirm the address (the link page’s button)',
            description: 'An address another account of this storefront holds merges that account into the one that added it.',
            tags: ['pages', 'visitor'],
            security: PUBLIC,
            errors: ['invalid_email_link', 'expired_email_link', 'csrf_rejected', 'rate_limited'],
            html: { 200: 'Confirmed.' },
            rateLimited: true,
            forms: true,
          }),
        },
      )
      // "This wasn't me": GET shows what changed and a button, POST reverts and signs out everywhere.
      .get(
        `${REVERT_LINK_PATH}:token`,
        async ({ ctx, params, set }) => {
          const tenant = await linkPageTenant(ctx, REVERT_LINK_PATH);
          const state = await classifyRevertLink(addressDeps, tenant, params.token);
          if (state.kind !== 'valid') throw proofStateError(state);
          return revertPage({
            tenant,
            requestId: ctx.requestId,
            locale: pageLocale(ctx, set, tenant),
            oldEmail: state.change.old_email,
            newEmail: state.change.new_email,
            action: `${REVERT_LINK_PATH}${params.token}`,
          });
        },
        {
          params: LinkToken,
          detail: operation({
            summary: 'The "this wasn’t me" page of a primary address change (never reverts by itself)',
            tags: ['pages', 'visitor'],
            security: PUBLIC,
            errors: ['invalid_email_link', 'expired_email_link', 'rate_limited'],
            html: { 200: 'The page.' },
            rateLimited: true,
          }),
        },
      )
      .post(
        `${REVERT_LINK_PATH}:token`,
        async ({ ctx, request, params, set }) => {
          const tenant = await linkPageTenant(ctx, REVERT_LINK_PATH, request);
          await revertPrimaryChange(addressDeps, tenant, params.token, ctx.requestId);
          return revertedPage({ tenant, requestId: ctx.requestId, locale: pageLocale(ctx, set, tenant) });
        },
        {
          params: LinkToken,
          detail: operation({
            summary: 'Revert the primary address change and end every session of the shopper',
            tags: ['pages', 'visitor'],
            security: PUBLIC,
            errors: ['invalid_email_link', 'expired_email_link', 'csrf_rejected', 'rate_limited'],
            html: { 200: 'Reverted; every session of the shopper has ended.' },
            rateLimited: true,
            forms: true,
          }),
        },
      )
  );
}
