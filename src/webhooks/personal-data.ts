// Webhook deliveries in erasure: an address queued for an endpoint that asked for addresses is
// wiped (the event is still delivered, without it), and `visitor.deleted` (ids only) is queued in
// the erasure's transaction. Webhooks go to the storefront, not the shopper: nothing to export.
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';
import { enqueueWebhookEvent } from './events.ts';

export const WEBHOOK_DATA: PersonalData = {
  name: 'webhooks',
  erase: async (tx, erasure) => {
    await tx.many(sql`
      update webhook_deliveries set email = null
      where tenant_id = ${erasure.tenantId}::uuid and email is not null and email ~* ${erasure.addressPattern}`);
    if (!erasure.visitorId) return;
    await enqueueWebhookEvent(tx, {
      tenantId: erasure.tenantId,
      type: 'visitor.deleted',
      data: { visitorId: erasure.visitorId, requestId: erasure.requestId },
      email: null,
      requestId: erasure.requestId,
      at: erasure.now,
    });
  },
};
