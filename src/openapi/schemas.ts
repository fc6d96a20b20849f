// What routes declare about themselves for the OpenAPI document (GET /openapi.json): shared TypeBox
// schemas and `operation()`, the `detail` every described route passes. Request and 2xx schemas are
// Elysia's own (`t`), so they validate too; the problem responses are generated from the one error
// catalogue (document.ts) from the codes an operation names here.
import { t, type TSchema } from 'elysia';
import { FormatRegistry } from 'elysia/type-system';
import { ERRORS, type ErrorCode } from '../errors.ts';
import { DEFAULT_MAX_CHARS } from '../http/text-fields.ts';

/** A text field under the one text rule (src/http/text-fields.ts): bounded, so the document says so. */
export const Text = (options: { maxLength?: number; pattern?: string; format?: string; description?: string; examples?: string[] } = {}) =>
  t.String({ maxLength: DEFAULT_MAX_CHARS, ...options });

/**
 * A string format that JSON Schema has no keyword for, checked by `check`: Elysia validates it with
 * the rest of the body (every bad field in one 400) and the document names it. Returns the name.
 */
export function customFormat(name: string, check: (value: string) => boolean): string {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
  return name;
}

const utf8 = new TextEncoder();

/**
 * Free text bounded in UTF-8 bytes, what it costs to store (a report's 8 KiB details). A UTF-16
 * code unit is at least one byte, so `maxLength` (code units) holds too and tells clients early.
 */
export const Utf8Text = (maxBytes: number, description?: string) =>
  t.String({
    maxLength: maxBytes,
    format: customFormat(`utf8-max-${maxBytes}-bytes`, (value) => utf8.encode(value).length <= maxBytes),
    description,
  });

export const IsoTime = (description?: string) => t.String({ format: 'date-time', description });

export const ErrorCodeSchema = t.Union(
  (Object.keys(ERRORS) as ErrorCode[]).map((code) => t.Literal(code)),
  { description: 'Stable error code (docs/errors.md); codes are only ever added.' },
);

/** RFC 9457 problem+json as src/http/problem.ts writes it; routes add the extra members they name. */
export const Problem = t.Object(
  {
    type: t.String({ format: 'uri', description: '`{ERRORS_DOC_BASE_URL}#{code}`: the code’s entry in the error reference.' }),
    title: t.String(),
    status: t.Integer({ minimum: 400, maximum: 599 }),
    detail: t.String(),
    code: ErrorCodeSchema,
    requestId: t.String({ description: 'Also in X-Request-Id; quote it to support.' }),
    errors: t.Optional(
      t.Array(t.Object({ path: t.String(), message: t.String() }), { description: 'invalid_request: one entry per bad field.' }),
    ),
    requiredScope: t.Optional(t.String({ description: 'insufficient_scope: the scope the route needs.' })),
    expiredAt: t.Optional(IsoTime('expired_magic_link: when the link expired.')),
    usedAt: t.Optional(IsoTime('used_magic_link: when the link was used.')),
    resetAt: t.Optional(IsoTime('daily_limit_reached: when the UTC day ends.')),
  },
  { additionalProperties: true },
);

/** How a caller proves who it is; the names are the document's security schemes. */
export type SecurityScheme = 'visitorCookie' | 'visitorBearer' | 'pat' | 'storefrontJwt' | 'metricsToken';
export type Security = Partial<Record<SecurityScheme, string[]>>[];

/** A signed-in shopper: the session cookie on an edge host, or `Authorization: Bearer vs_…`. */
export const VISITOR: Security = [{ visitorCookie: [] }, { visitorBearer: [] }];
/** A storefront's server: its tenant PAT or a storefront JWT, holding `scope`. */
export const serverCaller = (scope: string): Security => [{ pat: [scope] }, { storefrontJwt: [scope] }];
/** Operator tooling: a service PAT (the only credential that may hold operator:* scopes). */
export const operatorCaller = (scope: string): Security => [{ pat: [scope] }];
/** No credential. */
export const PUBLIC: Security = [];

export type OperationSpec = {
  summary: string;
  description?: string;
  tags: string[];
  security: Security;
  /** Problem codes this operation answers besides the ones every route may (see document.ts). */
  errors: ErrorCode[];
  /** Statuses answered without a JSON body (204, 303 …), with what they mean. */
  bare?: Record<number, string>;
  /** Statuses answered with HTML (hosted pages). */
  html?: Record<number, string>;
  /** Statuses answered with text/plain (the metrics exposition). */
  plainText?: Record<number, string>;
  /** Counted by rate limits: answers carry RateLimit / RateLimit-Policy, and may be 429. */
  rateLimited?: boolean;
  /** Accepts Idempotency-Key. */
  idempotent?: boolean;
  /** Takes application/x-www-form-urlencoded too (browser forms), with the same schema as JSON. */
  forms?: boolean;
  /** A body validated by hand rather than by Elysia's `body` (the supplement's magic-link routes): described here only. */
  documentedBody?: TSchema;
  /** JSON answers not checked by Elysia's `response` (a route that answers HTML on the same status). */
  documentedJson?: Record<number, { description: string; schema: TSchema; alsoHtml?: boolean }>;
};

/** The `detail` of a described route: OpenAPI fields, plus our extensions that document.ts expands. */
export function operation(spec: OperationSpec) {
  const requestBody = spec.documentedBody && {
    required: true,
    content: Object.fromEntries(
      (spec.forms ? ['application/json', 'application/x-www-form-urlencoded'] : ['application/json']).map((type) => [
        type,
        { schema: spec.documentedBody },
      ]),
    ),
  };
  const json =
    spec.documentedJson &&
    Object.fromEntries(
      Object.entries(spec.documentedJson).map(([status, { description, schema, alsoHtml }]) => [
        status,
        {
          description,
          content: { 'application/json': { schema }, ...(alsoHtml ? { 'text/html': { schema: { type: 'string' } } } : {}) },
        },
      ]),
    );
  const text =
    spec.plainText &&
    Object.fromEntries(
      Object.entries(spec.plainText).map(([status, description]) => [
        status,
        { description, content: { 'text/plain': { schema: { type: 'string' } } } },
      ]),
    );
  const responses = json || text ? { ...json, ...text } : undefined;
  return {
    ...(requestBody ? { requestBody } : {}),
    ...(responses ? { responses } : {}),
    summary: spec.summary,
    description: spec.description,
    tags: spec.tags,
    security: spec.security,
    'x-error-codes': spec.errors,
    'x-bare-responses': spec.bare ?? {},
    'x-html-responses': spec.html ?? {},
    'x-rate-limited': spec.rateLimited ?? false,
    'x-idempotent': spec.idempotent ?? false,
    'x-forms': spec.forms ?? false,
  } as { summary: string; description?: string; tags: string[] };
}
