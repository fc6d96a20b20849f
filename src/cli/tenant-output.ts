// Human output of the tenant verbs: a compact table for `list`, a labelled summary otherwise.
// Unset settings show the env default they follow, so an operator sees the effective value.
import type { Config } from '../config.ts';
import { parseSender } from '../mail/magic-link-mail.ts';
import type { Tenant } from '../tenants/tenants.ts';

function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function setting(value: number | null, fallback: number, envVar: string): string {
  return value === null ? `${duration(fallback)} (default: ${envVar})` : duration(value);
}

export function describeTenant(tenant: Tenant, config: Config): string {
  const rows: [string, string][] = [
    ['handle', tenant.handle],
    ['name', tenant.name],
    ['id', tenant.id],
    ...tenant.origins.map((origin, i): [string, string] => [i === 0 ? 'origins' : '', i === 0 ? `${origin} (public)` : origin]),
    ['hosts', tenant.hosts.join(', ') || '(none)'],
    ['gated', tenant.gatedPrefixes.join(' ')],
    ['mail from', tenant.mailFrom ?? `${tenant.name} <${parseSender(config.mailFrom).address}> (default: MAIL_FROM address)`],
    ['link TTL', setting(tenant.magicLinkTtlSeconds, config.magicLinkTtlSeconds, 'MAGIC_LINK_TTL')],
    ['session TTL', setting(tenant.sessionTtlSeconds, config.sessionTtlSeconds, 'SESSION_TTL')],
    ['locale', `${tenant.locale} (pages and mail; a shipped language the browser asks for wins)`],
    ['support edits grants', tenant.supportCanEditGrants ? 'yes (support operators may add and remove grants)' : 'no (admins only)'],
    ['logo', tenant.logoUrl ? `${tenant.logoUrl} (${tenant.logoWidth}×${tenant.logoHeight} px)` : '(none: the name is shown)'],
    ['accent colour', tenant.accentColor ?? '(none: neutral buttons and links)'],
    ['support contact', tenant.supportContact ?? '(none: pages say "support")'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

/** "logo, #0b57d0, help@shop.example" or "-". */
function brandingSummary(tenant: Tenant): string {
  const parts = [tenant.logoUrl ? 'logo' : null, tenant.accentColor, tenant.supportContact].filter(Boolean);
  return parts.length ? parts.join(', ') : '-';
}

export function tenantTable(tenants: Tenant[]): string {
  if (tenants.length === 0) return 'no tenants (add one: bun run cli tenant add <handle> --origin <url> --gated </prefix/>)';
  const header = ['HANDLE', 'NAME', 'PUBLIC ORIGIN', 'HOSTS', 'GATED', 'BRANDING'];
  const rows = tenants.map((t) => [
    t.handle,
    t.name,
    t.origins.length > 1 ? `${t.origins[0]} (+${t.origins.length - 1})` : t.origins[0]!,
    t.hosts.join(','),
    t.gatedPrefixes.join(' '),
    brandingSummary(t),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
