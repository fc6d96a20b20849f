// A storefront for tests: `gharart` lives on http://localhost (the harness's host), any other
// handle on https://{handle}.test. Override whatever a test cares about.
import type { Db } from '../../src/db/db.ts';
import { insertTenant, type Tenant, type TenantInput } from '../../src/tenants/tenants.ts';

export function insertTestTenant(db: Db, handle: string, overrides: Partial<TenantInput> = {}): Promise<Tenant> {
  const local = handle === 'gharart';
  return insertTenant(db, {
    handle,
    name: `${handle[0]!.toUpperCase()}${handle.slice(1)}${local ? '' : ' Shop'}`,
    origins: [local ? 'http://localhost' : `https://${handle}.test`],
    hosts: [local ? 'localhost' : `${handle}.test`],
    gatedPrefixes: ['/content/'],
    mailFrom: null,
    magicLinkTtlSeconds: null,
    sessionTtlSeconds: null,
    ...overrides,
  });
}
