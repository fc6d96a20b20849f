// The first line of a request page: one plain sentence of what happened and what support can do.
// An error answer reads its code's sentence from the one catalogue below (typed over every code of
// src/errors.ts, and test/console-explains.test.ts fails on a code without one); a sentence that
// has a playbook in docs/playbooks.md says its fix and names it, and the test keeps the two in step.
// A successful request is told from its audit trail ("The shopper signed in on … at …").
import type { ErrorCode } from '../errors.ts';
import { html, readableTime, type Html } from '../http/html.ts';
import type { lookUpRequest } from '../support/request-lookup.ts';
import { deviceName } from './device-names.ts';

/** What the request-id lookup found (src/support/request-lookup.ts). */
export type Lookup = NonNullable<Awaited<ReturnType<typeof lookUpRequest>>>;

export type CodeExplanation = {
  /** What happened and what support can do, in one sentence a customer success lead reads aloud. */
  sentence: string;
  /** The numbered playbook of docs/playbooks.md about this code, if there is one. */
  playbook: number | null;
};

const INTEGRATION_BUG = 'usually a bug in the storefront’s integration: escalate it with this request id';

export const CODE_EXPLANATIONS: Record<ErrorCode, CodeExplanation> = {
  invalid_request: { sentence: `The request was malformed, so nothing was done; this is ${INTEGRATION_BUG}.`, playbook: null },
  invalid_email: {
    sentence: 'The address typed is not a valid email address, so no link was sent; ask the shopper to check it for typos and try again.',
    playbook: null,
  },
  invalid_webhook_url: {
    sentence: `The storefront tried to register a webhook address this service will not call (not https in production, or one that points into a private network), so nothing was saved; this is ${INTEGRATION_BUG}.`,
    playbook: null,
  },
  invalid_return_to: {
    sentence: `The storefront asked to send the shopper back to a page outside its own site, so the sign-in was refused; this is ${INTEGRATION_BUG}.`,
    playbook: null,
  },
  invalid_magic_link: {
    sentence:
      'The sign-in link was not a valid one (cut short, mistyped, or of another storefront), so nothing happened; ask the shopper to open the newest mail, or re-send a link from their shopper page.',
    playbook: null,
  },
  invalid_code: {
    sentence: 'The shopper typed a wrong 6-digit code; they may try again (5 tries per mail) or open the link in the same mail instead.',
    playbook: null,
  },
  invalid_resource: {
    sentence:
      'A grant named a resource that is not a normalised path, so nothing changed; write it like /orders/A-1001 or /content/course-1/* and try again.',
    playbook: null,
  },
  cookie_blocked: {
    sentence:
      'The shopper’s browser dropped our sign-in cookie, so the link was not used up; ask them to allow cookies for the storefront, or to type the 6-digit code from the same mail (playbook 3).',
    playbook: 3,
  },
  bad_path: {
    sentence: `The storefront’s edge asked about a path that cannot be checked, so access was refused; this is ${INTEGRATION_BUG}.`,
    playbook: null,
  },
  not_signed_in: {
    sentence:
      'The shopper was not signed in (no session, or it ended or was revoked); they sign in again, and you can re-send a link from their shopper page.',
    playbook: null,
  },
  unauthorized: {
    sentence:
      'The storefront’s server sent a missing, wrong or revoked credential, so it was refused; its developer needs a valid PAT or storefront token.',
    playbook: null,
  },
  csrf_rejected: {
    sentence:
      'The form was sent from another site or an old page, so it was refused and nothing changed; ask the shopper to start again from the storefront’s own page.',
    playbook: null,
  },
  wrong_tenant: {
    sentence: 'The request named something of another storefront, so it was refused; check that the shopper is on the right storefront.',
    playbook: null,
  },
  insufficient_scope: {
    sentence: 'The storefront’s credential lacks the scope this route needs, so it was refused; its developer needs a PAT with that scope.',
    playbook: null,
  },
  wrong_audience: {
    sentence:
      'This caller may not use this route or see this storefront, so it was refused; an admin can give the operator or credential access.',
    playbook: null,
  },
  not_found: {
    sentence: 'What was asked for does not exist (a mistyped address, or an id that is gone); check the link or id that was used.',
    playbook: null,
  },
  unknown_handle: {
    sentence: 'No storefront has the handle this request named, so it was refused; check the storefront’s sign-in form or API call.',
    playbook: null,
  },
  session_not_found: {
    sentence: 'The session to act on does not exist (any more); reload the shopper page to see their current sessions.',
    playbook: null,
  },
  method_not_allowed: { sentence: `The route was called with the wrong method; this is ${INTEGRATION_BUG}.`, playbook: null },
  used_magic_link: {
    sentence:
      'Someone opened a sign-in link that was already used (a forwarded mail, a shared inbox or a second device); compare the browser that used it with the shopper’s, revoke that session if it is not theirs, and re-send a link (playbook 2).',
    playbook: 2,
  },
  link_still_valid: {
    sentence: 'The shopper asked for a fresh link while theirs still works; ask them to use the newest mail, or its 6-digit code.',
    playbook: null,
  },
  idempotency_in_progress: {
    sentence:
      'The storefront’s server retried a request while the first was still running; nothing is wrong for the shopper, the first answer stands.',
    playbook: null,
  },
  expired_magic_link: {
    sentence:
      'The shopper opened a sign-in link after it expired (usually the mail arrived late); they can press “Send me a fresh link” on that page, or you can re-send one from their shopper page (playbook 1).',
    playbook: 1,
  },
  payload_too_large: {
    sentence: 'The request was larger than we accept, so it was refused; if it was a support report, ask for a shorter one.',
    playbook: null,
  },
  unsupported_media_type: { sentence: `The request was sent in a format we do not read; this is ${INTEGRATION_BUG}.`, playbook: null },
  idempotency_key_reused: {
    sentence: `The storefront’s server reused an Idempotency-Key for a different request, so it was refused; this is ${INTEGRATION_BUG}.`,
    playbook: null,
  },
  rate_limited: {
    sentence:
      'Too many requests came from this address or network in a short time, so this one was refused; ask the shopper to wait a minute and try once (playbook 6).',
    playbook: 6,
  },
  daily_limit_reached: {
    sentence:
      'A daily limit was reached, so this was refused until it resets; ask the shopper to use the newest mail meanwhile (playbook 6).',
    playbook: 6,
  },
  code_attempts_exceeded: {
    sentence:
      'Five wrong codes were typed for this address, so its code is burned; the link in the same mail still works, or re-send a link from their shopper page.',
    playbook: null,
  },
  internal_error: {
    sentence:
      'Something failed on our side, not the shopper’s; ask them to try again, and escalate this request id so the logs are checked.',
    playbook: null,
  },
  service_unavailable: {
    sentence:
      'The service was briefly unavailable (starting, stopping, or its database out of reach); ask the shopper to try again in a minute, and escalate if it lasts.',
    playbook: null,
  },
  pending_expired: {
    sentence:
      'The screen waiting for the shopper’s approval from another device stopped waiting: the link expired, or was used another way (its code, or “Continue here” on the other device); ask the shopper to sign in where the link opens, or send a new one (playbook 7).',
    playbook: 7,
  },
  pending_rejected: {
    sentence:
      'The shopper’s waiting screen was refused because a wrong number was picked on the device that opened the link, which used the link up; ask whether they picked it, and send a new link (playbook 7).',
    playbook: 7,
  },
  number_mismatch: {
    sentence:
      'Someone opened the sign-in link and picked a number the shopper’s waiting screen did not show, so nothing was signed in and the link is used up; if the shopper did not ask for that link, someone else may have, else just send a new one (playbook 7).',
    playbook: 7,
  },
  invalid_handoff: {
    sentence:
      'The order link the shopper opened is not one this storefront issued (mistyped, cut off, or from another shop), so nothing was opened; ask them for the receipt mail’s link again, or to sign in with the address they bought with.',
    playbook: null,
  },
  step_up_required: {
    sentence:
      'The shopper is signed in for one order only (they came from a checkout link), and this needs their email proven; ask them to sign in with the link or code we email them, from the same browser (playbook 8).',
    playbook: 8,
  },
  passkey_challenge_invalid: {
    sentence:
      'The shopper’s browser answered a passkey request that was already used, older than 5 minutes, or made for another storefront or host, so nothing was signed in; ask them to try again (the page asks for a fresh one).',
    playbook: null,
  },
  passkey_rejected: {
    sentence:
      'The passkey the shopper offered is not registered on this storefront host, was removed, or its signature did not check out, so nothing was signed in; they can sign in with the link or code we email them and register a new passkey.',
    playbook: null,
  },
  email_not_found: {
    sentence:
      'The shopper named an address that is not among their addresses (or has no verification in flight); they can add it again from their addresses page (playbook 11).',
    playbook: 11,
  },
  email_is_primary: {
    sentence: 'The shopper tried to remove their primary address; they first make another verified address primary (playbook 11).',
    playbook: 11,
  },
  email_not_verified: {
    sentence:
      'The shopper tried to make an address primary that is not verified yet; they open the link or enter the code sent to it first (playbook 11).',
    playbook: 11,
  },
  invalid_email_link: {
    sentence:
      'The address link the shopper opened is not valid here (mistyped, replaced by a newer mail, already used, or another shop’s); nothing changed (playbook 11).',
    playbook: 11,
  },
  expired_email_link: {
    sentence:
      'The address link expired (verification: 1 hour; "this wasn’t me": 7 days); they add the address again, or support undoes the change (playbook 11).',
    playbook: 11,
  },
};

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(CODE_EXPLANATIONS, code);

