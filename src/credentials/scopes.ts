// Scopes a server credential may hold. operator:* only on service PATs (no tenant).
export const TENANT_SCOPES = [
  'access:read',
  'access:write',
  'visitor:write',
  'support:read',
  'webhooks:read',
  'webhooks:write',
  'handoff:write',
  'visitor:delete',
] as const;
export const OPERATOR_SCOPES = ['operator:read', 'operator:escalate'] as const;
export type Scope = (typeof TENANT_SCOPES)[number] | (typeof OPERATOR_SCOPES)[number];

const ALL = new Set<string>([...TENANT_SCOPES, ...OPERATOR_SCOPES]);

export function isScope(value: string): value is Scope {
  return ALL.has(value);
}

export function isOperatorScope(value: string): boolean {
  return (OPERATOR_SCOPES as readonly string[]).includes(value);
}
