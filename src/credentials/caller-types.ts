// The types shared by caller.ts and jwt.ts, apart so that jwt.ts (imported by caller.ts) need not
// import caller.ts back: no import cycle, not even a type-only one.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/db.ts';
import type { KeyRing } from '../tokens/keys.ts';

export type ServerCaller = {
  kind: 'pat' | 'jwt';
  /** PAT id or JWT key id: what audit lines and idempotency scopes name. */
  id: string;
  /** null for service (operator) PATs. */
  tenantId: string | null;
  scopes: ReadonlySet<string>;
};

export type CredentialDeps = { db: Db; keys: KeyRing; clock: Clock };
