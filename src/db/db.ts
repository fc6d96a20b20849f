// The one data-layer interface: real PostgreSQL (postgres.js) and embedded PGlite both implement it.
import type { Query } from './sql.ts';

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  /** Connections the pool may open (metrics); unknown for a handle that wraps another. */
  readonly poolSize?: number;
  /** All rows of one statement. */
  many<Row>(query: Query): Promise<Row[]>;
  /** The first row, or undefined. */
  one<Row>(query: Query): Promise<Row | undefined>;
  /** Runs several statements separated by `;` (migrations only; no parameters). */
  exec(text: string): Promise<void>;
  /** A transaction; inside it, `tx.transaction` just reuses the same one (never nested). */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** True for errors that mean "the database cannot be reached right now" (→ 503, never 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'CONNECT_TIMEOUT',
      'CONNECTION_CLOSED',
      'CONNECTION_ENDED',
      'CONNECTION_DESTROYED',
      'database_closed',
    ].includes(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin_shutdown (pg_terminate_backend)
    code === '57P02' ||
    code === '57P03' || // cannot_connect_now
    code === '53300' // too_many_connections
  );
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
