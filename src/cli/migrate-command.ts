// `migrate`: applies the missing sql/NNNN_*.sql files (the service also does this at start-up,
// under the same advisory lock, so running both at once is safe).
import { migrate } from '../db/migrate.ts';
import { parseVerbArgs, type Command } from './command.ts';

export function migrateCommand(args: string[]): Command {
  parseVerbArgs('migrate', args, { json: { type: 'boolean' } }, []);
  return {
    needsCurrentSchema: false,
    async run(db) {
      const applied = await migrate(db);
      const text = applied.length
        ? `applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:\n${applied.map((name) => `  ${name}`).join('\n')}`
        : 'the schema is current: nothing to apply';
      return { json: { applied }, text };
    },
  };
}
