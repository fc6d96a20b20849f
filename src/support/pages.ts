// The page a browser form lands on after filing a report (forms get a 303, docs/api.md "Bodies"): it
// confirms receipt and shows the references to quote. Only well-formed ids from the query are shown.
import { html, page } from '../http/html.ts';
import { REQUEST_ID_SHAPE } from './reports.ts';

export const REPORT_SENT_PATH = '/_edge/visitor/support/report-sent';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function reportSentPage(input: { brand: string; requestId: string; query: Record<string, string | undefined> }): string {
  const reportId = UUID_SHAPE.test(input.query.reportId ?? '') ? input.query.reportId! : null;
  const filedBy = REQUEST_ID_SHAPE.test(input.query.requestId ?? '') ? input.query.requestId! : null;
  const content = input.query.kind === 'content';
  const body = html`<p>${content ? 'Thank you. We will review the content you reported.' : 'Thank you. Our support team has your report.'}</p>
${reportId ? html`<p>Your report number is <code>${reportId}</code>${filedBy ? html` (reference <code>${filedBy}</code>)` : ''}. Quote it if you contact us again.</p>` : ''}`;
  return page({ brand: input.brand, title: content ? 'Report received' : 'We got your report', body, requestId: input.requestId });
}
