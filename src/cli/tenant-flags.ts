// `tenant add|update` flags → validated, normalised tenant fields. Pure functions: every rule of
// docs/api.md "Words" (tenant) is checked here, before the database is opened.
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from '../i18n/locales.ts';
import { parseSender } from '../mail/magic-link-mail.ts';
import { parseBranding, type BrandingField } from '../tenants/branding.ts';
import { HANDLE, type TenantInput } from '../tenants/tenants.ts';
import { invalidArgument } from './command.ts';

export const TENANT_FLAGS = {
  origin: { type: 'string', multiple: true },
  host: { type: 'string', multiple: true },
  gated: { type: 'string', multiple: true },
  name: { type: 'string' },
  from: { type: 'string' },
  'link-ttl': { type: 'string' },
  'session-ttl': { type: 'string' },
  'support-can-edit-grants': { type: 'string' },
  locale: { type: 'string' },
  'logo-url': { type: 'string' },
  'logo-width': { type: 'string' },
  'logo-height': { type: 'string' },
  'accent-color': { type: 'string' },
  'support-contact': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export type TenantFlags = {
  origin?: string[];
  host?: string[];
  gated?: string[];
  name?: string;
  from?: string;
  'link-ttl'?: string;
  'session-ttl'?: string;
  'support-can-edit-grants'?: string;
  locale?: string;
  'logo-url'?: string;
  'logo-width'?: string;
  'logo-height'?: string;
  'accent-color'?: string;
  'support-contact'?: string;
};

/** The branding flags, by the setting each one sets (tenants/branding.ts holds the rules). */
const BRANDING_FLAGS: Record<BrandingField, 'logo-url' | 'logo-width' | 'logo-height' | 'accent-color' | 'support-contact'> = {
  logoUrl: 'logo-url',
  logoWidth: 'logo-width',
  logoHeight: 'logo-height',
  accentColor: 'accent-color',
  supportContact: 'support-contact',
};

// Names and senders end up in mail headers: no control characters (CR/LF header injection).
const CONTROL = /[\u0000-\u001f\u007f]/;
const INT_MAX = 2_147_483_647;

export function parseHandle(raw: string): string {
  if (!HANDLE.test(raw)) {
    throw invalidArgument(`<handle> "${raw}" is invalid: use 1–63 lower-case letters, digits and "-", starting with a letter or digit`);
  }
  return raw;
}

/** `scheme://host[:port]`, http or https, nothing else; stored as the URL's origin (lower-case, punycode, default port dropped). */
function parseOrigin(raw: string): string {
  const problem = `--origin "${raw}" must be http(s)://host[:port] with no path, query, fragment or user info`;
  // Checked on the raw text too: URL() would quietly repair "http:/x" or drop an empty "?".
  if (!/^https?:\/\/[^/?#@\\\s]+\/?$/i.test(raw)) throw invalidArgument(problem);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidArgument(problem);
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password || !url.hostname) throw invalidArgument(problem);
  return url.origin;
}

/** A bare hostname (matched against the request's, port ignored): lower-case, punycode, IPv6 without brackets. */
function parseHost(raw: string): string {
  const problem = `--host "${raw}" must be a hostname without scheme, port or path (e.g. shop.example.com)`;
  const text = raw.trim().toLowerCase();
  if (!text || /[/?#@\\\s]/.test(text)) throw invalidArgument(problem);
  const bracketed = text.includes(':') && !text.startsWith('[') ? `[${text}]` : text;
  let url: URL;
  try {
    url = new URL(`http://${bracketed}`);
  } catch {
    throw invalidArgument(problem);
  }
  if (url.port || !url.hostname) throw invalidArgument(problem);
  return hostnameOf(url);
}

function hostnameOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** A normalised path prefix that starts and ends with "/": no empty, "." or ".." segments, no query or fragment. */
function parseGatedPrefix(raw: string): string {
  const segments = raw.split('/').slice(1, -1);
  const valid =
    /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@%-]+\/)*$/.test(raw) &&
    !segments.some((s) => s === '.' || s === '..') &&
    !/%(?![0-9A-Fa-f]{2})/.test(raw);
  if (!valid) throw invalidArgument(`--gated "${raw}" must be a path prefix that starts and ends with "/" (e.g. /content/)`);
  return raw;
}

function parseName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 100 || CONTROL.test(name)) throw invalidArgument('--name must be 1–100 characters with no control characters');
  return name;
}

