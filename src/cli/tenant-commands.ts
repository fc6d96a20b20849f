// `tenant add|update|list|show`: storefront records, managed by operators. The service caches
// tenants for a few seconds, so a change reaches running instances within that time.
import type { Db } from '../db/db.ts';
import { isUniqueViolation } from '../db/db.ts';
import { findTenantByHandle, insertTenant, listTenants, updateTenant, type Tenant } from '../tenants/tenants.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command, dispatchVerb } from './command.ts';
import { describeTenant, tenantTable } from './tenant-output.ts';
import { newTenantInput, parseHandle, TENANT_FLAGS, tenantChanges } from './tenant-flags.ts';

const JSON_ONLY = { json: { type: 'boolean' } } as const;

export function tenantCommand(args: string[]): Command {
  return dispatchVerb('tenant', args, {
    add: addTenant,
    update: changeTenant,
    list: listAll,
    show: showTenant,
  });
}

function addTenant(args: string[]): Command {
  const { values, positionals } = parseVerbArgs('tenant add', args, TENANT_FLAGS, ['handle']);
  const input = newTenantInput(parseHandle(positionals[0]!), values);
  return {
    needsCurrentSchema: true,
    async run(db, config) {
      if (await findTenantByHandle(db, input.handle)) throw tenantExists(input.handle);
      await ensureHostsFree(db, input.handle, input.hosts);
      let tenant: Tenant;
      try {
        tenant = await insertTenant(db, input);
      } catch (error) {
        // Another `tenant add` won the race between our check and the insert.
        if (isUniqueViolation(error)) throw tenantExists(input.handle);
        throw error;
      }
      return { json: tenant, text: `added tenant ${tenant.handle}\n${describeTenant(tenant, config)}` };
    },
  };
}

function changeTenant(args: string[]): Command {
  const { values, positionals } = parseVerbArgs('tenant update', args, TENANT_FLAGS, ['handle']);
  const handle = parseHandle(positionals[0]!);
  const changes = tenantChanges(values);
  if (Object.keys(changes).length === 0) {
    throw invalidArgument(
      'tenant update: nothing to change (give --origin, --host, --gated, --name, --from, --link-ttl, --session-ttl, --support-can-edit-grants, --locale, --logo-url/--logo-width/--logo-height, --accent-color or --support-contact)',
    );
  }
  return {
    needsCurrentSchema: true,
    async run(db, config) {
      if (changes.hosts) await ensureHostsFree(db, handle, changes.hosts);
      const tenant = await updateTenant(db, handle, changes);
      if (!tenant) throw unknownHandle(handle);
      return { json: tenant, text: `updated tenant ${tenant.handle}\n${describeTenant(tenant, config)}` };
    },
  };
}

function listAll(args: string[]): Command {
  parseVerbArgs('tenant list', args, JSON_ONLY, []);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenants = await listTenants(db);
      return { json: { tenants }, text: tenantTable(tenants) };
    },
  };
}

function showTenant(args: string[]): Command {
  const { positionals } = parseVerbArgs('tenant show', args, JSON_ONLY, ['handle']);
  const handle = parseHandle(positionals[0]!);
  return {
    needsCurrentSchema: true,
    async run(db, config) {
      const tenant = await findTenantByHandle(db, handle);
      if (!tenant) throw unknownHandle(handle);
      return { json: tenant, text: describeTenant(tenant, config) };
    },
  };
}

/** Each edge host belongs to one tenant: the host decides which tenant a request is for. */
async function ensureHostsFree(db: Db, handle: string, hosts: string[]): Promise<void> {
  for (const other of await listTenants(db)) {
    if (other.handle === handle) continue;
    const taken = hosts.find((host) => other.hosts.includes(host));
    if (taken) throw new CliError('host_taken', `host ${taken} already belongs to tenant ${other.handle}`);
  }
}

const tenantExists = (handle: string) => new CliError('tenant_exists', `tenant ${handle} already exists`);
const unknownHandle = (handle: string) => new CliError('unknown_handle', `no tenant has the handle ${handle}`);
