// `bun run cli …`: operator verbs, reading the same env as the service. Arguments are validated
// before the database is opened; with --json every verb prints one JSON object on stdout; any
// failure is one line (a JSON error on stdout with --json, else text on stderr) and exit code 1.
import process from 'node:process';
import { CliError, invalidArgument, type Command, type CommandResult } from './cli/command.ts';
import { grantCommand } from './cli/grant-commands.ts';
import { jwtKeyCommand } from './cli/jwt-key-commands.ts';
import { migrateCommand } from './cli/migrate-command.ts';
import { operatorCommand } from './cli/operator-commands.ts';
import { limitCommand } from './cli/limit-commands.ts';
import { patCommand } from './cli/pat-commands.ts';
import { tenantCommand } from './cli/tenant-commands.ts';
import { visitorCommand } from './cli/visitor-commands.ts';
import { webhookCommand } from './cli/webhook-commands.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { isDatabaseUnavailable, type Db } from './db/db.ts';
import { migrationsCurrent } from './db/migrate.ts';
import { DataDirBusyError, openDatabase } from './db/open.ts';

const USAGE = `usage: bun run cli <verb> [flags] [--json]

  tenant add <handle> --origin <url>… --gated </prefix/>… [--host <hostname>…]
                      [--name "Shop"] [--from "Name <addr>"] [--link-ttl N] [--session-ttl N]
                      [--support-can-edit-grants yes|no]   support operators may edit grants (default no)
                      [--locale en|de]   default language of shopper pages and mail (default en)
                      [--logo-url https://… --logo-width PX --logo-height PX]   together (1–600 × 1–300)
                      [--accent-color #rrggbb]   white text on it must meet WCAG AA (4.5:1)
                      [--support-contact <email or https URL>]
  tenant update <handle> [same flags]   repeatable flags replace the list; --from "" and
                                        --link-ttl/--session-ttl default return to the env value;
                                        --logo-url "", --accent-color "", --support-contact "" clear
  tenant list
  tenant show <handle>

  pat create --handle <h> --scopes a,b [--name n]     a storefront PAT; the token is shown once
  pat create --operator --scopes operator:read,operator:escalate [--name n]
                                                      a service PAT (operator scopes only)
  pat list                                            never shows tokens
  pat revoke <id>

  jwt-key add --handle <h> --alg HS256|ES256|EdDSA --key-file <path|->
                                      prints the kid to put in the JWT header; "-" reads stdin.
                                      HS256: a secret of ≥ 32 bytes; ES256/EdDSA: the PUBLIC key
                                      (PEM "BEGIN PUBLIC KEY" or JWK); private keys are refused
  jwt-key list
  jwt-key remove <kid>

  grant add --handle <h> --email <e> --resource </path or /prefix/*> [--kind content|order]
            [--title t] [--order-id o] [--expires-at 2027-01-31T23:59:59Z]
  grant remove --handle <h> --email <e> --resource <r>
  grant list --handle <h> [--email e]

  operator add <email> --role support|admin [--tenant <handle>]…
                                      a person who uses the support console (/console/); support
                                      sees only the --tenant storefronts, admin sees all. Again for
                                      the same email: replaces the role and tenants
  operator list
  operator remove <email>             also ends their console sessions

  limit list --handle <h>             every policy's quota for this storefront (docs/limits.md)
  limit set --handle <h> --policy <name> --quota <n>
  limit clear --handle <h> --policy <name>

  webhook endpoint add --handle <h> --url <https://…> --events a,b|"*" [--description d] [--include-email]
                                      the signing secret (whsec_…) is shown once
  webhook endpoint list --handle <h>  never shows secrets
  webhook endpoint remove <id> --handle <h>
  webhook endpoint rotate <id> --handle <h>
                                      a new secret, shown once; the old one also signs for 24 h
  webhook deliveries [--handle <h>] [--dead]
  webhook resend <id>                 a dead (or delivered) delivery goes out again, same webhook-id

  visitors export --handle <h> --email <e>
                                      everything held about the buyer at this storefront (JSON),
                                      as GET /v2/visitor/export gives the buyer
  visitors erase --handle <h> --email <e>
                                      erases the buyer (as DELETE /v2/access/visitors); audit and
                                      security rows are kept pseudonymised (docs/security.md)

  migrate

Repeat a flag for several values (--origin https://a.example --origin https://b.example).
--host defaults to the hostnames of the origins; the first origin is the public one.
Tenant scopes: access:read, access:write, visitor:write, support:read, webhooks:read, webhooks:write, handoff:write, visitor:delete (docs/credentials.md).`;

function parseCommand(argv: string[]): Command {
  const [verb, ...rest] = argv;
  if (verb === 'tenant') return tenantCommand(rest);
  if (verb === 'pat') return patCommand(rest);
  if (verb === 'jwt-key') return jwtKeyCommand(rest);
  if (verb === 'grant') return grantCommand(rest);
  if (verb === 'operator') return operatorCommand(rest);
  if (verb === 'limit') return limitCommand(rest);
  if (verb === 'webhook') return webhookCommand(rest);
  if (verb === 'visitors') return visitorCommand(rest);
  if (verb === 'migrate') return migrateCommand(rest);
  throw invalidArgument(
    `${verb === undefined || verb.startsWith('-') ? 'missing verb' : `unknown verb "${verb}"`}: use tenant, pat, jwt-key, grant, operator, limit, webhook, visitors or migrate (see --help)`,
  );
}

async function requireCurrentSchema(db: Db): Promise<void> {
  let current = false;
  try {
    current = await migrationsCurrent(db);
  } catch (error) {
    // 42P01 undefined_table: a database that was never migrated.
    if ((error as { code?: unknown }).code !== '42P01') throw error;
  }
  if (!current) throw new CliError('migrations_pending', 'the database schema is not current: run `bun run cli migrate` first');
}

async function execute(command: Command, config: Config): Promise<CommandResult> {
  const db = await openDatabase(config);
  try {
    if (command.needsCurrentSchema) await requireCurrentSchema(db);
    return await command.run(db, config);
  } finally {
    await db.close();
  }
}

function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ConfigError) return new CliError('config_error', error.message);
  if (error instanceof DataDirBusyError) return new CliError('data_dir_busy', `${error.message}; nothing was changed`);
  const message = (error as Error)?.message ?? String(error);
  if (isDatabaseUnavailable(error)) return new CliError('database_unavailable', `the database is unreachable: ${message}`);
  return new CliError('internal_error', message);
}

async function main(argv: string[]): Promise<number> {
  const flags = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  const json = flags.includes('--json');
  if (flags.includes('--help') || flags.includes('-h') || argv[0] === 'help') {
    console.log(USAGE);
    return 0;
  }
  try {
    const command = parseCommand(argv);
    const result = await execute(command, loadConfig(process.env));
    console.log(json ? JSON.stringify(result.json) : result.text);
    return 0;
  } catch (error) {
    const { code, message } = toCliError(error);
    const line = message.replace(/\s*\n\s*/g, ' ');
    if (json) console.log(JSON.stringify({ error: { code, message: line } }));
    else console.error(`error: ${line}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
