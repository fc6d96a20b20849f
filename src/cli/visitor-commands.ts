// `visitors export|erase`: what the service holds about a buyer at one storefront, for an operator
// answering a buyer's request (the same JSON as GET /v2/visitor/export), and the erasure the
// storefront's DELETE /v2/access/visitors does. Running services forget the visitor's sessions at
// the edge within EDGE_CACHE_SECONDS.
import { systemClock } from '../clock.ts';
import { eraseVisitor, exportVisitor } from '../privacy/personal-data.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { parseHandleFlag, requireFlag, requireTenant } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command } from './command.ts';

const FLAGS = { handle: { type: 'string' }, email: { type: 'string' }, json: { type: 'boolean' } } as const;

export function visitorCommand(args: string[]): Command {
  const [verb, ...rest] = args;
  if (verb !== 'export' && verb !== 'erase') {
    throw invalidArgument(`${verb ? `unknown verb "visitors ${verb}"` : 'missing verb'}: use visitors export|erase`);
  }
  const { values } = parseVerbArgs(`visitors ${verb}`, rest, FLAGS, []);
  const handle = parseHandleFlag(`visitors ${verb}`, values.handle);
  const raw = requireFlag(`visitors ${verb}`, 'email', values.email);
  const email = normaliseEmail(raw);
  if (!email) throw invalidArgument(`--email "${raw}" is not a valid email address`);
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      if (verb === 'export') {
        const held = await exportVisitor({ db, clock: systemClock }, tenant, email);
        if (!held) throw new CliError('visitor_not_found', `no visitor ${email} at ${handle}`);
        return { json: held, text: JSON.stringify(held, null, 2) };
      }
      const requestId = `cli_${crypto.randomUUID().replaceAll('-', '')}`;
      const { erased, pseudonym } = await eraseVisitor({ db, clock: systemClock }, { tenantId: tenant.id, email, requestId, actor: 'cli' });
      return {
        json: { erased, pseudonym, requestId },
        text: erased
          ? `erased ${email} at ${handle}; audit and security rows are kept as ${pseudonym} (request ${requestId})`
          : `nothing held for the visitor ${email} at ${handle}; its grants and mail, if any, are erased (request ${requestId})`,
      };
    },
  };
}
