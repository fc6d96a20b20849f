// Request bodies: JSON or browser forms only, size-limited, malformed → 400 invalid_request.
import { AppError } from '../errors.ts';

const DEFAULT_BODY_LIMIT = 16 * 1024;
// Support reports carry a repro artifact (HAR excerpt, curl command) of up to 64 KiB.
const SUPPORT_REPORT_LIMIT = 80 * 1024;
/** The largest limit of any route. */
const LARGEST_BODY_LIMIT = SUPPORT_REPORT_LIMIT;
/**
 * `maxRequestBodySize` for Bun.serve: a backstop for bodies no route reads (404s, routes without a
 * body). Above every route limit, so a route's own 413 (problem+json) answers first.
 */
export const SERVER_BODY_BACKSTOP = LARGEST_BODY_LIMIT + 16 * 1024;

export function bodyLimitFor(path: string): number {
  return path === '/v2/support/report' ? SUPPORT_REPORT_LIMIT : DEFAULT_BODY_LIMIT;
}

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', { detail: `Bodies are limited to ${limit} bytes.` });
}

/**
 * The body's bytes, read chunk by chunk and refused (413) as soon as they pass `limit`, whatever
 * the headers say: a declared Content-Length over the limit is refused before reading, a chunked
 * body without one is read chunk by chunk and cut off at the first chunk past it. Nothing past the
 * limit is ever buffered, so a huge upload costs no more than a small one.
 */
export async function readLimitedBody(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  // A declared length within the limit: HTTP/1.1 framing delivers exactly that many bytes, so the
  // body is read in one piece, without a stream reader's per-chunk promises (the sign-in hot path).
  if (declared !== null && /^\d+$/.test(declared)) return new Uint8Array(await request.arrayBuffer());
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Stop the upload: the server answers now and discards the rest.
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

export type BodyKind = 'json' | 'form' | 'empty';
const bodyKinds = new WeakMap<Request, BodyKind>();
/** One decoder for every body: without `stream`, each decode() starts afresh (an error included). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function bodyKindOf(request: Request): BodyKind {
  const parsed = bodyKinds.get(request);
  if (parsed) return parsed;
  // Routes that never read their body are still answered by content type (a form gets HTML).
  const type = request.headers.get('content-type') ?? '';
  return type.startsWith('application/x-www-form-urlencoded') ? 'form' : type.startsWith('application/json') ? 'json' : 'empty';
}

export async function readBody(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<Record<string, unknown>> {
  const bytes = await readLimitedBody(request, limit);
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (bytes.length === 0) {
    bodyKinds.set(request, type === 'application/x-www-form-urlencoded' ? 'form' : 'empty');
    return {};
  }
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
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
