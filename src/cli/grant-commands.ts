// `grant add|remove|list`: "this email may see this resource at this tenant", set by an operator —
// the same rules as PUT/DELETE /v2/access/grants (normalised email, already-normalised resource).
// Running services cache grants for EDGE_CACHE_SECONDS, so a change reaches the edge within that time.
import { deleteGrant, listGrants, listTenantGrants, upsertGrant, type Grant, type GrantKind } from '../access/grants.ts';
import { isNormalisedResource } from '../access/paths.ts';
import { systemClock } from '../clock.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { parseHandleFlag, parseText, requireFlag, requireTenant, table, when } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command, dispatchVerb } from './command.ts';

const TARGET_FLAGS = {
  handle: { type: 'string' },
  email: { type: 'string' },
  resource: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const ADD_FLAGS = {
  ...TARGET_FLAGS,
  kind: { type: 'string' },
  title: { type: 'string' },
  'order-id': { type: 'string' },
  'expires-at': { type: 'string' },
} as const;

const LIST_FLAGS = { handle: { type: 'string' }, email: { type: 'string' }, json: { type: 'boolean' } } as const;

// RFC 3339: a full date-time with a zone, so an expiry never depends on the operator's TZ.
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

export function grantCommand(args: string[]): Command {
  return dispatchVerb('grant', args, {
    add: addCommand,
    remove: removeCommand,
    list: listCommand,
  });
}

function parseEmail(verb: string, raw: string | undefined): string {
  const email = normaliseEmail(requireFlag(verb, 'email', raw));
  if (!email) throw invalidArgument(`--email "${raw}" is not a valid email address`);
  return email;
}

function parseResource(verb: string, raw: string | undefined): string {
  const resource = requireFlag(verb, 'resource', raw);
  if (!isNormalisedResource(resource)) {
    throw invalidArgument(
      `--resource "${resource}" must be a normalised path (/orders/A-1001) or a prefix ending in /* (/content/course-1/*)`,
    );
  }
  return resource;
}

function parseKind(raw: string | undefined): GrantKind {
  if (raw === undefined) return 'content';
  if (raw !== 'content' && raw !== 'order') throw invalidArgument(`--kind "${raw}" must be content or order`);
  return raw;
}

function parseExpiresAt(raw: string | undefined): Date | null {
  if (raw === undefined) return null;
  const match = TIMESTAMP.exec(raw);
  const date = new Date(raw);
  // Date() quietly rolls 2030-02-31 over into March: the wall-clock part must survive a round trip.
  const wallClock = match ? `${match[1]!.toUpperCase()}${match[2] ?? ':00'}` : '';
  if (!match || Number.isNaN(date.getTime()) || new Date(`${wallClock}Z`).toISOString().slice(0, 19) !== wallClock) {
    throw invalidArgument(`--expires-at "${raw}" must be an ISO 8601 date-time with a time zone (2027-01-31T23:59:59Z)`);
  }
  return date;
}

function addCommand(args: string[]): Command {
  const { values } = parseVerbArgs('grant add', args, ADD_FLAGS, []);
  const handle = parseHandleFlag('grant add', values.handle);
  const input = {
    email: parseEmail('grant add', values.email),
    resource: parseResource('grant add', values.resource),
    kind: parseKind(values.kind),
    title: values.title === undefined ? null : parseText('title', values.title, 200),
    orderId: values['order-id'] === undefined ? null : parseText('order-id', values['order-id'], 100),
    expiresAt: parseExpiresAt(values['expires-at']),
  };
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      const { grant, created } = await upsertGrant(db, tenant.id, input, systemClock.now());
      return { json: { grant, created }, text: `${created ? 'granted' : 'updated'} at ${handle}:\n${grantTable([grant])}` };
    },
  };
}

function removeCommand(args: string[]): Command {
  const { values } = parseVerbArgs('grant remove', args, TARGET_FLAGS, []);
  const handle = parseHandleFlag('grant remove', values.handle);
  const email = parseEmail('grant remove', values.email);
  const resource = parseResource('grant remove', values.resource);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      // Unlike the idempotent DELETE route, a typo here must not look like a revoked grant.
      if (!(await deleteGrant(db, tenant.id, email, resource))) {
        throw new CliError('grant_not_found', `no grant for ${email} on ${resource} at ${handle}`);
      }
      return { json: { email, resource, removed: true }, text: `removed the grant for ${email} on ${resource} at ${handle}` };
    },
  };
}

function listCommand(args: string[]): Command {
  const { values } = parseVerbArgs('grant list', args, LIST_FLAGS, []);
  const handle = parseHandleFlag('grant list', values.handle);
  const email = values.email === undefined ? null : parseEmail('grant list', values.email);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      const grants = email === null ? await listTenantGrants(db, tenant.id) : await listGrants(db, tenant.id, email);
      const text = grants.length ? grantTable(grants) : `no grants at ${handle}${email ? ` for ${email}` : ''}`;
      return { json: { grants }, text };
    },
  };
}

function grantTable(grants: Grant[]): string {
  return table(
    ['EMAIL', 'RESOURCE', 'KIND', 'TITLE', 'ORDER', 'GRANTED', 'EXPIRES'],
    grants.map((g) => [g.email, g.resource, g.kind, g.title ?? '-', g.orderId ?? '-', when(g.grantedAt), when(g.expiresAt)]),
  );
}
