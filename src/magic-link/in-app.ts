// In-app browsers (Instagram, Facebook and Messenger, TikTok, Snapchat, LinkedIn, Line, the Google
// app, an app's web view such as Gmail's…): a session made there stays trapped in the app, so the
// link page leads with "sign in on my other screen" and the advice to open the link in the browser.
// ua-parser-js (already the console's parser) names them; its list is maintained upstream, which a
// hand-written pattern here would not be.
import UAParser from 'ua-parser-js';

/** Browser names ua-parser-js gives apps' built-in browsers (lower-case). */
const IN_APP = new Set([
  'instagram',
  'facebook',
  'messenger',
  'tiktok',
  'snapchat',
  'linkedin',
  'line',
  'gsa',
  'wechat',
  'twitter',
  'kakaotalk',
  'kakaostory',
  'chrome webview',
  'webview',
]);

export function isInAppBrowser(userAgent: string | null | undefined): boolean {
  if (!userAgent) return false;
  const { browser, os } = new UAParser(userAgent).getResult();
  const name = browser.name?.toLowerCase();
  if (!name) return false;
  // On iOS every browser is WebKit; one the parser can only call "WebKit" has no Safari (or other
  // browser) token: an app's WKWebView, like Gmail's or Pinterest's.
  return IN_APP.has(name) || (name === 'webkit' && os.name === 'iOS');
}
