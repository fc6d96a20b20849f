// A used link opened again (the `used_link_replayed` security event), shown with the first use of
// that link: the browser, place and time that used it, the request that did, and the session it
// made — so support can tell a mail scanner or a forwarded mail from the shopper.
import { html, type Html } from '../http/html.ts';
import { deviceHtml, deviceName } from './device-names.ts';
import type { FirstUse } from './device-queries.ts';
import { requestLink, when } from './layout.ts';

/**
 * The rows a replay adds to its event's facts. `sessionHref`: where the session that used the link
 * is shown (the shopper page, at that session), or null when the page cannot link there.
 */
export function firstUseFacts(
  first: FirstUse | undefined,
  replay: { ip: string | null; userAgent: string | null },
  sessionHref: string | null,
  now: Date,
): Html {
  if (!first?.session_id) return html`<dt>First use</dt><dd class="muted">not known (the session it made is gone)</dd>`;
  const sameBrowser = first.user_agent === replay.userAgent && first.ip === replay.ip;
  return html`<dt>Why</dt><dd>The link was first used on ${deviceName(first.user_agent)}${first.ip ? ` from ${first.ip}` : ''}; ${
    sameBrowser
      ? 'it was opened again from the same browser and IP (a second tab or a reload), most likely the shopper.'
      : 'it was opened again elsewhere. If the first use is not the shopper’s device (a mail scanner, a forward), revoke that session.'
  }</dd>
<dt>First used</dt><dd>${when(first.used_at, now)} · ${deviceHtml(first.user_agent)}${first.ip ? ` · ${first.ip}` : ''}</dd>
<dt>Used by request</dt><dd>${requestLink(first.request_id)}</dd>
<dt>Its session</dt><dd>${sessionHref ? html`<a href="${sessionHref}" data-first-session><code>${first.session_id}</code></a>` : html`<code>${first.session_id}</code>`}</dd>`;
}
