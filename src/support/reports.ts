// What a support report, content report or escalation must look like, and filing them: validated
// as a whole (every bad field in one 400), free text redacted before it reaches the database.
import type { Db } from '../db/db.ts';
import { AppError } from '../errors.ts';
import { normaliseEmail } from '../visitors/email.ts';
import { redactSecrets } from './redact.ts';

import { type Handling, updateReportHandled } from './queries.ts';

// What other features may call (the console handles reports): support owns its tables.
export { findReportTenant } from './queries.ts';

const SUMMARY_MAX_CHARS = 200;
export const DETAILS_MAX_BYTES = 8 * 1024;
export const ARTIFACT_MAX_BYTES = 64 * 1024;
const REASON_MAX_CHARS = 500;
const URL_MAX_CHARS = 2048;
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The shape of our request ids (and of those a trusted proxy may pass in). */
export const REQUEST_ID_SHAPE = /^[A-Za-z0-9._-]{8,128}$/;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type FieldError = { path: string; message: string };

class Checks {
  readonly errors: FieldError[] = [];

  /** A string field; '' and null count as absent (browser forms send every field). */
  text(path: string, value: unknown, rule: { required: boolean; maxChars?: number; maxBytes?: number }): string | null {
    if (value !== undefined && value !== null && typeof value !== 'string') {
      this.errors.push({ path, message: `${path} must be a string.` });
      return null;
    }
    const text = typeof value === 'string' ? value : null;
    if (text === null || text.trim() === '') {
      if (rule.required) this.errors.push({ path, message: `${path} is required.` });
      return null;
    }
    if (rule.maxChars !== undefined && [...text].length > rule.maxChars) {
      this.errors.push({ path, message: `${path} must be at most ${rule.maxChars} characters.` });
    }
    if (rule.maxBytes !== undefined && new TextEncoder().encode(text).length > rule.maxBytes) {
      this.errors.push({ path, message: `${path} must be at most ${rule.maxBytes / 1024} KiB.` });
    }
    return text;
  }

  requestId(path: string, value: unknown): string | null {
    const text = this.text(path, value, { required: false });
    if (text === null) return null;
    const trimmed = text.trim();
    if (!REQUEST_ID_SHAPE.test(trimmed))
      this.errors.push({ path, message: `${path} must look like req_0123… (8–128 letters, digits, '.', '_' or '-').` });
    return trimmed;
  }

  uuid(path: string, value: unknown): string | null {
    const text = this.text(path, value, { required: false });
    if (text === null) return null;
    if (!UUID_SHAPE.test(text.trim())) this.errors.push({ path, message: `${path} must be a UUID.` });
    return text.trim().toLowerCase();
  }

  done(): void {
    if (this.errors.length) {
      throw new AppError('invalid_request', { detail: this.errors.map((e) => e.message).join(' '), fields: { errors: this.errors } });
    }
  }
}

export type SupportReportInput = {
  summary: string;
  details: string;
  citedRequestId: string | null;
  citedSessionId: string | null;
  reproArtifact: string | null;
};

/** Validates and redacts a support report (summary and session id too: shoppers paste anything anywhere). */
export function parseSupportReport(body: Record<string, unknown>): SupportReportInput {
  const checks = new Checks();
  const summary = checks.text('summary', body.summary, { required: true, maxChars: SUMMARY_MAX_CHARS });
  // details must be sent, but may be empty: some shoppers say it all in the summary.
  const details = checks.text('details', body.details, { required: false, maxBytes: DETAILS_MAX_BYTES }) ?? '';
  if (body.details === undefined || body.details === null) checks.errors.push({ path: 'details', message: 'details is required.' });
  const citedRequestId = checks.requestId('requestId', body.requestId);
  const citedSessionId = checks.text('sessionId', body.sessionId, { required: false, maxChars: 128 });
  const reproArtifact = checks.text('reproArtifact', body.reproArtifact, { required: false, maxBytes: ARTIFACT_MAX_BYTES });
  checks.done();
  return {
    summary: redactSecrets(summary!.trim()),
    details: redactSecrets(details),
    citedRequestId,
    citedSessionId: citedSessionId === null ? null : redactSecrets(citedSessionId.trim()),
    reproArtifact: reproArtifact === null ? null : redactSecrets(reproArtifact),
  };
}

export type ContentReportInput = { url: string; reason: string; details: string | null; reporterEmail: string | null };

export function parseContentReport(body: Record<string, unknown>): ContentReportInput {
  const checks = new Checks();
  const url = checks.text('url', body.url, { required: true, maxChars: URL_MAX_CHARS });
  if (url !== null && !isWebUrl(url.trim())) checks.errors.push({ path: 'url', message: 'url must be an absolute http(s) URL.' });
  const reason = checks.text('reason', body.reason, { required: true, maxChars: REASON_MAX_CHARS });
  const details = checks.text('details', body.details, { required: false, maxBytes: DETAILS_MAX_BYTES });
  const email = checks.text('reporterEmail', body.reporterEmail, { required: false });
  checks.done();
  let reporterEmail: string | null = null;
  if (email !== null) {
    reporterEmail = normaliseEmail(email);
    if (!reporterEmail) throw new AppError('invalid_email', { detail: 'reporterEmail must be a valid email address (or left out).' });
  }
  return {
    url: redactSecrets(url!.trim()),
    reason: redactSecrets(reason!.trim()),
    details: details === null ? null : redactSecrets(details),
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

export function parseEscalation(body: Record<string, unknown>): EscalationInput {
  const checks = new Checks();
  const reportId = checks.uuid('reportId', body.reportId);
  const citedRequestId = checks.requestId('requestId', body.requestId);
  const summary = checks.text('summary', body.summary, { required: true, maxChars: SUMMARY_MAX_CHARS });
  const severity = SEVERITIES.find((s) => s === body.severity);
  if (!severity) checks.errors.push({ path: 'severity', message: `severity must be one of ${SEVERITIES.join(', ')}.` });
  checks.done();
  return { reportId, citedRequestId, summary: redactSecrets(summary!.trim()), severity: severity! };
}
