// Rate-limit counters in erasure: a per-email counter's key holds the address
// (`policy|tenant|email|window`). Its windows are short (a day at most); dropping them early only
// forgets how many sign-in mails the address had in the current window.
import { sql } from '../db/sql.ts';
import type { PersonalData } from '../privacy/subject.ts';

export const RATE_LIMIT_DATA: PersonalData = {
  name: 'rateLimitCounters',
  erase: async (tx, erasure) => {
    const parts = erasure.named.map((email) => `|${erasure.tenantId}|${email}|`);
    await tx.many(
      sql`delete from rate_limit_counters where exists (select 1 from unnest(${parts}::text[]) as p(part) where position(p.part in key) > 0)`,
    );
  },
};
