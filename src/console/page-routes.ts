// The console's pages and actions. Every page needs a live console session; every tenant in a URL,
// and every id in a form, must be one the operator may see (access.ts). Actions have a confirmation
// page that changes nothing (reached by a sealed link or a console form: confirm-links.ts) and a POST
// carrying the session's CSRF token; after the POST the operator lands back with the action's request
// id (`?ref=`), checked against the audit trail.
import { Elysia, t } from 'elysia';
import { listGrants } from '../access/grants.ts';
import { operatorActor, recordAudit } from '../audit/audit.ts';
import { listVisitorSecurityEvents } from '../audit/security-events.ts';
import { listVisitorLinks } from '../magic-link/magic-link.ts';
import { listVisitorPendingSignIns } from '../magic-link/pending.ts';
import { listVisitorHandoffs } from '../handoffs/handoffs.ts';
import { listVisitorSessions } from '../sessions/sessions.ts';
import { listPasskeys, passkeyOwner } from '../passkeys/passkeys.ts';
import type { AppDeps } from '../app-deps.ts';
import { AppError, type ErrorCode } from '../errors.ts';
import { Text } from '../openapi/schemas.ts';
import { exportVisitor } from '../privacy/personal-data.ts';
import { routeContext } from '../route-context.ts';
import { REQUEST_ID_SHAPE } from '../support/reports.ts';
import { lookUpRequest } from '../support/request-lookup.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { listAddresses } from '../visitors/addresses.ts';
import { findVisitor } from '../visitors/visitors.ts';
import { findDelivery, tenantEndpoint } from '../webhooks/endpoints.ts';
import { canEditGrants, canSeeTenant, visibleTenant, wrongAudience, NOT_YOURS, type Viewer } from './access.ts';
import { authorizeAction, parseAction, performAction, type Action } from './actions.ts';
import { arrivedFromElsewhere, confirmSealValid, pageOfConfirmation } from './confirm-links.ts';
import type { ConfirmFacts } from './confirm-page.ts';
import { firstUsesOfLinks, liveShopperSessions, replayedLinkId, shopperSession } from './device-queries.ts';
import { backHref } from './hrefs.ts';
import { CONSOLE_HANDLE } from './console-tenant.ts';
import { consoleHandler, SeeOther, type ConsoleRequest } from './handler.ts';
import { operatorEmails } from './operators.ts';
import { ActionBody, ConfirmBody, ConfirmQuery, consoleOperation, ExportBody, HandleParams, RefQuery } from './route-schemas.ts';
import { actionFlash, postedTenantForm } from './flash.ts';
import { consolePages } from './pages.ts';
import { countOpenReports, outboxHealth, outboxProblems, shopperReports, tenantReports, type ConsoleTenant } from './tenant-queries.ts';

function describeDone(kind: string, detail: Record<string, unknown>): { tone: 'ok' | 'warn'; message: string } | null {
  switch (kind) {
    case 'sign_in_requested':
      return { tone: 'ok', message: 'Sign-in link re-sent. It shows under “Sign-in links”: queued, then sent.' };
    case 'sign_in_mail_suppressed': {
      const policy = (detail.policies as { quota?: number; resetAt?: string }[] | undefined)?.[0];
      const reset = policy?.resetAt ? ` It resets at ${policy.resetAt.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC')}.` : '';
      return {
        tone: 'warn',
        message: `Nothing was sent: this address reached its sign-in mail limit${policy?.quota ? ` (${policy.quota} mails)` : ''}.${reset} Ask the shopper to use the newest mail.`,
      };
    }
    case 'session_revoked':
      return detail.revoked === false
        ? { tone: 'warn', message: 'This session was already revoked.' }
        : { tone: 'ok', message: 'Session revoked.' };
    case 'sessions_revoked_all':
      return { tone: 'ok', message: `Revoked ${String(detail.count ?? 0)} session${detail.count === 1 ? '' : 's'}.` };
    case 'grant_set':
      return { tone: 'ok', message: `Grant on ${String(detail.resource)} ${detail.created ? 'added' : 'saved'}.` };
    case 'grant_removed':
      return detail.removed
        ? { tone: 'ok', message: `Grant on ${String(detail.resource)} removed.` }
        : { tone: 'warn', message: `There was no grant on ${String(detail.resource)}; nothing changed.` };
    case 'order_revoked': {
      const n = (key: string, one: string) => `${String(detail[key] ?? 0)} ${one}${detail[key] === 1 ? '' : 's'}`;
      return {
        tone: 'ok',
        message: `Order ${String(detail.orderId)} revoked: ${n('revokedGrants', 'grant')} ended, ${n('endedSessions', 'order session')} ended, ${n('revokedHandoffs', 'unused checkout link')} stopped.`,
      };
    }
    case 'passkey_removed':
      return detail.removed === false
        ? { tone: 'warn', message: 'This passkey was already removed.' }
        : { tone: 'ok', message: 'Passkey removed: it no longer signs in.' };
    case 'report_handled':
      return detail.alreadyHandled
        ? { tone: 'warn', message: 'This report was already handled.' }
        : { tone: 'ok', message: 'Report marked handled.' };
    default:
      return null;
  }
}

