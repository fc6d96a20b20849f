// Operators: people who use the support console, and what each may see. Every SQL statement about
// operators. `support` sees the tenants listed for it; `admin` sees every (non-internal) tenant.
import type { Db } from '../db/db.ts';
import { sql } from '../db/sql.ts';
import { revokeSessions } from '../sessions/sessions.ts';
import { ensureConsoleTenant } from './console-tenant.ts';

export type OperatorRole = 'support' | 'admin';
export const OPERATOR_ROLES: readonly OperatorRole[] = ['support', 'admin'];

export type Operator = {
  id: string;
  email: string;
  role: OperatorRole;
  /** Handles of the tenants a support operator sees (empty for admins: they see all). */
  tenants: string[];
  createdAt: string;
};

type OperatorRow = { id: string; email: string; role: OperatorRole; tenants: string[] | null; created_at: Date };

// Handles are read as JSON: the same on both drivers (postgres.js runs without fetching array types).
const COLUMNS = sql`o.id, o.email, o.role, o.created_at,
  (select coalesce(json_agg(t.handle order by t.handle), '[]'::json)
   from operator_tenants ot join tenants t on t.id = ot.tenant_id where ot.operator_id = o.id) as tenants`;

function toOperator(row: OperatorRow): Operator {
  return { id: row.id, email: row.email, role: row.role, tenants: row.tenants ?? [], createdAt: new Date(row.created_at).toISOString() };
}

/** Adds an operator, or replaces the role and tenants of the live one with this email. */
export async function upsertOperator(
  db: Db,
  input: { email: string; role: OperatorRole; tenantIds: string[]; now: Date },
): Promise<{ operator: Operator; created: boolean }> {
  await ensureConsoleTenant(db);
  return db.transaction(async (tx) => {
    const row = await tx.one<{ id: string; created: boolean }>(sql`
      insert into operators (email, role, created_at, updated_at)
      values (${input.email}, ${input.role}, ${input.now}, ${input.now})
      on conflict (email) where removed_at is null do update
        set role = excluded.role, updated_at = excluded.updated_at
      returning id, (xmax = 0) as created`);
    await tx.many(sql`delete from operator_tenants where operator_id = ${row!.id}::uuid`);
    if (input.role === 'support') {
      await tx.many(sql`
        insert into operator_tenants (operator_id, tenant_id)
        select ${row!.id}::uuid, id from unnest(${input.tenantIds}::uuid[]) as id
        on conflict do nothing`);
    }
    const operator = await tx.one<OperatorRow>(sql`select ${COLUMNS} from operators o where o.id = ${row!.id}::uuid`);
    return { operator: toOperator(operator!), created: row!.created };
  });
}

export async function listOperators(db: Db): Promise<Operator[]> {
  const rows = await db.many<OperatorRow>(sql`select ${COLUMNS} from operators o where o.removed_at is null order by o.email`);
  return rows.map(toOperator);
}

export async function findOperatorByEmail(db: Db, email: string): Promise<Operator | null> {
  const row = await db.one<OperatorRow>(sql`select ${COLUMNS} from operators o where o.email = ${email} and o.removed_at is null`);
  return row ? toOperator(row) : null;
}

/** Marks the operator removed (kept for the audit trail) and ends their console sessions at once. */
export async function removeOperator(db: Db, email: string, now: Date): Promise<{ operator: Operator; sessionsEnded: number } | null> {
  return db.transaction(async (tx) => {
    const row = await tx.one<OperatorRow>(sql`
      update operators o set removed_at = ${now}, updated_at = ${now}
      where o.email = ${email} and o.removed_at is null
      returning ${COLUMNS}`);
    if (!row) return null;
    // The sessions feature revokes; within this transaction, so removal and revocation commit together.
    const sessionsEnded = await revokeSessions(tx, await consoleSessionIdsOf(tx, row.id), now);
    return { operator: toOperator(row), sessionsEnded };
  });
}

/** id → email of these operators (removed ones included: the audit trail still names them). */
export async function operatorEmails(db: Db, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (unique.length === 0) return new Map();
  const rows = await db.many<{ id: string; email: string }>(sql`select id, email from operators where id = any(${unique}::uuid[])`);
  return new Map(rows.map((r) => [r.id, r.email]));
}

/** The sessions an operator holds (to end them with the operator). */
async function consoleSessionIdsOf(db: Db, operatorId: string): Promise<string[]> {
  const rows = await db.many<{ session_id: string }>(sql`select session_id from console_sessions where operator_id = ${operatorId}::uuid`);
  return rows.map((r) => r.session_id);
}
