// Request bodies: JSON or browser forms only, size-limited, malformed → 400 invalid_request.
import { AppError } from '../errors.ts';

export const DEFAULT_BODY_LIMIT = 16 * 1024;
// Support reports carry a repro artifact (HAR excerpt, curl command) of up to 64 KiB.
const SUPPORT_REPORT_LIMIT = 80 * 1024;

export function bodyLimitFor(path: string): number {
  return path === '/v2/support/report' ? SUPPORT_REPORT_LIMIT : DEFAULT_BODY_LIMIT;
}

export type BodyKind = 'json' | 'form' | 'empty';
const bodyKinds = new WeakMap<Request, BodyKind>();

export function bodyKindOf(request: Request): BodyKind {
  const parsed = bodyKinds.get(request);
  if (parsed) return parsed;
  // Routes that never read their body are still answered by content type (a form gets HTML).
  const type = request.headers.get('content-type') ?? '';
  return type.startsWith('application/x-www-form-urlencoded') ? 'form' : type.startsWith('application/json') ? 'json' : 'empty';
}

export async function readBody(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw new AppError('payload_too_large', { detail: `Bodies are limited to ${limit} bytes.` });
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > limit) throw new AppError('payload_too_large', { detail: `Bodies are limited to ${limit} bytes.` });
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (bytes.length === 0) {
    bodyKinds.set(request, type === 'application/x-www-form-urlencoded' ? 'form' : 'empty');
    return {};
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('', 'The body is not valid UTF-8.');
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    bodyKinds.set(request, 'json');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalid('', 'The body is not valid JSON.');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('', 'The body must be a JSON object.');
    return value as Record<string, unknown>;
  }
  if (type === 'application/x-www-form-urlencoded') {
    bodyKinds.set(request, 'form');
    return Object.fromEntries(new URLSearchParams(text));
  }
  throw new AppError('unsupported_media_type', { detail: 'Send application/json (or a browser form).' });
}

export function invalid(path: string, message: string): AppError {
  return new AppError('invalid_request', { detail: message, fields: { errors: [{ path, message }] } });
}
