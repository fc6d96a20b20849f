// What a support report, content report or escalation must look like, and filing them. The body
// schemas below are the routes' Elysia `body` (so the document's request bodies are the ones
// enforced, every bad field in one 400); `blankAsAbsent` runs before them, free text is redacted
// after them, before it reaches the database.
import { t, type Static } from 'elysia';
import type { Db } from '../db/db.ts';
import { AppError } from '../errors.ts';
import { customFormat, Text, Utf8Text } from '../openapi/schemas.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { redactSecrets } from './redact.ts';

import { type Handling, updateReportHandled } from './queries.ts';

// What other features may call (the console handles reports): support owns its tables.
export { findReportTenant, moveSupportReports } from './queries.ts';

const SUMMARY_MAX_CHARS = 200;
export const DETAILS_MAX_BYTES = 8 * 1024;
export const ARTIFACT_MAX_BYTES = 64 * 1024;
const REASON_MAX_CHARS = 500;
const URL_MAX_CHARS = 2048;

/** The shape of our request ids (and of those a trusted proxy may pass in). */
export const REQUEST_ID_SHAPE = /^[A-Za-z0-9._-]{8,128}$/;
const UUID_SHAPE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const CitedRequestId = (description: string) =>
  Text({
    maxLength: 128,
    pattern: REQUEST_ID_SHAPE.source,
    description: `${description} Like req_0123… (8–128 letters, digits, '.', '_' or '-').`,
  });

const HTTP_URL = customFormat('http-url', isWebUrl);

export const SupportReportBody = t.Object({
  handle: t.Optional(Text({ maxLength: 64, description: 'Required on a host no storefront owns.' })),
  summary: Text({ maxLength: SUMMARY_MAX_CHARS }),
  details: Utf8Text(DETAILS_MAX_BYTES, 'Must be sent, may be empty; at most 8 KiB (UTF-8).'),
  requestId: t.Optional(CitedRequestId('A request id the shopper cites.')),
  sessionId: t.Optional(Text({ maxLength: 128 })),
  reproArtifact: t.Optional(Utf8Text(ARTIFACT_MAX_BYTES, 'At most 64 KiB (UTF-8): a HAR excerpt, a log; redacted before storage.')),
});

export const ContentReportBody = t.Object({
  handle: t.Optional(Text({ maxLength: 64 })),
  url: Text({ maxLength: URL_MAX_CHARS, format: HTTP_URL, description: 'Absolute http(s) URL of the content.' }),
  reason: Text({ maxLength: REASON_MAX_CHARS }),
  details: t.Optional(Utf8Text(DETAILS_MAX_BYTES, 'At most 8 KiB (UTF-8).')),
  reporterEmail: t.Optional(Text({ description: 'Where the reporter may be reached; a valid address (400 invalid_email otherwise).' })),
});

export const EscalationBody = t.Object({
  reportId: t.Optional(Text({ format: 'uuid', pattern: UUID_SHAPE.source, description: 'The support report escalated (a UUID).' })),
  requestId: t.Optional(CitedRequestId('A request id the escalation cites.')),
  summary: Text({ maxLength: SUMMARY_MAX_CHARS }),
  severity: t.Union([t.Literal('low'), t.Literal('medium'), t.Literal('high'), t.Literal('critical')]),
});
export type Severity = Static<typeof EscalationBody>['severity'];

/**
 * Before the schema: '' and null count as absent (browser forms send every field; clients send
 * null), and the one-line fields are trimmed, so a blank summary is "required" and ' req_… ' is
 * an id. `mayBeEmpty` fields (a report's details: sent, possibly empty) keep their ''.
 */
export function blankAsAbsent(body: unknown, fields: { trimmed: readonly string[]; mayBeEmpty?: readonly string[] }): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const record = body as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const text = typeof value === 'string' && fields.trimmed.includes(key) ? value.trim() : value;
    if (fields.mayBeEmpty?.includes(key)) continue;
    if (text === null || (typeof text === 'string' && text.trim() === '')) delete record[key];
    else record[key] = text;
  }
}

export const SUPPORT_REPORT_FIELDS = { trimmed: ['summary', 'requestId', 'sessionId'], mayBeEmpty: ['details'] } as const;
export const CONTENT_REPORT_FIELDS = { trimmed: ['url', 'reason', 'reporterEmail'] } as const;
export const ESCALATION_FIELDS = { trimmed: ['reportId', 'requestId', 'summary'] } as const;

export type SupportReportInput = {
  summary: string;
  details: string;
  citedRequestId: string | null;
  citedSessionId: string | null;
  reproArtifact: string | null;
};

/** A valid support report, redacted (summary and session id too: shoppers paste anything anywhere). */
export function supportReportInput(body: Static<typeof SupportReportBody>): SupportReportInput {
  return {
    summary: redactSecrets(body.summary),
    details: body.details.trim() === '' ? '' : redactSecrets(body.details),
    citedRequestId: body.requestId ?? null,
    citedSessionId: body.sessionId === undefined ? null : redactSecrets(body.sessionId),
    reproArtifact: body.reproArtifact === undefined ? null : redactSecrets(body.reproArtifact),
  };
}

export type ContentReportInput = { url: string; reason: string; details: string | null; reporterEmail: string | null };

export function contentReportInput(body: Static<typeof ContentReportBody>): ContentReportInput {
  let reporterEmail: string | null = null;
  if (body.reporterEmail !== undefined) {
    reporterEmail = normaliseEmail(body.reporterEmail);
    if (!reporterEmail) throw new AppError('invalid_email', { detail: 'reporterEmail must be a valid email address (or left out).' });
  }
  return {
    url: redactSecrets(body.url),
    reason: redactSecrets(body.reason),
    details: body.details === undefined ? null : redactSecrets(body.details),
    reporterEmail,
  };
}

function isWebUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text) || /[\u0000-\u001f\u007f\s]/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Marks an open report handled (undefined when it was already handled). The operator's note is
 * redacted like every free text we store: a pasted sign-in link must not land in the table.
 */
export function markReportHandled(db: Db, reportId: string, handling: Handling): Promise<{ note: string | null } | undefined> {
  return updateReportHandled(db, reportId, { ...handling, note: handling.note === null ? null : redactSecrets(handling.note) });
}

export type EscalationInput = { reportId: string | null; citedRequestId: string | null; summary: string; severity: Severity };

export function escalationInput(body: Static<typeof EscalationBody>): EscalationInput {
  return {
    reportId: body.reportId?.toLowerCase() ?? null,
    citedRequestId: body.requestId ?? null,
    summary: redactSecrets(body.summary),
    severity: body.severity,
  };
}
