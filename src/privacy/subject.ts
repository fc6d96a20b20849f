// Whose personal data an export or an erasure is about, and the shape of one feature's part in
// them. Each feature that holds personal data exports one `PersonalData` (its own SQL, in its own
// folder); privacy/personal-data.ts lists them. This module imports nothing but the Db type, so
// every feature may import it without a cycle.
import type { Db } from '../db/db.ts';

/**
 * A visitor of one tenant: its id (null when no visitor row exists); `emails`, every address it
 * holds (primary and verified further ones, normalised: their grants are its grants); `named`, those
 * and every other address its rows name (additions never verified, addresses a primary change
 * replaced) — mail and free text are erased for all of them, grants only for the held ones.
 */
export type DataSubject = { tenantId: string; visitorId: string | null; emails: readonly string[]; named: readonly string[] };

/**
 * One erasure: `pseudonym` (`erased:<random id>`) replaces the visitor in the rows kept for the
 * record (audit, security events); `addressPattern` is a case-insensitive regular expression that
 * matches any of the addresses inside free text (JSON details, paths, bodies).
 */
export type Erasure = DataSubject & { pseudonym: string; addressPattern: string; now: Date; requestId: string };

export type PersonalData = {
  /** The export's key for what this part holds (parts without an export have none). */
  name: string;
  /** What this part holds about the subject, as plain JSON (ids, times, states — never a token, hash or secret). */
  export?: (db: Db, subject: DataSubject & { visitorId: string }) => Promise<unknown>;
  /** Removes or pseudonymises it, inside the erasure's one transaction. */
  erase: (tx: Db, erasure: Erasure) => Promise<void>;
};
