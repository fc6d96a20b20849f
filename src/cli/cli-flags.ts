// Flag helpers shared by the credential and grant verbs: required flags, --handle → tenant, free
// text, and a plain-text table. Every message names the flag, so a typo is fixed at a glance.
import type { Db } from '../db/db.ts';
import { findTenantByHandle, HANDLE, type Tenant } from '../tenants/tenants.ts';
import { CliError, invalidArgument } from './command.ts';

// Names and titles end up in listings and logs: no control characters.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function requireFlag(verb: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw invalidArgument(`${verb}: --${flag} is required`);
  return value;
}

export function parseHandleFlag(verb: string, raw: string | undefined): string {
  const handle = requireFlag(verb, 'handle', raw);
  if (!HANDLE.test(handle)) {
    throw invalidArgument(`--handle "${handle}" is invalid: use 1–63 lower-case letters, digits and "-", starting with a letter or digit`);
  }
  return handle;
}

/** Trimmed free text of 1–max characters with no control characters. */
export function parseText(flag: string, raw: string, max: number): string {
  const text = raw.trim();
  if (!text || text.length > max || CONTROL.test(text))
    throw invalidArgument(`--${flag} must be 1–${max} characters with no control characters`);
  return text;
}

export async function requireTenant(db: Db, handle: string): Promise<Tenant> {
  const tenant = await findTenantByHandle(db, handle);
  if (!tenant) throw new CliError('unknown_handle', `no tenant has the handle ${handle}`);
  return tenant;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export const when = (date: Date | string | null): string => (date === null ? '-' : new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z'));
