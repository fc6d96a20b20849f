// Everything the service holds about a visitor, as one list of parts, each owned by the feature
// whose tables it reads and writes (its SQL stays in that feature). Export asks every part for what
// it holds; erasure runs every part's step in ONE transaction, in this order: the rows kept for the
// record are pseudonymised before the visitor row goes (its foreign keys would cascade them away),
// and the visitor row goes last. A feature with a new table of personal data adds its part here.
import type { AppDeps } from '../app-deps.ts';
import { forgetVisitorAtTheEdge } from '../access/edge-cache.ts';
import { GRANT_DATA } from '../access/grants.ts';
import { recordAudit } from '../audit/audit.ts';
import { AUDIT_DATA, REQUEST_LOG_DATA, SECURITY_EVENT_DATA } from '../audit/personal-data.ts';
import { HANDOFF_DATA } from '../handoffs/personal-data.ts';
import { RATE_LIMIT_DATA } from '../limits/personal-data.ts';
import { PENDING_SIGN_IN_DATA, SIGN_IN_LINK_DATA } from '../magic-link/personal-data.ts';
import { MAIL_DATA } from '../mail/outbox.ts';
import { PASSKEY_DATA } from '../passkeys/personal-data.ts';
import { SESSION_DATA } from '../sessions/personal-data.ts';
import { CONTENT_REPORT_DATA, SUPPORT_REPORT_DATA } from '../support/personal-data.ts';
import { findDataSubject, VISITOR_DATA, VISITOR_EMAIL_DATA } from '../visitors/personal-data.ts';
import { WEBHOOK_DATA } from '../webhooks/personal-data.ts';
import { ERASURE_CODE_DATA } from './erasure-codes.ts';
import type { DataSubject, Erasure, PersonalData } from './subject.ts';

export const PERSONAL_DATA: readonly PersonalData[] = [
  AUDIT_DATA,
  SECURITY_EVENT_DATA,
  REQUEST_LOG_DATA,
  SUPPORT_REPORT_DATA,
  CONTENT_REPORT_DATA,
  WEBHOOK_DATA,
  MAIL_DATA,
  PENDING_SIGN_IN_DATA,
  SIGN_IN_LINK_DATA,
  SESSION_DATA,
  HANDOFF_DATA,
  PASSKEY_DATA,
  GRANT_DATA,
  RATE_LIMIT_DATA,
  ERASURE_CODE_DATA,
  VISITOR_EMAIL_DATA,
  // last: the address may start again as a new visitor
  VISITOR_DATA,
];

/** The export's own order: who first, then what they did. */
const EXPORT_ORDER = ['visitor', 'addresses', 'grants', 'sessions', 'passkeys', 'handoffs', 'signInLinks', 'pendingSignIns', 'mail'];

export type VisitorExport = { exportedAt: string; storefront: string; note: string } & Record<string, unknown>;

/** Everything held about the visitor of (tenant, address); null when no visitor row exists. */
export async function exportVisitor(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  tenant: { id: string; handle: string },
  email: string,
): Promise<VisitorExport | null> {
  const subject = await findDataSubject(deps.db, tenant.id, email);
  if (!subject.visitorId) return null;
  const found = { ...subject, visitorId: subject.visitorId };
  const parts = PERSONAL_DATA.filter((part) => part.export).sort((a, b) => rank(a.name) - rank(b.name));
  const held: Record<string, unknown> = {};
  for (const part of parts) held[part.name] = await part.export!(deps.db, found);
  return {
    exportedAt: deps.clock.now().toISOString(),
    storefront: tenant.handle,
    note: 'Everything this sign-in service holds about you at this storefront. Webhook events go to the storefront and are not held for you here.',
    ...held,
  };
}

function rank(name: string): number {
  const at = EXPORT_ORDER.indexOf(name);
  return at === -1 ? EXPORT_ORDER.length : at;
}

/** A case-insensitive pattern for the addresses in free text; `@` also as `%40` (URL-encoded). */
export function addressPattern(emails: readonly string[]): string {
  return emails.map((email) => `(${email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('@', '(@|%40)')})`).join('|');
}

export type ErasureResult = { erased: boolean; pseudonym: string | null };

/**
 * Erases the visitor of (tenant, address) and what is held about the address: idempotent (an
 * address with nothing held erases nothing and still succeeds). `actor`: who asked (`visitor`,
 * `credential:<id>`, `operator:<id>`), for the audit row the erasure leaves.
 */
export async function eraseVisitor(
  deps: Pick<AppDeps, 'db' | 'clock'> & { requestLog?: Pick<AppDeps['requestLog'], 'flush'> },
  input: { tenantId: string; email: string; requestId: string; actor: string },
): Promise<ErasureResult> {
  // Request-log rows still buffered for this visitor are written first, so the erasure reaches them
  // (the CLI has no buffer: another process's is flushed within a second, and says no address).
  await deps.requestLog?.flush();
  const now = deps.clock.now();
  const pseudonym = `erased:${crypto.randomUUID()}`;
  const subject: DataSubject = await deps.db.transaction(async (tx) => {
    const found = await findDataSubject(tx, input.tenantId, input.email);
    const erasure: Erasure = { ...found, pseudonym, addressPattern: addressPattern(found.named), now, requestId: input.requestId };
    for (const part of PERSONAL_DATA) await part.erase(tx, erasure);
    if (found.visitorId) {
      await recordAudit(tx, {
        kind: 'visitor_erased',
        actor: input.actor,
        requestId: input.requestId,
        tenantId: input.tenantId,
        detail: { subject: pseudonym },
        at: now,
      });
    }
    return found;
  });
  if (subject.visitorId) forgetVisitorAtTheEdge(subject.visitorId);
  return { erased: subject.visitorId !== null, pseudonym: subject.visitorId ? pseudonym : null };
}
