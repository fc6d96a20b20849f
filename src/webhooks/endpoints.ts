// Webhook endpoints of a tenant: register (URL checked against SSRF, a `whsec_…` secret shown once
// and stored sealed), list (never a secret), remove, rotate the secret with a 24 h overlap during
// which both secrets sign. Used by the API routes and the CLI.
import { encodeBase64 } from '@oslojs/encoding';
import { addSeconds } from '../clock.ts';
import type { Db } from '../db/db.ts';
import type { KeyRing } from '../tokens/keys.ts';
import { seal, unseal } from '../tokens/sealed.ts';
import { isWebhookEventType } from './events.ts';
import {
  deleteEndpoint,
  endpointHealth,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  listDeliveries,
  resendDelivery,
  rotateEndpointSecret,
  webhookOwner,
  type DeliveryRow,
  type EndpointHealthRow,
  type EndpointRow,
} from './queries.ts';
import { checkWebhookUrl, type UrlPolicy } from './url-policy.ts';

export { findDelivery, listDeliveries, resendDelivery, webhookOwner, type DeliveryRow };
export { deleteFinishedDeliveriesBefore } from './queries.ts';
export { WebhookUrlRefused, systemResolver, type Resolver, type UrlPolicy } from './url-policy.ts';

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

export type Endpoint = { id: string; url: string; events: string[]; description: string | null; includeEmail: boolean; createdAt: string };

export type WebhookDeps = { db: Db; keys: KeyRing; urlPolicy: UrlPolicy };

/** A refused `events` list: the message names what is wrong. */
export class InvalidWebhookEvents extends Error {}

function toEndpoint(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    includeEmail: row.include_email,
    createdAt: row.created_at.toISOString(),
  };
}

/** A list of known event types, or exactly `["*"]`; duplicates dropped. */
export function parseEvents(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 32)
    throw new InvalidWebhookEvents('events must be a non-empty list of event types, or ["*"].');
  const events = [...new Set(value)];
  if (events.includes('*')) {
    if (events.length !== 1) throw new InvalidWebhookEvents('"*" stands alone: events is ["*"] or a list of event types.');
    return ['*'];
  }
  const unknown = events.find((e) => typeof e !== 'string' || !isWebhookEventType(e));
  if (unknown !== undefined) throw new InvalidWebhookEvents(`events: unknown event type ${JSON.stringify(unknown)}.`);
  return events as string[];
}

/** 32 random bytes, base64, as Standard Webhooks writes secrets. */
function newSecret(): string {
  return `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

function aad(endpointId: string): string {
  return `webhook:${endpointId}`;
}

function sealSecret(keys: KeyRing, endpointId: string, secret: string): Promise<string> {
  return seal(keys, 'credential', secret, aad(endpointId));
}

type SealedSecrets = {
  endpoint_id: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
};

/** An endpoint's secrets opened: the current one and, after a rotation, the previous one. Null when the current cannot be opened. */
export async function openSecrets(keys: KeyRing, row: SealedSecrets): Promise<{ current: string; previous: string | null } | null> {
  const current = await unseal<string>(keys, 'credential', row.secret_sealed, aad(row.endpoint_id));
  if (!current) return null;
  const previous = row.previous_secret_sealed
    ? await unseal<string>(keys, 'credential', row.previous_secret_sealed, aad(row.endpoint_id))
    : null;
  return { current, previous };
}

/** Of opened secrets (or their signers), those that sign now: the current one, and the previous one during its overlap. */
export function secretsSigningAt<Secret>(
  opened: { current: Secret; previous: Secret | null },
  previousExpiresAt: Date | null,
  now: Date,
): Secret[] {
  return opened.previous && previousExpiresAt && previousExpiresAt > now ? [opened.current, opened.previous] : [opened.current];
}

export async function createEndpoint(
  deps: WebhookDeps,
  tenantId: string,
  input: { url: string; events: string[]; description: string | null; includeEmail: boolean },
  now: Date,
): Promise<Endpoint & { secret: string }> {
  const { url } = await checkWebhookUrl(input.url, deps.urlPolicy);
  const id = crypto.randomUUID();
  const secret = newSecret();
  const row = await insertEndpoint(deps.db, {
    id,
    tenant_id: tenantId,
    url: url.href,
    events: input.events,
    description: input.description,
    include_email: input.includeEmail,
    secret_sealed: await sealSecret(deps.keys, id, secret),
    created_at: now,
  });
  return { ...toEndpoint(row), secret };
}

export async function tenantEndpoints(db: Db, tenantId: string): Promise<Endpoint[]> {
  return (await listEndpoints(db, tenantId)).map(toEndpoint);
}

/** An endpoint, and how its deliveries are going (the console's list). */
export type EndpointWithHealth = Endpoint & {
  lastDelivery: { status: string; httpStatus: number | null; error: string | null; at: Date } | null;
  failing: number;
};

export async function tenantEndpointsWithHealth(db: Db, tenantId: string): Promise<EndpointWithHealth[]> {
  const [endpoints, health] = await Promise.all([tenantEndpoints(db, tenantId), endpointHealth(db, tenantId)]);
  const byId = new Map<string, EndpointHealthRow>(health.map((row) => [row.endpoint_id, row]));
  return endpoints.map((endpoint) => {
    const row = byId.get(endpoint.id);
    return {
      ...endpoint,
      lastDelivery:
        row?.last_status && row.last_at
          ? { status: row.last_status, httpStatus: row.last_http_status, error: row.last_error, at: row.last_at }
          : null,
      failing: row?.failing ?? 0,
    };
  });
}

/** One endpoint of the tenant (never its secret). */
export async function tenantEndpoint(db: Db, tenantId: string, id: string): Promise<Endpoint | null> {
  if (!isUuid(id)) return null;
  const row = await findEndpoint(db, tenantId, id);
  return row ? toEndpoint(row) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export async function removeEndpoint(db: Db, tenantId: string, id: string): Promise<boolean> {
  return isUuid(id) && deleteEndpoint(db, tenantId, id);
}

/** A new secret (shown once); the old one signs too until the overlap ends. Null: no such endpoint. */
export async function rotateSecret(
  deps: Pick<WebhookDeps, 'db' | 'keys'>,
  tenantId: string,
  id: string,
  now: Date,
): Promise<{ id: string; secret: string; previousSecretExpiresAt: string } | null> {
  if (!isUuid(id) || !(await findEndpoint(deps.db, tenantId, id))) return null;
  const secret = newSecret();
  const overlapEnds = addSeconds(now, ROTATION_OVERLAP_SECONDS);
  const row = await rotateEndpointSecret(deps.db, tenantId, id, await sealSecret(deps.keys, id, secret), overlapEnds);
  if (!row) return null;
  return { id, secret, previousSecretExpiresAt: overlapEnds.toISOString() };
}
