// `limit list|set|clear`: a storefront's operational limits (docs/limits.md has the defaults).
// Running services re-read policies within ~10 s.
import { clearOverride, loadPolicies, overridesOf, setOverride } from '../limits/policies.ts';
import { parseHandleFlag, requireFlag, requireTenant, table } from './cli-flags.ts';
import { CliError, invalidArgument, parseVerbArgs, type Command } from './command.ts';

const FLAGS = { handle: { type: 'string' }, policy: { type: 'string' }, quota: { type: 'string' }, json: { type: 'boolean' } } as const;

export function limitCommand(args: string[]): Command {
  const [verb, ...rest] = args;
  if (verb !== 'list' && verb !== 'set' && verb !== 'clear') {
    throw invalidArgument(`${verb ? `unknown verb "limit ${verb}"` : 'missing verb'}: use limit list|set|clear`);
  }
  const { values } = parseVerbArgs(`limit ${verb}`, rest, FLAGS, []);
  const handle = parseHandleFlag(`limit ${verb}`, values.handle);
  const policyName = verb === 'list' ? null : requireFlag(`limit ${verb}`, 'policy', values.policy);
  let quota: number | null = null;
  if (verb === 'set') {
    const raw = requireFlag('limit set', 'quota', values.quota);
    if (!/^\d{1,9}$/.test(raw)) throw invalidArgument(`--quota "${raw}" must be a whole number ≥ 0`);
    quota = Number(raw);
  }
  return {
    needsCurrentSchema: true,
    async run(db) {
      const tenant = await requireTenant(db, handle);
      const defaults = await loadPolicies(db, null);
      if (policyName !== null && !defaults.some((p) => p.name === policyName)) {
        throw new CliError('invalid_argument', `--policy "${policyName}" is not a policy: see \`limit list\` or docs/limits.md`);
      }
      if (verb === 'set') await setOverride(db, tenant.id, policyName!, quota!);
      if (verb === 'clear') await clearOverride(db, tenant.id, policyName!);
      const overrides = await overridesOf(db, tenant.id);
      const limits = defaults.map((p) => ({
        policy: p.name,
        quota: overrides.get(p.name) ?? p.quota,
        defaultQuota: p.quota,
        windowSeconds: p.windowSeconds,
        overridden: overrides.has(p.name),
      }));
      const rows = limits.map((l) => [
        l.policy,
        String(l.quota),
        l.overridden ? `override (default ${l.defaultQuota})` : 'default',
        `${l.windowSeconds} s`,
      ]);
      return { json: { handle, limits }, text: table(['policy', 'quota', 'source', 'window'], rows) };
    },
  };
}
