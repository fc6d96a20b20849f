// Browsers as support says them on the phone — "Safari on iPhone", "Chrome on Windows" — not raw
// user agents. ua-parser-js 1.x (MIT; 2.x is AGPL) reads the user agent; the raw one stays one click
// away for support (a <details> element), since a parser's guess is only a guess.
import UAParser from 'ua-parser-js';
import { html, type Html } from '../http/html.ts';

/** Parsers' names that read oddly to a person, as people say them. */
const BROWSER_WORDS: Record<string, string> = {
  'Mobile Safari': 'Safari',
  'Mobile Firefox': 'Firefox',
  'Chrome Headless': 'Headless Chrome',
  'Chrome WebView': 'an app’s web view',
};
const OS_WORDS: Record<string, string> = { 'Mac OS': 'Mac', 'Chromium OS': 'ChromeOS' };

/** A tool that is not a browser (curl, a monitoring agent): its first product token, e.g. "curl". */
const PRODUCT_TOKEN = /^([A-Za-z][A-Za-z0-9._-]{0,30})\//;

/** "Safari on iPhone", "Chrome on Windows", "curl", or "an unknown browser". */
export function deviceName(userAgent: string | null | undefined): string {
  if (!userAgent) return 'an unknown browser';
  const { browser, os, device } = new UAParser(userAgent).getResult();
  // An iPhone or iPad is what the shopper calls it, not "iOS".
  const apple = device.vendor === 'Apple' && (device.model === 'iPhone' || device.model === 'iPad') ? device.model : undefined;
  const place = apple ?? (os.name ? (OS_WORDS[os.name] ?? os.name) : undefined);
  const name = browser.name ? (BROWSER_WORDS[browser.name] ?? browser.name) : undefined;
  if (name && place) return `${name} on ${place}`;
  if (name) return name;
  if (place) return `a browser on ${place}`;
  return PRODUCT_TOKEN.exec(userAgent)?.[1] ?? 'an unknown browser';
}

/** The device's name, with the raw user agent in a details element for support. */
export function deviceHtml(userAgent: string | null | undefined): Html {
  if (!userAgent) return html`<span class="muted">unknown</span>`;
  return html`<details class="ua"><summary>${deviceName(userAgent)}</summary><code>${userAgent}</code></details>`;
}
