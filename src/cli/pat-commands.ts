// `pat create|list|revoke`: personal access tokens for storefront servers (--handle, tenant scopes)
// and operators (--operator: service PATs, the only kind that may hold operator:* scopes).
// The token is printed once, by `create`; nothing else ever shows it (only its hash is stored).
import { systemClock } from '../clock.ts';
import { createPat, listPats, revokePat, type Pat } from '../credentials/pats.ts';
import { isOperatorScope, isScope, OPERATOR_SCOPES, TENANT_SCOPES } from '../credentials/scopes.ts';
import { parseHandleFlag, parseText, requireTenant, table, when } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command, dispatchVerb } from './command.ts';

const CREATE_FLAGS = {
  handle: { type: 'string' },
  operator: { type: 'boolean' },
  scopes: { type: 'string', multiple: true },
  name: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const JSON_ONLY = { json: { type: 'boolean' } } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function patCommand(args: string[]): Command {
  return dispatchVerb('pat', args, {
    create: createCommand,
    list: listCommand,
    revoke: revokeCommand,
  });
}

/** `--scopes a,b` (or repeated): every scope known, tenant scopes with --handle, operator scopes with --operator. */
function parseScopes(raw: string[] | undefined, operator: boolean): string[] {
  const scopes = [
    ...new Set(
      (raw ?? [])
        .flatMap((value) => value.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const allowed = operator ? OPERATOR_SCOPES : TENANT_SCOPES;
  if (scopes.length === 0) throw invalidArgument(`--scopes is required: a comma-separated list of ${allowed.join(', ')}`);
  const unknown = scopes.find((s) => !isScope(s));
  if (unknown)
    throw invalidArgument(
      `--scopes: unknown scope "${unknown}" (tenant: ${TENANT_SCOPES.join(', ')}; --operator only: ${OPERATOR_SCOPES.join(', ')})`,
    );
  const misplaced = scopes.find((s) => isOperatorScope(s) !== operator);
  if (misplaced) {
    throw invalidArgument(
      operator
        ? `--scopes: "${misplaced}" is a tenant scope; a service PAT (--operator) holds only ${OPERATOR_SCOPES.join(', ')}`
        : `--scopes: "${misplaced}" is only for service PATs: use --operator instead of --handle`,
    );
  }
  return scopes;
}

function createCommand(args: string[]): Command {
  const { values } = parseVerbArgs('pat create', args, CREATE_FLAGS, []);
  const operator = values.operator ?? false;
  if (operator && values.handle !== undefined)
    throw invalidArgument('pat create: give --handle (a storefront PAT) or --operator (a service PAT), not both');
  if (!operator && values.handle === undefined) throw invalidArgument('pat create: --handle is required (or --operator for a service PAT)');
  const handle = operator ? null : parseHandleFlag('pat create', values.handle);
  const scopes = parseScopes(values.scopes, operator);
  const name = values.name === undefined ? '' : parseText('name', values.name, 100);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenantId = handle === null ? null : (await requireTenant(db, handle)).id;
      const { pat, token } = await createPat(db, { tenantId, name, scopes });
      const owner = handle === null ? 'a service PAT (operator)' : `tenant ${handle}`;
      return {
        json: { id: pat.id, token },
        text: `created PAT ${pat.id} for ${owner}, scopes ${scopes.join(' ')}\n\n  ${token}\n\nStore this token now: it is shown only once.`,
      };
    },
  };
}

function listCommand(args: string[]): Command {
  parseVerbArgs('pat list', args, JSON_ONLY, []);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const pats = await listPats(db);
      return { json: { pats }, text: patTable(pats) };
    },
  };
}

function revokeCommand(args: string[]): Command {
  const { positionals } = parseVerbArgs('pat revoke', args, JSON_ONLY, ['id']);
  const id = positionals[0]!;
  if (!UUID.test(id)) throw invalidArgument(`<id> "${id}" is not a PAT id (the UUID that pat create and pat list print)`);
  return {
    needsCurrentSchema: true,
    async run(db) {
      if (!(await revokePat(db, id, systemClock.now()))) {
        throw new CliError('pat_not_found', `no live PAT has the id ${id} (unknown or already revoked)`);
      }
      return { json: { id, revoked: true }, text: `revoked PAT ${id}: it stops working at once` };
    },
  };
}

function patTable(pats: Pat[]): string {
  if (pats.length === 0) return 'no PATs (create one: bun run cli pat create --handle <h> --scopes access:read)';
  return table(
    ['ID', 'TENANT', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'],
    pats.map((p) => [
      p.id,
      p.handle ?? '(operator)',
      p.name || '-',
      p.scopes.join(','),
      when(p.createdAt),
      when(p.lastUsedAt),
      p.revokedAt ? `revoked ${when(p.revokedAt)}` : 'active',
    ]),
  );
}
