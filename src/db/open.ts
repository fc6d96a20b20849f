// Chooses the database: DATABASE_URL → real PostgreSQL; otherwise embedded PGlite in DATA_DIR,
// guarded by a pid lock file because only one process may hold a PGlite data folder.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

export class DataDirBusyError extends Error {
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by process ${pid} (stop it, or set DATABASE_URL)`);
    this.name = 'DataDirBusyError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockFile = `${dir}/pglite.pid`;
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) throw new DataDirBusyError(dir, holder);
    // Stale: its process is gone.
    writeFileSync(lockFile, String(process.pid));
  }
  return () => rmSync(lockFile, { force: true });
}

export async function openDatabase(config: Config): Promise<Db> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  const unlock = lockDataDir(config.dataDir);
  try {
    const { db } = await openPglite({ dataDir: `${config.dataDir}/pglite` });
    const close = db.close.bind(db);
    return Object.assign(db, {
      async close() {
        await close();
        unlock();
      },
    });
  } catch (error) {
    unlock();
    throw error;
  }
}
