import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { migrate, listMigrations, migrationsCurrent } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { sql } from '../src/db/sql.ts';
import { freshDatabase, usingPostgres, type TestDatabase } from './support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database.drop());

describe('migrations', () => {
  it('are numbered files applied once each and recorded', async () => {
    const files = listMigrations();
    expect(files.map((m) => m.version)).toEqual(files.map((_, i) => String(i + 1).padStart(4, '0')));
    expect(await migrate(database.db)).toEqual([]); // already applied by freshDatabase
    const rows = await database.db.many<{ version: string }>(sql`select version from schema_migrations order by version`);
    expect(rows.map((r) => r.version)).toEqual(files.map((m) => m.version));
    expect(await migrationsCurrent(database.db)).toBe(true);
  });

  it.skipIf(!usingPostgres)('let two instances start together on one PostgreSQL without racing (advisory lock)', async () => {
    // A brand-new database, migrated by two separate connection pools at the same moment.
    const { default: postgres } = await import('postgres');
    const name = `va_mig_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    const a = openPostgres(url.href);
    const b = openPostgres(url.href);
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      expect(appliedA.length + appliedB.length).toBe(listMigrations().length);
      expect(Math.min(appliedA.length, appliedB.length)).toBe(0);
      const [row] = await a.many<{ count: number }>(sql`select count(*)::int as count from schema_migrations`);
      expect(row!.count).toBe(listMigrations().length);
    } finally {
      await a.close();
      await b.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
