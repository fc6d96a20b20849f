// One rule for every text a client sends (body fields, nested ones too, query strings, route params):
// no C0 control characters but tab and line feed (CR only as part of CRLF), no unpaired surrogates,
// and a length bound. PostgreSQL refuses NUL in text and jsonb (a 500 with a stack trace in the
// log, for anyone who asks); an unpaired surrogate is not text at all and is silently mangled on
// the way to the database. Both are the client's mistake: 400 invalid_request naming the field.
import { AppError } from '../errors.ts';
import { bodyLimitFor, type BodyKind } from './body.ts';

// ES2024's String.prototype.isWellFormed (Bun and Deno have it; our tsconfig's lib predates it).
declare global {
  interface String {
    isWellFormed(): boolean;
  }
}

/** Any string a client sends is at most this many characters (UTF-16 code units) unless declared below. */
export const DEFAULT_MAX_CHARS = 2048;

/**
 * Fields that may be longer than the default. Their route checks the exact limit itself
 * (src/support/reports.ts: 8 KiB details, 64 KiB artifact, in bytes) and lists every bad field in
 * one 400, so here they are bounded only by the route's body limit.
 */
const LONG_FIELDS: Record<string, Record<string, number>> = {
  '/v2/support/report': { details: bodyLimitFor('/v2/support/report'), reproArtifact: bodyLimitFor('/v2/support/report') },
  '/v2/public/content-report': { details: bodyLimitFor('/v2/public/content-report') },
};

/** Bodies nest no deeper than this (ours are flat; a deep one is only a way to burn CPU). */
const MAX_DEPTH = 32;
/** One 400 lists at most this many fields. */
const MAX_ERRORS = 20;

export type FieldError = { path: string; message: string };

/** What is wrong with one string, or null. CR is allowed only before LF (CRLF line ends). */
function textProblem(value: string, maxChars: number): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && !(c === 0x0d && value.charCodeAt(i + 1) === 0x0a)) {
      return `contains the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}; only tab and line feed are allowed.`;
    }
  }
  if (!value.isWellFormed()) return 'is not valid Unicode text (an unpaired surrogate).';
  if (value.length > maxChars) return `must be at most ${maxChars} characters.`;
  return null;
}

/** `detail.foo`, `items[2]`; a name that is not a plain identifier is quoted (`["a b"]`). */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * A schema error's JSON Pointer (`/detail/foo`, `/items/2`, as Elysia reports it) in the same
 * words as the text rule's paths (`detail.foo`, `items[2]`), so every 400 names fields alike.
 */
export function fieldPath(pointer: string): string {
  if (!pointer.startsWith('/')) return pointer;
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<string>((path, segment) => childPath(path, /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment), '');
}

class TextChecks {
  readonly errors: FieldError[] = [];
  constructor(private readonly limitOf: (path: string) => number) {}

  add(path: string, message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ path, message });
  }

  string(path: string, value: string): void {
    const problem = textProblem(value, this.limitOf(path));
    if (problem) this.add(path, `${path || 'the body'} ${problem}`);
  }

  /** Walks a parsed JSON value: every string, and every object key, obeys the rule. */
  value(path: string, value: unknown, depth: number): void {
    if (typeof value === 'string') {
      this.string(path, value);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth > MAX_DEPTH) {
      this.add(path, `${path} nests deeper than ${MAX_DEPTH} levels.`);
      return;
    }
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) this.value(childPath(path, index), item, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = textProblem(key, DEFAULT_MAX_CHARS);
      const at = childPath(path, key);
      if (problem) this.add(at, `A field name ${problem}`);
      else this.value(at, item, depth + 1);
    }
  }

  done(): void {
    if (!this.errors.length) return;
    throw new AppError('invalid_request', { detail: this.errors.map((e) => e.message).join(' '), fields: { errors: this.errors } });
  }
}

/**
 * Checks a parsed body (readBody's result) and returns what the route sees. Browser forms send a
 * textarea's line ends as CRLF: those become LF, so a form and a JSON client store the same text.
 */
export function checkBodyText(path: string, kind: BodyKind, body: Record<string, unknown>): Record<string, unknown> {
  const long = LONG_FIELDS[path] ?? {};
  const checks = new TextChecks((field) => long[field] ?? DEFAULT_MAX_CHARS);
  const checked = kind === 'form' ? normaliseFormLineEnds(body) : body;
  checks.value('', checked, 0);
  checks.done();
  return checked;
}

function normaliseFormLineEnds(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) out[key] = typeof value === 'string' ? value.replaceAll('\r\n', '\n') : value;
  return out;
}

/**
 * Checks the query string (decoded as URLSearchParams does, which is how every handler reads it)
 * and the route params. A param Elysia could not percent-decode arrives as null: refused too.
 */
export function checkUrlText(url: string, params: Record<string, unknown> | undefined): void {
  const checks = new TextChecks(() => DEFAULT_MAX_CHARS);
  const query = url.indexOf('?');
  if (query !== -1) {
    for (const [key, value] of new URLSearchParams(url.slice(query + 1))) {
      const problem = textProblem(key, DEFAULT_MAX_CHARS);
      if (problem) checks.add(childPath('', key), `A query parameter name ${problem}`);
      else checks.string(childPath('', key), value);
    }
  }
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === null) checks.add(name, `${name} is not valid percent-encoded UTF-8.`);
    else if (typeof value === 'string') checks.string(name, value);
  }
  checks.done();
}

/**
 * A header that is only recorded (User-Agent in sessions, reports and the request log): control
 * characters are dropped and the length is cut, never refused — the request itself is fine.
 */
export function recordedHeader(value: string | null, maxChars = 512): string | null {
  if (value === null) return null;
  return value.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, maxChars);
}
