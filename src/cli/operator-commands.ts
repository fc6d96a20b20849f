// `operator add|list|remove`: the people who use the support console. `support` operators see only
// the tenants given with --tenant; `admin`s see every tenant. They sign in at /console/sign-in with
// a link mailed to this address. Removing an operator ends their console sessions at once.
import { systemClock } from '../clock.ts';
import {
  findOperatorByEmail,
  listOperators,
  OPERATOR_ROLES,
  removeOperator,
  upsertOperator,
  type Operator,
  type OperatorRole,
} from '../console/operators.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { requireFlag, requireTenant, table, when } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command, dispatchVerb } from './command.ts';
import { HANDLE } from '../tenants/tenants.ts';

const ADD_FLAGS = {
  role: { type: 'string' },
  tenant: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const JSON_ONLY = { json: { type: 'boolean' } } as const;

export function operatorCommand(args: string[]): Command {
  return dispatchVerb('operator', args, {
    add: addCommand,
    list: listCommand,
    remove: removeCommand,
  });
}

function parseEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (!email) throw invalidArgument(`"${raw}" is not a valid email address`);
  return email;
}

function parseRole(raw: string | undefined): OperatorRole {
  const role = requireFlag('operator add', 'role', raw);
  if (!(OPERATOR_ROLES as readonly string[]).includes(role)) throw invalidArgument(`--role "${role}" must be support or admin`);
  return role as OperatorRole;
}

function addCommand(args: string[]): Command {
  const { values, positionals } = parseVerbArgs('operator add', args, ADD_FLAGS, ['email']);
  const email = parseEmail(positionals[0]!);
  const role = parseRole(values.role);
  const handles = [...new Set(values.tenant ?? [])];
  for (const handle of handles) {
    if (!HANDLE.test(handle)) throw invalidArgument(`--tenant "${handle}" is not a handle: use 1–63 lower-case letters, digits and "-"`);
  }
  if (role === 'support' && handles.length === 0)
    throw invalidArgument('operator add: a support operator needs at least one --tenant <handle> (admins see every tenant)');
  if (role === 'admin' && handles.length > 0)
    throw invalidArgument('operator add: admins see every tenant; --tenant is for support operators');
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenantIds: string[] = [];
      for (const handle of handles) tenantIds.push((await requireTenant(db, handle)).id);
      const { operator, created } = await upsertOperator(db, { email, role, tenantIds, now: systemClock.now() });
      const scope = operator.role === 'admin' ? 'every tenant' : operator.tenants.join(', ');
      return {
        json: { operator, created },
        text: `${created ? 'added' : 'updated'} operator ${operator.email} (${operator.role}: ${scope})\nThey sign in at /console/sign-in with a link mailed to this address.`,
      };
    },
  };
}

function listCommand(args: string[]): Command {
  parseVerbArgs('operator list', args, JSON_ONLY, []);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const operators = await listOperators(db);
      return {
        json: { operators },
        text: operators.length ? operatorTable(operators) : 'no operators (add one: bun run cli operator add <email> --role admin)',
      };
    },
  };
}

function removeCommand(args: string[]): Command {
  const { positionals } = parseVerbArgs('operator remove', args, JSON_ONLY, ['email']);
  const email = parseEmail(positionals[0]!);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const removed = (await findOperatorByEmail(db, email)) ? await removeOperator(db, email, systemClock.now()) : null;
      if (!removed) throw new CliError('operator_not_found', `no operator has the email ${email}`);
      return {
        json: { email, removed: true, sessionsEnded: removed.sessionsEnded },
        text: `removed operator ${email}${removed.sessionsEnded ? ` and ended ${removed.sessionsEnded} console session${removed.sessionsEnded === 1 ? '' : 's'}` : ''}`,
      };
    },
  };
}

function operatorTable(operators: Operator[]): string {
  return table(
    ['EMAIL', 'ROLE', 'TENANTS', 'ADDED', 'ID'],
    operators.map((o) => [o.email, o.role, o.role === 'admin' ? '(all)' : o.tenants.join(','), when(o.createdAt), o.id]),
  );
}
