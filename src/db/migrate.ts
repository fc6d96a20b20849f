// Forward-only migrations from sql/NNNN_*.sql, each applied once, recorded in schema_migrations,
// all under one transaction-scoped advisory lock so instances starting together never race.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';
import { sql } from './sql.ts';

const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
// Arbitrary constant shared by every instance: "visitor-access migrations".
const MIGRATION_LOCK_KEY = 7_203_114_551;

export type Migration = { version: string; name: string; text: string };

export function listMigrations(dir = SQL_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: file.slice(0, 4),
      name: file.replace(/\.sql$/, ''),
      text: readFileSync(`${dir}/${file}`, 'utf8'),
    }));
}

/** Applies what is missing; returns the names applied by this call. */
export async function migrate(db: Db, migrations = listMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.many(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`);
    await tx.exec(`create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const done = new Set((await tx.many<{ version: string }>(sql`select version from schema_migrations`)).map((r) => r.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.text);
      await tx.many(sql`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`);
      applied.push(migration.name);
    }
    return applied;
  });
}

/** For /readyz: are all known migrations applied? */
export async function migrationsCurrent(db: Db, migrations = listMigrations()): Promise<boolean> {
  const [row] = await db.many<{ count: number }>(
    sql`select count(*)::int as count from schema_migrations where version = any(${migrations.map((m) => m.version)}::text[])`,
  );
  return row?.count === migrations.length;
}
