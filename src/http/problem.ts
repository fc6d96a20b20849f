// The one place errors become responses: RFC 9457 problem+json for API callers, an HTML page with
// the same status, code and request id for browser forms and hosted pages. No stack traces, ever.
import { type AppError, ERRORS, type ErrorCode, errorTypeUri } from '../errors.ts';
import { html, page } from './html.ts';

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  [field: string]: unknown;
};

function problemBody(error: AppError, requestId: string, typeBase: string): ProblemBody {
  const { title, status } = ERRORS[error.code];
  return {
    ...error.extra.fields,
    type: errorTypeUri(typeBase, error.code),
    title,
    status,
    detail: error.extra.detail ?? title,
    code: error.code,
    requestId,
  };
}

/** Browser form posts and hosted pages get HTML; everything else gets problem+json. */
export function wantsHtml(request: Request): boolean {
  const type = request.headers.get('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return true;
  if (type.startsWith('application/json')) return false;
  const accept = request.headers.get('accept') ?? '';
  return (request.method === 'GET' || request.method === 'HEAD') && accept.includes('text/html');
}

export function problemResponse(
  error: AppError,
  options: {
    requestId: string;
    html: boolean;
    /** config.errorsDocBaseUrl: the problem's `type` is `{typeBase}#{code}`. */
    typeBase: string;
    brand?: string;
    headers?: Record<string, string>;
  },
): Response {
  const body = problemBody(error, options.requestId, options.typeBase);
  const headers: Record<string, string> = {
    'x-request-id': options.requestId,
    'cache-control': 'no-store',
    ...options.headers,
    ...error.extra.headers,
  };
  if (options.html) {
    headers['content-type'] = 'text/html; charset=utf-8';
    const markup = page({
      brand: options.brand ?? 'Visitor Access',
      title: body.title,
      body: html`<p>${body.detail}</p>`,
      code: body.code,
      requestId: options.requestId,
    });
    return new Response(markup, { status: body.status, headers });
  }
  headers['content-type'] = 'application/problem+json';
  return new Response(JSON.stringify(body), { status: body.status, headers });
}
