// Development only: the demo storefront `gharart`, served at PUBLIC_URL.
import type { Config } from '../config.ts';
import type { Db } from '../db/db.ts';
import type { Logger } from '../log.ts';
import { findTenantByHandle, insertTenant } from './tenants.ts';

export const DEMO_HANDLE = 'gharart';

export async function seedDemoTenant(db: Db, config: Config, logger: Logger): Promise<void> {
  if (await findTenantByHandle(db, DEMO_HANDLE)) return;
  await insertTenant(db, {
    handle: DEMO_HANDLE,
    name: 'Gharart',
    origins: [config.publicUrl],
    hosts: [new URL(config.publicUrl).hostname],
    gatedPrefixes: ['/content/', '/orders/'],
    mailFrom: null,
    magicLinkTtlSeconds: null,
    sessionTtlSeconds: null,
  });
  logger.info('seeded the demo tenant', { handle: DEMO_HANDLE, origin: config.publicUrl });
}
