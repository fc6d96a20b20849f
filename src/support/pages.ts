// The page a browser form lands on after filing a report (forms get a 303, docs/api.md "Bodies"): it
// confirms receipt and shows the references to quote. Only well-formed ids from the query are shown.
// On a storefront's host it is theirs like every hosted page: branded, in the shopper's language,
// with a way back to the shop.
import { html, page, type PageBranding } from '../http/html.ts';
import { DEFAULT_LOCALE, type Locale } from '../i18n/locales.ts';
import { messagesFor } from '../i18n/messages.ts';
import { REQUEST_ID_SHAPE } from './reports.ts';

export const REPORT_SENT_PATH = '/_edge/visitor/support/report-sent';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `storefront`: the host's storefront (its branding and home page), or null on a host without one (a neutral page, in English). */
export function reportSentPage(input: {
  storefront: { branding: PageBranding; home: string } | null;
  locale: Locale;
  requestId: string;
  query: Record<string, string | undefined>;
}): string {
  const { storefront } = input;
  const locale = storefront ? input.locale : DEFAULT_LOCALE;
  const m = messagesFor(locale).reportSent;
  const reportId = UUID_SHAPE.test(input.query.reportId ?? '') ? input.query.reportId! : null;
  const filedBy = REQUEST_ID_SHAPE.test(input.query.requestId ?? '') ? input.query.requestId! : null;
  const content = input.query.kind === 'content';
  const body = html`<p>${content ? m.contentThanks : m.supportThanks}</p>
${reportId ? html`<p>${m.number(html`<code>${reportId}</code>`, filedBy ? m.reference(html`<code>${filedBy}</code>`) : '')}</p>` : ''}
${storefront ? html`<p><a class="button" href="${storefront.home}">${m.backTo(storefront.branding.name)}</a></p>` : ''}`;
  return page({
    brand: storefront?.branding.name ?? 'Visitor Access',
    branding: storefront?.branding,
    locale,
    title: content ? m.contentTitle : m.supportTitle,
    body,
    requestId: input.requestId,
  });
}
