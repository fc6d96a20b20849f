// What a CLI verb is: its arguments are parsed and validated first (no database touched, so a
// typo fails fast and never creates a DATA_DIR), then it runs on an open database and returns
// both its JSON object and its human text. Expected failures are CliErrors with a stable code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config.ts';
import type { Db } from '../db/db.ts';

export type CommandResult = { json: object; text: string };

export type Command = {
  /** Only `migrate` runs on a schema that is behind; every other verb refuses to. */
  needsCurrentSchema: boolean;
  run(db: Db, config: Config): Promise<CommandResult>;
};

/** Codes are what scripts match on (`--json`): append only, never rename. */
export type CliErrorCode =
  | 'invalid_argument'
  | 'unknown_handle'
  | 'tenant_exists'
  | 'host_taken'
  | 'migrations_pending'
  | 'data_dir_busy'
  | 'config_error'
  | 'database_unavailable'
  | 'internal_error'
  | 'pat_not_found'
  | 'jwt_key_not_found'
  | 'grant_not_found'
  | 'operator_not_found'
  | 'webhook_endpoint_not_found'
  | 'webhook_delivery_not_found'
  | 'invalid_webhook_url'
  | 'visitor_not_found';

export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function invalidArgument(message: string): CliError {
  return new CliError('invalid_argument', message);
}

/** Runs the command `args[0]` names among `verbs`; a missing or unknown verb answers with the ones there are. */
export function dispatchVerb(noun: string, args: string[], verbs: Record<string, (rest: string[]) => Command>): Command {
  const [verb, ...rest] = args;
  const run = verb !== undefined && Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (run) return run(rest);
  throw invalidArgument(`${verb ? `unknown verb "${noun} ${verb}"` : 'missing verb'}: use ${noun} ${Object.keys(verbs).join('|')}`);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, with its errors turned into one-line `invalid_argument`s. */
export function parseVerbArgs<O extends Options>(verb: string, args: string[], options: O, positionals: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw invalidArgument(`${verb}: ${(error as Error).message}`);
  }
  if (parsed.positionals.length !== positionals.length) {
    const usage = [verb, ...positionals.map((p) => `<${p}>`)].join(' ');
    throw invalidArgument(
      parsed.positionals.length < positionals.length
        ? `missing <${positionals[parsed.positionals.length]}>: usage: ${usage} …`
        : `unexpected argument "${parsed.positionals[positionals.length]}": usage: ${usage} …`,
    );
  }
  return parsed;
}
