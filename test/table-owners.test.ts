// One owner per table: every statement that writes a table (insert into, update, delete from) is in
// the module that owns it; everyone else — the console included — calls the owner's functions. A
// statement made of several tables' writes (the sign-in request, consume, the outbox's record of a
// group) is composed of the owners' parts (`visitorUpsert`, `auditInsert`, `sessionInsert`,
// `outboxInsert`, `LINKS_STARTED`), so each write's text still lives in its owner: one round trip,
// and no exception in the map below. A new table must be given an owner here.
import { describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dir, '..');

/** table → the file or folder (ending in /) whose statements may write it. */
export const TABLE_OWNERS: Readonly<Record<string, string>> = {
  tenants: 'src/tenants/',
  visitors: 'src/visitors/',
  visitor_emails: 'src/visitors/',
  visitor_email_changes: 'src/visitors/',
  magic_links: 'src/magic-link/',
  pending_sign_ins: 'src/magic-link/',
  sessions: 'src/sessions/',
  mail_outbox: 'src/mail/outbox.ts',
  security_events: 'src/audit/',
  audit_events: 'src/audit/',
  request_log: 'src/audit/',
  pats: 'src/credentials/',
  jwt_keys: 'src/credentials/',
  grants: 'src/access/grants.ts',
  handoffs: 'src/handoffs/',
  passkeys: 'src/passkeys/',
  passkey_challenges: 'src/passkeys/',
  rate_limit_policies: 'src/limits/',
  rate_limit_overrides: 'src/limits/',
  rate_limit_counters: 'src/limits/',
  idempotency_keys: 'src/idempotency/',
  support_reports: 'src/support/',
  escalations: 'src/support/',
  content_reports: 'src/support/',
  operators: 'src/console/operators.ts',
  operator_tenants: 'src/console/operators.ts',
  console_sessions: 'src/console/session-queries.ts',
  schema_migrations: 'src/db/migrate.ts',
  webhook_endpoints: 'src/webhooks/',
  webhook_deliveries: 'src/webhooks/',
  erasure_codes: 'src/privacy/',
};

export type Write = { table: string; verb: 'insert' | 'update' | 'delete' | 'truncate' | 'merge'; file: string; line: number };

/**
 * The SQL of every `sql` template in a source file: its literal parts, each `${…}` replaced by a
 * space (a nested `sql` template in it is found on its own), with the line it starts on.
 */
