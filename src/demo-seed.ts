// Development only: the demo storefront `gharart` at PUBLIC_URL, a grant for demo@example.com, and
// a tenant PAT + a service PAT in DATA_DIR/dev-credentials.json (0600), so a newcomer can call every
// route while the service holds the embedded database. Composition, not a feature: it combines the
// tenants, access and credentials features, so it sits at the app level beside runtime.ts, its caller.
import { readFileSync, writeFileSync } from 'node:fs';
import { upsertGrant } from './access/grants.ts';
import type { Config } from './config.ts';
import { createPat, findLivePatByToken } from './credentials/pats.ts';
import { OPERATOR_SCOPES, TENANT_SCOPES } from './credentials/scopes.ts';
import type { Db } from './db/db.ts';
import { DEMO_COURSE, DEMO_EMAIL, DEMO_HANDLE } from './demo-storefront/routes.ts';
import type { Logger } from './log.ts';
import { findTenantByHandle, insertTenant } from './tenants/tenants.ts';

type DevCredentials = { handle: string; tenantPat: string; servicePat: string };

export async function seedDemoTenant(db: Db, config: Config, logger: Logger): Promise<void> {
  let tenant = await findTenantByHandle(db, DEMO_HANDLE);
  if (!tenant) {
    tenant = await insertTenant(db, {
      handle: DEMO_HANDLE,
      name: 'Gharart',
      origins: [config.publicUrl],
      hosts: [new URL(config.publicUrl).hostname],
      gatedPrefixes: ['/content/', '/orders/'],
      mailFrom: null,
      magicLinkTtlSeconds: null,
      sessionTtlSeconds: null,
    });
    await upsertGrant(
      db,
      tenant.id,
      {
        email: DEMO_EMAIL,
        resource: `${DEMO_COURSE}*`,
        kind: 'content',
        title: 'Watercolour for beginners',
        orderId: null,
        expiresAt: null,
      },
      new Date(),
    );
    logger.info('seeded the demo tenant', { handle: DEMO_HANDLE, origin: config.publicUrl });
  }
  await writeDevCredentials(db, config, tenant.id, logger);
}

async function writeDevCredentials(db: Db, config: Config, tenantId: string, logger: Logger): Promise<void> {
  const file = `${config.dataDir}/dev-credentials.json`;
  try {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
    if ((await findLivePatByToken(db, existing.tenantPat)) && (await findLivePatByToken(db, existing.servicePat))) return;
  } catch {
    // missing or unreadable: write a new one
  }
  const tenantPat = await createPat(db, { tenantId, name: 'dev tenant PAT', scopes: [...TENANT_SCOPES] });
  const servicePat = await createPat(db, { tenantId: null, name: 'dev service PAT', scopes: [...OPERATOR_SCOPES] });
  const credentials: DevCredentials = { handle: DEMO_HANDLE, tenantPat: tenantPat.token, servicePat: servicePat.token };
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  logger.info('wrote development credentials', { file });
}
