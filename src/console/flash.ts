// What a console form post and the page after it share: the post's preamble (same origin, the
// session's CSRF token, a storefront this operator sees) and the banner naming what was done.
import type { AppDeps } from '../app-deps.ts';
import { auditOfActorInRequest, operatorActor } from '../audit/audit.ts';
import type { Db } from '../db/db.ts';
import { REQUEST_ID_SHAPE } from '../support/reports.ts';
import { visibleTenant, type Viewer } from './access.ts';
import type { ConsoleRequest } from './handler.ts';
import { assertCsrfToken, assertSameOrigin } from './session.ts';
import type { Flash } from './tenant-pages.ts';

/** A banner's words for one audit row of the action, or null when the row is not one to announce. */
export type DoneWords = (kind: string, detail: Record<string, unknown>) => { tone: 'ok' | 'warn'; message: string } | null;

/** The banner after an action: only for an action this operator did in the request `ref` names. */
export async function actionFlash(db: Db, viewer: Viewer, ref: string | undefined, words: DoneWords): Promise<Flash> {
  if (!ref || !REQUEST_ID_SHAPE.test(ref)) return null;
  for (const row of await auditOfActorInRequest(db, operatorActor(viewer.session.operator.id), ref)) {
    const done = words(row.kind, row.detail ?? {});
    if (done) return { ...done, requestId: ref };
  }
  return null;
}

/** A form posted to a storefront's console page: same origin, the session's CSRF token, a storefront this operator sees. */
export async function postedTenantForm(deps: AppDeps, c: ConsoleRequest) {
  const viewer = await c.viewer();
  assertSameOrigin(c.request, deps.config);
  assertCsrfToken(c.body.csrf, viewer.session.csrfToken);
  const { tenant, view } = await visibleTenant(deps, viewer, c.params.handle!);
  c.ctx.facts.tenantId = view.id;
  return { viewer, tenant, view };
}