export function sqlTemplates(source: string): { text: string; line: number }[] {
  const found: { text: string; line: number }[] = [];
  const tag = /(^|[^\w.$`])sql`/g;
  for (let match = tag.exec(source); match; match = tag.exec(source)) {
    const start = match.index + match[0].length; // just after the backtick
    const lineStart = source.lastIndexOf('\n', match.index) + 1;
    const before = source.slice(lineStart, match.index + match[1]!.length).trimStart();
    if (before.startsWith('//') || before.startsWith('*') || before.startsWith('/*')) continue; // a comment naming the tag
    const { text } = readTemplate(source, start);
    found.push({ text, line: source.slice(0, match.index).split('\n').length });
  }
  return found;
}

/** Reads a template literal from just after its backtick: its literal text and where it ends. */
function readTemplate(source: string, from: number): { text: string; end: number } {
  let text = '';
  let i = from;
  while (i < source.length) {
    const char = source[i]!;
    if (char === '\\') {
      text += source.slice(i, i + 2);
      i += 2;
    } else if (char === '`') {
      return { text, end: i + 1 };
    } else if (char === '$' && source[i + 1] === '{') {
      i = skipExpression(source, i + 2);
      text += ` ${HOLE} `;
    } else {
      text += char;
      i++;
    }
  }
  return { text, end: i };
}

/** Skips a `${…}` expression (strings and nested templates included); returns the index after its `}`. */
function skipExpression(source: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < source.length) {
    const char = source[i]!;
    if (char === '`') i = readTemplate(source, i + 1).end;
    else if (char === "'" || char === '"') {
      i++;
      while (i < source.length && source[i] !== char) i += source[i] === '\\' ? 2 : 1;
      i++;
    } else {
      if (char === '{') depth++;
      if (char === '}' && --depth === 0) return i + 1;
      i++;
    }
  }
  return i;
}

/** What stands for a `${…}` in a template's text. */
const HOLE = '\u0000';
const IDENT = String.raw`("?[a-z_][a-z0-9_]*"?(?:\."?[a-z_][a-z0-9_]*"?)?|\u0000)`; // a name, or a ${…}
const WRITES: { verb: Write['verb']; pattern: RegExp }[] = [
  { verb: 'insert', pattern: new RegExp(String.raw`\binsert\s+into\s+${IDENT}`, 'gi') },
  { verb: 'delete', pattern: new RegExp(String.raw`\bdelete\s+from\s+(?:only\s+)?${IDENT}`, 'gi') },
  { verb: 'truncate', pattern: new RegExp(String.raw`\btruncate\s+(?:table\s+)?(?:only\s+)?${IDENT}`, 'gi') },
  { verb: 'merge', pattern: new RegExp(String.raw`\bmerge\s+into\s+${IDENT}`, 'gi') },
  // Not `on conflict … do update set` (the inserted table), nor a row lock (`for [no key] update`).
  { verb: 'update', pattern: new RegExp(String.raw`(?<!\bdo\s+)(?<!\bfor\s+)(?<!\bkey\s+)\bupdate\s+(?:only\s+)?${IDENT}`, 'gi') },
];

/** The tables an SQL text writes. A table named by a `${…}` is reported as `?` (no owner can hold it). */
export function writesIn(text: string): { table: string; verb: Write['verb']; offset: number }[] {
  const writes: { table: string; verb: Write['verb']; offset: number }[] = [];
  for (const { verb, pattern } of WRITES) {
    for (const match of text.matchAll(pattern)) {
      const name = match[1]!.trim().replaceAll('"', '').toLowerCase();
      writes.push({ table: name === HOLE ? '?' : name.replace(/^public\./, ''), verb, offset: match.index });
    }
  }
  return writes.sort((a, b) => a.offset - b.offset);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Every write in the sources under `dir`, with the file (relative to the repository) and line. */
export function writesUnder(dir: string): Write[] {
  return sourceFiles(dir).flatMap((path) => {
    const file = relative(ROOT, path);
    return sqlTemplates(readFileSync(path, 'utf8')).flatMap(({ text, line }) =>
      writesIn(text).map((w) => ({ table: w.table, verb: w.verb, file, line: line + text.slice(0, w.offset).split('\n').length - 1 })),
    );
  });
}

export function ownsFile(owner: string, file: string): boolean {
  return owner.endsWith('/') ? file.startsWith(owner) : file === owner;
}

/** Writes outside their table's owner (or of a table without one), as readable lines. */
export function violations(writes: Write[], owners: Readonly<Record<string, string>> = TABLE_OWNERS): string[] {
  return writes.flatMap((w) => {
    const owner = owners[w.table];
    if (!owner) return [`${w.file}:${w.line}: ${w.verb} of "${w.table}", a table without an owner in test/table-owners.test.ts`];
    return ownsFile(owner, w.file) ? [] : [`${w.file}:${w.line}: ${w.verb} of "${w.table}" outside its owner ${owner}`];
  });
}

/** The tables the migrations create. */
function migratedTables(): string[] {
  const dir = join(ROOT, 'sql');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .flatMap((name) =>
      [...readFileSync(join(dir, name), 'utf8').matchAll(/\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)/gi)].map((m) =>
        m[1]!.toLowerCase(),
      ),
    );
}

describe('table owners', () => {
  it('every write of a table (insert into / update / delete from) in src/ is in the module that owns the table', () => {
    const writes = writesUnder(join(ROOT, 'src'));
    expect(writes.length).toBeGreaterThan(40); // the scan sees the statements at all
    expect(violations(writes)).toEqual([]);
  });

  it('every table the migrations create has an owner, and every owner names a real table', () => {
    const tables = [...new Set(migratedTables())].sort();
    expect(tables.filter((t) => !TABLE_OWNERS[t])).toEqual([]);
    expect(Object.keys(TABLE_OWNERS).filter((t) => t !== 'schema_migrations' && !tables.includes(t))).toEqual([]);
  });

  it('finds writes in CTEs, `update … set` with an alias, `delete from`, and not the update of `on conflict do update` or a row lock', () => {
    const text = sqlTemplates(`
      const q = sql\`
        with a as (insert into visitors (email) values (\${email}) on conflict (email) do update set email = excluded.email returning id),
        b as (update magic_links l set used_at = \${now} from a where l.id = a.id returning l.id),
        c as (select id from mail_outbox for update skip locked),
        d as (select id from mail_outbox for no key update)
        delete from sessions where id in (select id from b)\`;
      // a comment naming sql\`insert into grants\` is no statement
      const nested = sql\`\${sql\`update   "tenants" set name = 'x'\`} select 1\`;
      const dynamic = sql\`insert into \${table} values (1)\`;
    `).flatMap(({ text }) => writesIn(text).map((w) => `${w.verb} ${w.table}`));
    expect(text.sort()).toEqual(['delete sessions', 'insert ?', 'insert visitors', 'update magic_links', 'update tenants'].sort());
  });

  it('reports a write outside its owner, and a write of a table without an owner', () => {
    const planted: Write[] = [
      { table: 'sessions', verb: 'update', file: 'src/console/session-queries.ts', line: 3 },
      { table: 'sessions', verb: 'update', file: 'src/sessions/queries.ts', line: 7 },
      { table: 'audit_events', verb: 'insert', file: 'src/mail/outbox.ts', line: 9 },
      { table: 'brand_new', verb: 'insert', file: 'src/tenants/tenants.ts', line: 11 },
    ];
    expect(violations(planted)).toEqual([
      'src/console/session-queries.ts:3: update of "sessions" outside its owner src/sessions/',
      'src/mail/outbox.ts:9: insert of "audit_events" outside its owner src/audit/',
      'src/tenants/tenants.ts:11: insert of "brand_new", a table without an owner in test/table-owners.test.ts',
    ]);
  });
});

// Import boundaries (no feature imports another feature's queries module, no cycles) are checked
// with the whole import graph in test/import-graph.test.ts.