/** "Name <addr>" or "addr"; "" (update only) resets the sender to MAIL_FROM. */
function parseFrom(raw: string): string | null {
  if (raw.trim() === '') return null;
  const { address } = parseSender(raw);
  if (CONTROL.test(raw) || !/^[^\s@<>"(),;:\\[\]]+@[^\s@<>"(),;:\\[\]]+$/.test(address)) {
    throw invalidArgument(`--from "${raw}" must be "Name <address>" or "address"`);
  }
  return raw.trim();
}

/** Whole seconds; "default" (update only) makes the tenant follow the env var again. */
function parseTtl(flag: string, raw: string, min: number): number | null {
  if (raw === 'default') return null;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > INT_MAX) {
    throw invalidArgument(`--${flag} must be a whole number of seconds ≥ ${min} (or "default"), got "${raw}"`);
  }
  return value;
}

function parseYesNo(flag: string, raw: string): boolean {
  if (raw === 'yes') return true;
  if (raw === 'no') return false;
  throw invalidArgument(`--${flag} must be "yes" or "no", got "${raw}"`);
}

/** One of the shipped catalogues (src/i18n/): a tenant default nobody can render would be a silent English. */
function parseLocale(raw: string): Locale {
  if (!isLocale(raw)) throw invalidArgument(`--locale must be one of ${LOCALES.join(', ')}, got "${raw}"`);
  return raw;
}

const unique = (values: string[]) => [...new Set(values)];

/** The fields the given flags set; repeatable flags replace the whole list. */
export function tenantChanges(flags: TenantFlags): Partial<Omit<TenantInput, 'handle'>> {
  const changes: Partial<Omit<TenantInput, 'handle'>> = {};
  if (flags.origin) changes.origins = unique(flags.origin.map(parseOrigin));
  if (flags.host) changes.hosts = unique(flags.host.map(parseHost));
  if (flags.gated) changes.gatedPrefixes = unique(flags.gated.map(parseGatedPrefix));
  if (flags.name !== undefined) changes.name = parseName(flags.name);
  if (flags.from !== undefined) changes.mailFrom = parseFrom(flags.from);
  if (flags['link-ttl'] !== undefined) changes.magicLinkTtlSeconds = parseTtl('link-ttl', flags['link-ttl'], 1);
  if (flags['session-ttl'] !== undefined) changes.sessionTtlSeconds = parseTtl('session-ttl', flags['session-ttl'], 60);
  if (flags['support-can-edit-grants'] !== undefined) {
    changes.supportCanEditGrants = parseYesNo('support-can-edit-grants', flags['support-can-edit-grants']);
  }
  if (flags.locale !== undefined) changes.locale = parseLocale(flags.locale);
  Object.assign(changes, brandingChanges(flags));
  return changes;
}

/** `--logo-url/--logo-width/--logo-height` (together; `--logo-url ""` removes the logo), `--accent-color`, `--support-contact` ("" clears). */
function brandingChanges(flags: TenantFlags): Partial<Omit<TenantInput, 'handle'>> {
  const given = Object.fromEntries(
    Object.entries(BRANDING_FLAGS)
      .filter(([, flag]) => flags[flag] !== undefined)
      .map(([field, flag]) => [field, flags[flag]]),
  );
  const { changes, errors } = parseBranding(given);
  const [first] = errors;
  if (first) {
    const value = given[first.field];
    throw invalidArgument(`--${BRANDING_FLAGS[first.field]}${value === undefined ? '' : ` "${value}"`}: ${first.message}`);
  }
  return changes;
}

/** `tenant add`: --origin and --gated are required; hosts default to the origins' hostnames, name to the handle. */
export function newTenantInput(handle: string, flags: TenantFlags): TenantInput {
  if (!flags.origin?.length) throw invalidArgument('--origin is required (at least one; the first is the public origin)');
  if (!flags.gated?.length) throw invalidArgument('--gated is required (at least one path prefix, e.g. --gated /content/)');
  const changes = tenantChanges(flags);
  const origins = changes.origins!;
  return {
    handle,
    name: changes.name ?? handle,
    origins,
    hosts: changes.hosts ?? unique(origins.map((origin) => hostnameOf(new URL(origin)))),
    gatedPrefixes: changes.gatedPrefixes!,
    mailFrom: changes.mailFrom ?? null,
    magicLinkTtlSeconds: changes.magicLinkTtlSeconds ?? null,
    sessionTtlSeconds: changes.sessionTtlSeconds ?? null,
    supportCanEditGrants: changes.supportCanEditGrants ?? false,
    locale: changes.locale ?? DEFAULT_LOCALE,
    logoUrl: changes.logoUrl ?? null,
    logoWidth: changes.logoWidth ?? null,
    logoHeight: changes.logoHeight ?? null,
    accentColor: changes.accentColor ?? null,
    supportContact: changes.supportContact ?? null,
  };
}
