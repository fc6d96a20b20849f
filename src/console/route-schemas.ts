// What the console's routes declare for Elysia and the document (src/openapi/schemas.ts): their
// params, query strings and form bodies (routes that take the same form share its schema), and
// `consoleOperation()`, their `detail`. Deliberately permissive: optional strings, bounded only as
// the text rule bounds every string. A console form's mistakes (a bad address, a missing URL, a
// long description, a bad id) are answered by its handler with the form or page again, the error
// beside the field; a stricter schema would pre-empt that with a bare problem page.
import { type TSchema, t } from 'elysia';
import type { ErrorCode } from '../errors.ts';
import { operation, PUBLIC, Text } from '../openapi/schemas.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/events.ts';

/** The form field of an event type's checkbox (a form keeps one value per name). */
export function eventField(type: string): string {
  return `event.${type}`;
}
export const ALL_EVENTS_FIELD = eventField('*');

const field = (description?: string) => t.Optional(Text(description ? { description } : {}));

const csrf = field('The form’s CSRF token: the console session’s, or before sign-in the test cookie’s.');

export const HandleParams = t.Object({ handle: Text({ description: 'A storefront’s handle.' }) });
export const TokenParams = t.Object({ token: Text({ description: 'An operator sign-in link’s token (kept out of the logs).' }) });

/** `?ref=`: the request id of the action just done, whose banner the page shows. */
export const RefQuery = t.Object({ ref: field('The request id of this operator’s action just done: the page shows its outcome.') });

/** A form that carries only its CSRF token (sign-out, the link's Continue button). */
export const CsrfBody = t.Object({ csrf });

export const SignInBody = t.Object({ csrf, email: field('The operator’s email address.') });

/** What an action names (actions.ts `parseAction`): in a confirmation link's query, or a form. */
const ACTION_FIELDS = {
  email: field('The shopper’s email address.'),
  session: field('A session id (revoke-session).'),
  resource: field('A grant’s resource (grant-add, grant-remove).'),
  kind: field('content or order (grant-add).'),
  title: field('A grant’s title (grant-add).'),
  orderId: field('An order id (grant-add, revoke-order).'),
  expiresAt: field('When a grant expires, RFC 3339 with a zone (grant-add).'),
  report: field('A support report id (report-handled).'),
  note: field('The operator’s note (report-handled).'),
  endpoint: field('A webhook endpoint id (webhook-remove, webhook-rotate).'),
  delivery: field('A dead webhook delivery id (webhook-resend).'),
  passkey: field('A passkey id (passkey-remove).'),
  other: field('The other address of the shopper, whose account joins this one (visitors-merge).'),
};

export const ActionBody = t.Object({ csrf, ...ACTION_FIELDS });
export const ConfirmBody = t.Object({ csrf, action: field('The action to confirm.'), ...ACTION_FIELDS });
export const ConfirmQuery = t.Object({
  action: field('The action to confirm.'),
  seal: field('This session’s seal over the values (confirm-links.ts): without it, nothing is offered for one click.'),
  ...ACTION_FIELDS,
});

/** The shopper page's "Download export" form. */
export const ExportBody = t.Object({ csrf, email: field('The shopper’s email address.') });

export const BrandingBody = t.Object({
  csrf,
  logoUrl: field('An https URL; empty clears it.'),
  logoWidth: field('Pixels; empty clears it.'),
  logoHeight: field('Pixels; empty clears it.'),
  accentColor: field('#rrggbb; empty clears it.'),
  supportContact: field('An email address or https URL; empty clears it.'),
});

export const WebhookAddBody = t.Object({
  csrf,
  url: field('The URL that receives the events.'),
  description: field('At most 200 characters, one line.'),
  includeEmail: field('Checked (any value): payloads carry the shopper’s email.'),
  [ALL_EVENTS_FIELD]: field('Checked: every event, now and later.'),
  ...Object.fromEntries(WEBHOOK_EVENT_TYPES.map((type) => [eventField(type), field(`Checked: ${type}.`)])),
});

/**
 * A console route's `detail`: server-rendered pages (200 HTML, errors as console pages with their
 * status), 303 redirects; a GET without a console session is sent to the sign-in page. The
 * console session cookie is no scheme of the API's, so the document lists no security.
 */
export function consoleOperation(
  summary: string,
  errors: ErrorCode[],
  more: {
    bare?: Record<number, string>;
    html?: boolean;
    forms?: boolean;
    rateLimited?: boolean;
    description?: string;
    /** A JSON answer instead of the page (the shopper export's download). */
    json?: Record<number, { description: string; schema: TSchema }>;
  } = {},
) {
  return operation({
    summary,
    description: more.description,
    tags: ['console'],
    security: PUBLIC,
    errors,
    ...(more.html === false ? {} : { html: { 200: 'The page.' } }),
    ...(more.bare ? { bare: more.bare } : {}),
    ...(more.forms ? { forms: true } : {}),
    ...(more.rateLimited ? { rateLimited: true } : {}),
    ...(more.json ? { documentedJson: more.json } : {}),
  });
}