/** A page's redirect when there is no console session. */
const SIGN_IN_FIRST = { 303: 'Not signed in: to /console/sign-in.' };
/** What naming an action may answer (actions.ts: parseAction, authorizeAction). */
const ACTION_ERRORS: ErrorCode[] = ['not_signed_in', 'invalid_request', 'invalid_email', 'invalid_resource', 'wrong_audience', 'not_found'];

export function consolePageRoutes(deps: AppDeps) {
  const { db } = deps;

  const flashFor = (viewer: Viewer, ref: string | undefined) => actionFlash(db, viewer, ref, describeDone);

  /** A console form naming an action: same origin, the session's CSRF token, a tenant and action the operator may use. */
  async function postedAction(c: ConsoleRequest, name: string) {
    const { viewer, tenant, view } = await postedTenantForm(deps, c);
    const action = parseAction(name, c.body);
    await authorizeAction(deps, viewer, view, action);
    return { viewer, tenant, view, action };
  }

  /**
   * The request lookup with only the rows of the operator's tenants (admins: all). A request of
   * which nothing is theirs is `403` when it exists at all (as before), else not found (null).
   */
  async function visibleLookup(viewer: Viewer, requestId: string) {
    const scope = viewer.isAdmin ? null : viewer.tenants.map((t) => t.id);
    const found = await lookUpRequest(deps, requestId, scope);
    const notYours = () => wrongAudience(`This request was made at a storefront that is not one of yours. ${NOT_YOURS}`);
    if (found && !canSeeTenant(viewer, found.tenant?.id ?? null)) throw notYours();
    if (!found && scope && (await lookUpRequest(deps, requestId, null))) throw notYours();
    return found;
  }

  /**
   * The lookup of an id as the operator typed it, then lower-cased: the ids we mint are lower-case
   * hex, and people retype them from screenshots and tickets in any case. A trusted proxy's own
   * (mixed-case) ids are kept verbatim, so the typed form goes first. Two exact matches rather
   * than `lower(request_id)`, so every table's index on `request_id` stays usable.
   */
  async function lookUpTypedId(viewer: Viewer, typed: string) {
    const found = await visibleLookup(viewer, typed);
    const lower = typed.toLowerCase();
    return found || lower === typed ? found : visibleLookup(viewer, lower);
  }

  /** The sessions a revoke confirmation names (device, place, time); none for other actions. */
  async function confirmFacts(view: ConsoleTenant, action: Action, now: Date): Promise<ConfirmFacts> {
    if (action.name === 'revoke-session') {
      const session = await shopperSession(db, view.id, action.email, action.sessionId);
      return { now, sessions: session ? [session] : [] };
    }
    if (action.name === 'revoke-all') return { now, sessions: await liveShopperSessions(db, view.id, action.email, now) };
    if (action.name === 'webhook-remove' || action.name === 'webhook-rotate')
      return { now, sessions: [], endpoint: await tenantEndpoint(db, view.id, action.endpointId) };
    if (action.name === 'webhook-resend')
      return { now, sessions: [], delivery: (await findDelivery(db, view.id, action.deliveryId)) ?? null };
    if (action.name === 'passkey-remove') {
      const passkey = await passkeyOwner(db, action.passkeyId);
      return { now, sessions: [], passkey: passkey?.tenant_id === view.id && passkey.email === action.email ? passkey : null };
    }
    return { now, sessions: [] };
  }

  return new Elysia({ name: 'console-pages' })
    .use(routeContext(deps))
    .get(
      '/console/',
      consoleHandler(deps, async (c) => {
        const viewer = await c.viewer();
        const summaries = await Promise.all(
          viewer.tenants.map(async (tenant) => ({
            tenant,
            health: await outboxHealth(db, tenant.id, c.now),
            openReports: await countOpenReports(db, tenant.id),
          })),
        );
        return (await consolePages()).homePage({
          session: viewer.session,
          requestId: c.requestId,
          now: c.now,
          summaries,
          isAdmin: viewer.isAdmin,
        });
      }),
      { detail: consoleOperation('Console: home', ['not_signed_in'], { bare: SIGN_IN_FIRST }) },
    )
    .get(
      '/console/find',
      consoleHandler(deps, async (c) => {
        await c.viewer();
        const handle = c.query.tenant ?? '';
        if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(handle)) throw new AppError('not_found', { detail: 'Choose a storefront.' });
        throw new SeeOther(`/console/tenants/${handle}/shopper?${new URLSearchParams({ email: c.query.email ?? '' })}`);
      }),
      {
        query: t.Object({
          tenant: t.Optional(Text({ description: 'The storefront’s handle.' })),
          email: t.Optional(Text({ description: 'The shopper’s email address.' })),
        }),
        detail: consoleOperation('Console: find a shopper at a storefront', ['not_signed_in', 'not_found'], {
          html: false,
          bare: { 303: 'To the shopper’s page (or, signed out, to /console/sign-in).' },
        }),
      },
    )
    .get(
      '/console/tenants/:handle',
      consoleHandler(deps, async (c) => {
        const viewer = await c.viewer();
        const { view } = await visibleTenant(deps, viewer, c.params.handle!);
        c.ctx.facts.tenantId = view.id;
        const [health, problems, reports, flash] = await Promise.all([
          outboxHealth(db, view.id, c.now),
          outboxProblems(db, view.id),
          tenantReports(db, view.id),
          flashFor(viewer, c.query.ref),
        ]);
        return (await consolePages()).tenantPage({
          session: viewer.session,
          requestId: c.requestId,
          now: c.now,
          tenant: view,
          health,
          problems,
          reports,
          flash,
        });
      }),
      {
        params: HandleParams,
        query: RefQuery,
        detail: consoleOperation('Console: a storefront', ['not_signed_in', 'wrong_audience', 'not_found'], { bare: SIGN_IN_FIRST }),
      },
    )
    .get(
      '/console/tenants/:handle/shopper',
      consoleHandler(deps, async (c) => {
        const viewer = await c.viewer();
        const { view } = await visibleTenant(deps, viewer, c.params.handle!);
        c.ctx.facts.tenantId = view.id;
        const email = normaliseEmail(c.query.email);
        if (!email) throw new AppError('invalid_email', { detail: 'Enter the shopper’s email address, like name@example.com.' });
        const visitor = (await findVisitor(db, view.id, email)) ?? null;
        const [links, pendings, sessions, grants, events, reports, flash, handoffs, passkeys, addresses] = await Promise.all([
          visitor ? listVisitorLinks(db, visitor.id) : [],
          visitor ? listVisitorPendingSignIns(db, visitor.id) : [],
          visitor ? listVisitorSessions(db, visitor.id) : [],
          listGrants(db, view.id, email),
          visitor ? listVisitorSecurityEvents(db, visitor.id) : [],
          visitor ? shopperReports(db, view.id, visitor.id) : [],
          flashFor(viewer, c.query.ref),
          visitor ? listVisitorHandoffs(db, visitor.id) : [],
          visitor ? listPasskeys(db, visitor.id, { live: false }) : [],
          visitor ? listAddresses(db, visitor.id) : [],
        ]);
        // The grants of every verified address count for this shopper: show them all.
        const further = addresses.filter((a) => a.verified && a.email !== email);
        for (const extra of await Promise.all(further.map((a) => listGrants(db, view.id, a.email)))) grants.push(...extra);
        const operatorIds = links
          .map((l) => l.requested_by)
          .filter((a): a is string => Boolean(a?.startsWith('operator:')))
          .map((a) => a.slice(9));
        const firstUses = await firstUsesOfLinks(
          db,
          events.map(replayedLinkId).filter((id): id is string => id !== null),
        );
        return (await consolePages()).shopperPage({
          firstUses,
          session: viewer.session,
          requestId: c.requestId,
          now: c.now,
          tenant: view,
          email,
          visitor,
          links,
          pendings,
          sessions,
          grants,
          handoffs,
          passkeys,
          addresses,
          events,
          reports,
          canEditGrants: canEditGrants(viewer, view),
          operators: await operatorEmails(db, operatorIds),
          flash,
        });
      }),
      {
        params: HandleParams,
        query: t.Object({ email: t.Optional(Text({ description: 'The shopper’s email address.' })), ref: RefQuery.properties.ref }),
        detail: consoleOperation('Console: a shopper at a storefront', ['not_signed_in', 'invalid_email', 'wrong_audience', 'not_found'], {
          bare: SIGN_IN_FIRST,
        }),
      },
    )
    .post(
      '/console/tenants/:handle/shopper/export',
      consoleHandler(deps, async (c) => {
        // Everything held about a shopper, for a buyer who asked support; audited as the operator.
        const { viewer, view } = await postedTenantForm(deps, c);
        const email = normaliseEmail(c.body.email);
        if (!email) throw new AppError('invalid_email', { detail: 'Enter the shopper’s email address, like name@example.com.' });
        const held = await exportVisitor(deps, view, email);
        if (!held)
          throw new AppError('not_found', { detail: 'This address never signed in at this storefront: nothing is held about it.' });
        await recordAudit(db, {
          kind: 'visitor_exported',
          actor: operatorActor(viewer.session.operator.id),
          requestId: c.requestId,
          tenantId: view.id,
          visitorId: (held.visitor as { id: string }).id,
          at: c.now,
        });
        c.set.headers['content-type'] = 'application/json; charset=utf-8';
        c.set.headers['content-disposition'] = `attachment; filename="${view.handle}-export.json"`;
        return JSON.stringify(held, null, 2);
      }),
      {
        params: HandleParams,
        body: ExportBody,
        detail: consoleOperation(
          'Console: download everything held about a shopper (JSON, audited)',
          ['not_signed_in', 'invalid_email', 'wrong_audience', 'not_found', 'csrf_rejected'],
          {
            forms: true,
            html: false,
            json: {
              200: {
                description: 'The export, as GET /v2/visitor/export gives the shopper (an attachment).',
                schema: t.Object({}, { additionalProperties: true }),
              },
            },
          },
        ),
      },
    )
    .get(
      '/console/tenants/:handle/confirm',
      consoleHandler(deps, async (c) => {
        // From another site, never a confirmation (not even via the cross-site reopen page, which
        // would turn the arrival into a same-origin one): back to the page the action belongs to.
        if (arrivedFromElsewhere(c.request)) throw new SeeOther(pageOfConfirmation(c.params.handle!, c.query));
        const viewer = await c.viewer();
        const { view } = await visibleTenant(deps, viewer, c.params.handle!);
        const action = parseAction(c.query.action ?? '', c.query);
        await authorizeAction(deps, viewer, view, action);
        // Values not chosen by this session's console pages are not offered for one-click confirmation.
        if (!confirmSealValid(viewer.session.csrfToken, view.handle, c.query)) throw new SeeOther(backHref(view, action));
        const facts = await confirmFacts(view, action, c.now);
        return (await consolePages()).confirmActionPage({ session: viewer.session, requestId: c.requestId, tenant: view, action, facts });
      }),
      {
        params: HandleParams,
        query: ConfirmQuery,
        detail: consoleOperation('Console: confirm an action (changes nothing)', ACTION_ERRORS, {
          bare: { 303: 'Not sealed by this session, or from another site: back to the action’s page (signed out: to /console/sign-in).' },
        }),
      },
    )
    .post(
      '/console/tenants/:handle/confirm',
      consoleHandler(deps, async (c) => {
        // A console form with typed values (a new grant): checked like every console form.
        const { viewer, view, action } = await postedAction(c, typeof c.body.action === 'string' ? c.body.action : '');
        const facts = await confirmFacts(view, action, c.now);
        return (await consolePages()).confirmActionPage({ session: viewer.session, requestId: c.requestId, tenant: view, action, facts });
      }),
      {
        params: HandleParams,
        body: ConfirmBody,
        detail: consoleOperation(
          'Console: confirm an action typed into a console form (a new grant)',
          [...ACTION_ERRORS, 'csrf_rejected'],
          {
            forms: true,
          },
        ),
      },
    )
    .post(
      '/console/tenants/:handle/actions/:action',
      consoleHandler(deps, async (c) => {
        const { viewer, tenant, view, action } = await postedAction(c, c.params.action ?? '');
        const result = await performAction(deps, c.request, viewer, tenant, action);
        // A new secret is shown in this answer only: a redirect would have to carry or keep it.
        if (result?.rotatedSecret)
          return (await consolePages()).secretPage({
            session: viewer.session,
            requestId: c.requestId,
            tenant: view,
            kind: 'rotated',
            ...result.rotatedSecret,
          });
        const back = backHref(view, action);
        throw new SeeOther(`${back}${back.includes('?') ? '&' : '?'}ref=${encodeURIComponent(c.requestId)}`);
      }),
      {
        params: t.Object({ handle: HandleParams.properties.handle, action: Text({ description: 'The action (actions.ts).' }) }),
        body: ActionBody,
        detail: consoleOperation(
          'Console: carry out a confirmed action',
          [...ACTION_ERRORS, 'csrf_rejected', 'rate_limited', 'daily_limit_reached'],
          {
            description: 'Answers 200 with the new signing secret (webhook-rotate, shown once), else 303 back with `?ref=`.',
            bare: { 303: 'Done: back to the action’s page with ?ref= (its banner).' },
            forms: true,
          },
        ),
      },
    )
    .get(
      '/console/requests/:requestId',
      ({ params }) =>
        new Response(null, { status: 303, headers: { location: `/console/requests?id=${encodeURIComponent(params.requestId)}` } }),
      {
        params: t.Object({ requestId: Text({ description: 'A request id.' }) }),
        detail: consoleOperation('Console: a request’s story, by path', [], {
          html: false,
          bare: { 303: 'To /console/requests?id=….' },
        }),
      },
    )
    .get(
      '/console/requests',
      consoleHandler(deps, async (c) => {
        const viewer = await c.viewer();
        const query = (c.query.id ?? '').trim();
        if (!query)
          return (await consolePages()).requestPage({
            session: viewer.session,
            requestId: c.requestId,
            now: c.now,
            query,
            found: null,
            handle: null,
            notFound: false,
            operators: new Map(),
            firstUses: new Map(),
          });
        await deps.requestLog.flush(); // include what this instance has not written yet
        const found = REQUEST_ID_SHAPE.test(query) ? await lookUpTypedId(viewer, query) : null;
        const handle = found?.tenant?.handle && found.tenant.handle !== CONSOLE_HANDLE ? found.tenant.handle : null;
        if (!found) {
          c.set.status = 404;
          c.ctx.facts.code = 'not_found';
        }
        const actors = (found?.audit ?? [])
          .map((a) => a.actor)
          .filter((a) => a.startsWith('operator:'))
          .map((a) => a.slice(9));
        const operators = await operatorEmails(db, actors);
        const firstUses = await firstUsesOfLinks(
          db,
          (found?.securityEvents ?? []).map(replayedLinkId).filter((id): id is string => id !== null),
        );
        return (await consolePages()).requestPage({
          firstUses,
          session: viewer.session,
          requestId: c.requestId,
          now: c.now,
          query: query.slice(0, 128),
          found,
          handle,
          notFound: !found,
          operators,
        });
      }),
      {
        query: t.Object({ id: t.Optional(Text({ description: 'A request id as typed (any case).' })) }),
        detail: consoleOperation('Console: one request’s story (404 page when unknown)', ['not_signed_in', 'wrong_audience', 'not_found'], {
          bare: SIGN_IN_FIRST,
        }),
      },
    );
}