type Operators = Map<string, string>;

function who(actor: string, operators: Operators): string {
  if (actor.startsWith('operator:')) return `Operator ${operators.get(actor.slice(9)) ?? actor.slice(9)}`;
  return actor === 'visitor' ? 'The shopper' : actor;
}

/** A successful request, told from the first audit entry that says what it did. */
function successSentence(found: Lookup, now: Date, operators: Operators): Html {
  const email = found.visitor?.email ?? 'the shopper';
  const at = (iso: string | null) => (iso ? html` ${readableTime(new Date(iso), now)}` : '');
  for (const entry of found.audit) {
    const by = who(entry.actor, operators);
    switch (entry.kind) {
      case 'pending_signed_in': {
        const device = deviceName(found.client?.userAgent);
        const from = found.client ? ` from ${found.client.ip}` : '';
        return html`The shopper signed in on ${device}${from}${at(entry.at)}, the screen that asked for the link, after the right number was picked on the device that opened it; nothing to do, unless that was not them: then revoke the session on their shopper page.`;
      }
      case 'pending_approved':
        return html`The sign-in link was opened on ${deviceName(found.client?.userAgent)}${at(entry.at)} and the right number picked there, so the screen that asked for it signs in (nothing was signed in on this device); nothing to do.`;
      case 'link_consumed':
      case 'code_consumed': {
        const device = deviceName(found.client?.userAgent);
        const from = found.client ? ` from ${found.client.ip}` : '';
        return html`The shopper signed in on ${device}${from}${at(entry.at)} with their ${entry.kind === 'code_consumed' ? '6-digit code' : 'link'}; nothing to do, unless that was not them: then revoke the session on their shopper page.`;
      }
      case 'passkey_signed_in': {
        const device = deviceName(found.client?.userAgent);
        const from = found.client ? ` from ${found.client.ip}` : '';
        return html`The shopper signed in on ${device}${from}${at(entry.at)} with a passkey registered on ${String(entry.detail?.rpId ?? 'this storefront’s host')}; nothing to do, unless that was not them: then revoke the session and remove the passkey on their shopper page.`;
      }
      case 'passkey_registered':
        return html`The shopper created a passkey for ${String(entry.detail?.rpId ?? 'this storefront’s host')}${at(entry.at)}; from now on it signs them in there without a mail.`;
      case 'passkey_removed':
        return html`${by} removed a passkey of ${email}${at(entry.at)}; it no longer signs in.`;
      case 'visitor_exported':
        return html`${by} downloaded everything held about ${email}${at(entry.at)} (the shopper page's export).`;
      case 'erasure_code_sent':
        return html`The shopper asked for a code to delete their account${at(entry.at)}; nothing is deleted until they enter it on the storefront's page.`;
      case 'visitor_erased':
        return html`A shopper was erased${at(entry.at)} by ${entry.actor === 'visitor' ? 'their own request (session and mailed code)' : by}: their sessions, links, passkeys, grants and mail are gone; what is kept names them only as ${String(entry.detail?.subject ?? 'a pseudonym')}.`;
      case 'sign_in_requested': {
        const mail = found.mail[0];
        const asker =
          entry.actor === 'visitor'
            ? `A sign-in link was requested for ${email}${entry.detail?.pendingId ? ' by a browser that waits for it (its number can be picked where the link opens)' : ''}`
            : `${by} re-sent a sign-in link to ${email}`;
        if (mail?.status === 'sent')
          return html`${asker}${at(entry.at)} and its mail was sent${at(mail.sentAt)}; if it did not arrive, ask the shopper to check spam and the exact address, then re-send (playbook 4).`;
        if (mail?.status === 'failed')
          return html`${asker}${at(entry.at)}, but its mail failed for good${mail.lastError ? ` (${mail.lastError})` : ''}; check the address with the shopper, then re-send (playbook 4).`;
        return html`${asker}${at(entry.at)} and its mail is still queued${mail?.attempts ? ` after ${mail.attempts} failed attempts` : ''}; it goes out by itself once our mail provider accepts it (playbook 4).`;
      }
      case 'sign_in_mail_suppressed':
        return html`A sign-in link was asked for ${email}${at(entry.at)}, but the address had reached its mail limit, so nothing was sent; ask the shopper to use the newest mail (playbook 6).`;
      case 'link_opened':
        return html`The shopper opened their sign-in link${at(entry.at)}; nothing is signed in until they press “Continue” on that page.`;
      case 'report_filed':
        return html`The shopper filed a support report${at(entry.at)}; it is listed below and on the storefront’s page.`;
      case 'session_revoked':
        return html`${by} revoked a session of ${email}${at(entry.at)}; that device has to sign in again.`;
      case 'sessions_revoked_all':
        return html`${by} revoked every session of ${email}${at(entry.at)}; each device has to sign in again.`;
      case 'grant_set':
        return html`${by} gave ${email} access to ${String(entry.detail?.resource ?? 'a resource')}${at(entry.at)}.`;
      case 'grant_removed':
        return html`${by} removed the access of ${email} to ${String(entry.detail?.resource ?? 'a resource')}${at(entry.at)}.`;
      case 'report_handled':
        return html`${by} marked a support report handled${at(entry.at)}.`;
      case 'webhook_endpoint_added':
        return html`${by} added the webhook endpoint ${String(entry.detail?.url ?? '')}${at(entry.at)}; its signing secret was shown once, to them.`;
      case 'webhook_endpoint_removed':
        return html`${by} removed the webhook endpoint ${String(entry.detail?.url ?? '')}${at(entry.at)}; its undelivered events went with it.`;
      case 'webhook_secret_rotated':
        return html`${by} rotated a webhook endpoint’s signing secret${at(entry.at)}; the previous secret also signs for 24 hours.`;
      case 'webhook_delivery_resent':
        return html`${by} re-sent a webhook delivery${at(entry.at)}; the worker sends it again within seconds, with the same webhook-id.`;
      case 'handoff_created':
        return html`The storefront made a checkout link for ${email} (order ${String(entry.detail?.orderId ?? '?')})${at(entry.at)}; it opens that order without a sign-in mail, once.`;
      case 'handoff_opened':
        return html`The shopper opened their checkout link${at(entry.at)}; nothing is opened until they press “Continue” on that page.`;
      case 'handoff_consumed':
        return html`The shopper opened order ${String(entry.detail?.orderId ?? '?')} from its checkout link${at(entry.at)}: that browser sees this order only, until they sign in with their email (then everything they bought).`;
      case 'order_revoked':
        return html`${by} revoked order ${String(entry.detail?.orderId ?? '?')}${at(entry.at)} (a refund or chargeback): its grants and its checkout sessions ended.`;
    }
  }
  if (found.status === null)
    return html`This request id is only cited (by a report or an escalation), or not in the request log yet; what is known of it is below.`;
  return html`The request was answered ${String(found.status)}${at(found.timings.at)}; nothing went wrong on it.`;
}

/** The request page's first sentence. */
export function explainRequest(found: Lookup, now: Date, operators: Operators): Html {
  if (found.code && isErrorCode(found.code)) return html`${CODE_EXPLANATIONS[found.code].sentence}`;
  if (found.code) return html`The request was answered ${String(found.status)} with the code ${found.code}.`;
  if (found.status !== null && found.status >= 400)
    return html`The request was answered ${String(found.status)}; look at the route and the shopper’s other requests below.`;
  return successSentence(found, now, operators);
}
