// `webhook endpoint add|list|remove|rotate`, `webhook deliveries [--dead]`, `webhook resend <id>`:
// a storefront's webhook endpoints and the delivery outbox's dead letters. A secret is printed once,
// by `add` and `rotate`; it is stored sealed with the first TOKEN_SECRET (so the CLI must run with
// the service's TOKEN_SECRET). URLs are checked as the API checks them (docs/api.md "Webhooks").
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { deriveKeyRing } from '../tokens/keys.ts';
import {
  createEndpoint,
  InvalidWebhookEvents,
  isUuid,
  listDeliveries,
  parseEvents,
  removeEndpoint,
  resendDelivery,
  rotateSecret,
  systemResolver,
  tenantEndpoints,
  WebhookUrlRefused,
  type DeliveryRow,
  type Endpoint,
} from '../webhooks/endpoints.ts';
import { parseHandleFlag, parseText, requireFlag, requireTenant, table, when } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command, dispatchVerb } from './command.ts';

const JSON_ONLY = { json: { type: 'boolean' } } as const;
const HANDLE = { handle: { type: 'string' }, json: { type: 'boolean' } } as const;
const ADD_FLAGS = {
  handle: { type: 'string' },
  url: { type: 'string' },
  events: { type: 'string', multiple: true },
  description: { type: 'string' },
  'include-email': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;
const DELIVERIES_FLAGS = { handle: { type: 'string' }, dead: { type: 'boolean' }, json: { type: 'boolean' } } as const;

export function webhookCommand(args: string[]): Command {
  return dispatchVerb('webhook', args, { endpoint: endpointCommand, deliveries: deliveriesCommand, resend: resendCommand });
}

function endpointCommand(args: string[]): Command {
  return dispatchVerb('webhook endpoint', args, {
    add: addCommand,
    list: listCommand,
    remove: removeCommand,
    rotate: rotateCommand,
  });
}

async function keyRing(config: Config) {
  // Loaded only here: runtime.ts pulls in the whole app, which no other CLI verb needs.
  const { devTokenSecret } = await import('../runtime.ts');
  return deriveKeyRing(config.tokenSecrets ?? [devTokenSecret(config.dataDir)]);
}

function endpointId(raw: string): string {
  if (!isUuid(raw)) throw invalidArgument(`<id> "${raw}" is not a webhook endpoint id (the UUID that webhook endpoint add and list print)`);
  return raw;
}

function addCommand(args: string[]): Command {
  const { values } = parseVerbArgs('webhook endpoint add', args, ADD_FLAGS, []);
  const handle = parseHandleFlag('webhook endpoint add', values.handle);
  const url = parseText('url', requireFlag('webhook endpoint add', 'url', values.url), 2048);
  let events: string[];
  try {
    events = parseEvents((values.events ?? []).flatMap((e) => e.split(',').map((s) => s.trim())).filter(Boolean));
  } catch (error) {
    if (error instanceof InvalidWebhookEvents) throw invalidArgument(`--events: ${error.message}`);
    throw error;
  }
  const description = values.description === undefined ? null : parseText('description', values.description, 200);
  return {
    needsCurrentSchema: true,
    async run(db, config) {
      const tenant = await requireTenant(db, handle);
      const urlPolicy = { production: config.nodeEnv === 'production', resolve: systemResolver };
      try {
        const endpoint = await createEndpoint(
          { db, keys: await keyRing(config), urlPolicy },
          tenant.id,
          { url, events, description, includeEmail: values['include-email'] ?? false },
          systemClock.now(),
        );
        return {
          json: { id: endpoint.id, url: endpoint.url, events: endpoint.events, secret: endpoint.secret, createdAt: endpoint.createdAt },
          text: `added webhook endpoint ${endpoint.id} for tenant ${handle}: ${endpoint.url} (${events.join(' ')})\n\n  ${endpoint.secret}\n\nStore this signing secret now: it is shown only once.`,
        };
      } catch (error) {
        if (error instanceof WebhookUrlRefused) throw new CliError('invalid_webhook_url', `--url: ${error.message}`);
        throw error;
      }
    },
  };
}

function listCommand(args: string[]): Command {
  const { values } = parseVerbArgs('webhook endpoint list', args, HANDLE, []);
  const handle = parseHandleFlag('webhook endpoint list', values.handle);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      const endpoints = await tenantEndpoints(db, tenant.id);
      return { json: { endpoints }, text: endpointTable(endpoints) };
    },
  };
}

