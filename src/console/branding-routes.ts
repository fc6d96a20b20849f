// A storefront's branding in the console: GET shows it (a form for admins), POST saves it. The POST
// is checked like every console form (same origin, the session's CSRF token, a tenant the operator
// sees), admin-only, validated by tenants/branding.ts (the CLI's rules) and written to the audit trail.
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { operatorActor, recordAudit } from '../audit/audit.ts';
import { routeContext } from '../route-context.ts';
import { parseBranding, type BrandingField, type BrandingFields } from '../tenants/branding.ts';
import { updateTenant } from '../tenants/tenants.ts';
import { visibleTenant, wrongAudience, type Viewer } from './access.ts';
import { actionFlash, postedTenantForm } from './flash.ts';
import { consoleHandler, SeeOther } from './handler.ts';
import { BrandingBody, consoleOperation, HandleParams, RefQuery } from './route-schemas.ts';
import { consolePages } from './pages.ts';
import type { BrandingForm } from './tenant-pages.ts';

const FIELDS: BrandingField[] = ['logoUrl', 'logoWidth', 'logoHeight', 'accentColor', 'supportContact'];

export function consoleBrandingRoutes(deps: AppDeps) {
  const { db } = deps;

  /** "Branding saved." after the POST, only for this operator's own save in that request. */
  const savedFlash = (viewer: Viewer, ref: string | undefined) =>
    actionFlash(db, viewer, ref, (kind) => (kind === 'tenant_branding_set' ? { tone: 'ok', message: 'Branding saved.' } : null));

  return new Elysia({ name: 'console-branding' })
    .use(routeContext(deps))
    .get(
      '/console/tenants/:handle/branding',
      consoleHandler(deps, async (c) => {
        const viewer = await c.viewer();
        const { tenant, view } = await visibleTenant(deps, viewer, c.params.handle!);
        c.ctx.facts.tenantId = view.id;
        const { brandingPage, brandingFormOf } = await consolePages();
        return brandingPage({
          session: viewer.session,
          requestId: c.requestId,
          tenant: view,
          form: brandingFormOf(tenant),
          editable: viewer.isAdmin,
          flash: await savedFlash(viewer, c.query.ref),
        });
      }),
      {
        params: HandleParams,
        query: RefQuery,
        detail: consoleOperation(
          'Console: a storefront’s branding (admins edit, support reads)',
          ['not_signed_in', 'wrong_audience', 'not_found'],
          {
            bare: { 303: 'Not signed in: to /console/sign-in.' },
          },
        ),
      },
    )
    .post(
      '/console/tenants/:handle/branding',
      consoleHandler(deps, async (c) => {
        const { viewer, tenant, view } = await postedTenantForm(deps, c);
        if (!viewer.isAdmin) throw wrongAudience(`Only admins change ${view.name}’s branding.`);
        // A browser form sends every field; one left out (another client) counts as empty: cleared.
        const fields = Object.fromEntries(
          FIELDS.map((field) => [field, typeof c.body[field] === 'string' ? (c.body[field] as string) : '']),
        ) as Required<BrandingFields>;
        const { changes, errors } = parseBranding(fields);
        if (errors.length) {
          c.set.status = 400;
          c.ctx.facts.code = 'invalid_request';
          const form: BrandingForm = { values: fields, errors: Object.fromEntries(errors.map((e) => [e.field, e.message])) };
          return (await consolePages()).brandingPage({
            session: viewer.session,
            requestId: c.requestId,
            tenant: view,
            form,
            editable: true,
            flash: null,
          });
        }
        const updated = await updateTenant(db, tenant.handle, changes);
        if (!updated) throw new SeeOther('/console/');
        deps.tenants.clear(); // this instance shows it at once; others within their cache's few seconds
        const changed = FIELDS.filter((field) => updated[field] !== tenant[field]);
        await recordAudit(db, {
          kind: 'tenant_branding_set',
          actor: operatorActor(viewer.session.operator.id),
          requestId: c.requestId,
          tenantId: tenant.id,
          at: c.now,
          detail: { changed, ...Object.fromEntries(changed.map((field) => [field, updated[field]])) },
        });
        throw new SeeOther(`/console/tenants/${view.handle}/branding?ref=${encodeURIComponent(c.requestId)}`);
      }),
      {
        params: HandleParams,
        body: BrandingBody,
        detail: consoleOperation(
          'Console: save a storefront’s branding (admins)',
          ['not_signed_in', 'invalid_request', 'csrf_rejected', 'wrong_audience', 'not_found'],
          {
            description: 'A field left out counts as empty (cleared). Bad values: the form again (400), each error beside its field.',
            bare: { 303: 'Saved: to the branding page with ?ref=.' },
            forms: true,
          },
        ),
      },
    );
}