function removeCommand(args: string[]): Command {
  const { values, positionals } = parseVerbArgs('webhook endpoint remove', args, HANDLE, ['id']);
  const handle = parseHandleFlag('webhook endpoint remove', values.handle);
  const id = endpointId(positionals[0]!);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      if (!(await removeEndpoint(db, tenant.id, id)))
        throw new CliError('webhook_endpoint_not_found', `tenant ${handle} has no webhook endpoint ${id}`);
      return { json: { id, removed: true }, text: `removed webhook endpoint ${id} (its pending deliveries with it)` };
    },
  };
}

function rotateCommand(args: string[]): Command {
  const { values, positionals } = parseVerbArgs('webhook endpoint rotate', args, HANDLE, ['id']);
  const handle = parseHandleFlag('webhook endpoint rotate', values.handle);
  const id = endpointId(positionals[0]!);
  return {
    needsCurrentSchema: true,
    async run(db, config) {
      const tenant = await requireTenant(db, handle);
      const rotated = await rotateSecret({ db, keys: await keyRing(config) }, tenant.id, id, systemClock.now());
      if (!rotated) throw new CliError('webhook_endpoint_not_found', `tenant ${handle} has no webhook endpoint ${id}`);
      return {
        json: rotated,
        text: `rotated the signing secret of ${id}; the previous one also signs until ${rotated.previousSecretExpiresAt}\n\n  ${rotated.secret}\n\nStore this signing secret now: it is shown only once.`,
      };
    },
  };
}

function deliveriesCommand(args: string[]): Command {
  const { values } = parseVerbArgs('webhook deliveries', args, DELIVERIES_FLAGS, []);
  const handle = values.handle === undefined ? null : parseHandleFlag('webhook deliveries', values.handle);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenantId = handle === null ? null : (await requireTenant(db, handle)).id;
      const rows = await listDeliveries(db, { tenantId, deadOnly: values.dead ?? false, limit: 200 });
      const deliveries = rows.map(deliveryJson);
      return { json: { deliveries }, text: deliveryTable(rows) };
    },
  };
}

function resendCommand(args: string[]): Command {
  const { positionals } = parseVerbArgs('webhook resend', args, JSON_ONLY, ['id']);
  const id = positionals[0]!;
  if (!isUuid(id)) throw invalidArgument(`<id> "${id}" is not a delivery id (the UUID that webhook deliveries prints)`);
  return {
    needsCurrentSchema: true,
    async run(db) {
      if (!(await resendDelivery(db, id, systemClock.now())))
        throw new CliError('webhook_delivery_not_found', `no dead or delivered webhook delivery has the id ${id}`);
      return { json: { id, resent: true }, text: `delivery ${id} is queued again (same webhook-id; the worker sends it within seconds)` };
    },
  };
}

function deliveryJson(row: DeliveryRow) {
  return {
    id: row.id,
    handle: row.handle,
    endpointId: row.endpoint_id,
    url: row.url,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    requestId: row.request_id,
    createdAt: row.created_at.toISOString(),
    deadAt: row.dead_at?.toISOString() ?? null,
  };
}

function endpointTable(endpoints: Endpoint[]): string {
  if (endpoints.length === 0)
    return 'no webhook endpoints (add one: bun run cli webhook endpoint add --handle <h> --url https://… --events "*")';
  return table(
    ['ID', 'URL', 'EVENTS', 'EMAIL', 'CREATED'],
    endpoints.map((e) => [e.id, e.url, e.events.join(','), e.includeEmail ? 'yes' : 'no', when(new Date(e.createdAt))]),
  );
}

function deliveryTable(rows: DeliveryRow[]): string {
  if (rows.length === 0) return 'no webhook deliveries';
  return table(
    ['ID', 'TENANT', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST', 'CREATED'],
    rows.map((r) => [
      r.id,
      r.handle,
      r.type,
      r.status,
      String(r.attempts),
      r.last_error ?? (r.last_status === null ? '-' : String(r.last_status)),
      when(r.created_at),
    ]),
  );
}
