// A browser-like client of the support console for the black-box tests: one cookie jar, forms with
// the console's own Origin, the CSRF token read from the page like a browser would submit it.
import { expect } from 'bun:test';
import type { CapturedMail } from './support/mail-capture.ts';
import { CookieJar, type Harness, SERVICE_HOST } from './support/harness.ts';

export const CONSOLE_ORIGIN = `http://${SERVICE_HOST}`;

/** The hidden `csrf` field of the first form on a page. */
export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no csrf field on the page:\n${page.slice(0, 400)}`);
  return match[1]!;
}

/** The href of the first link on a page whose text starts with `text`, as a browser would follow it. */
export function linkOf(page: string, text: string): string {
  for (const match of page.matchAll(/<a [^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/g)) {
    if (match[2]!.startsWith(text))
      return match[1]!
        .replaceAll('&amp;', '&')
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>');
  }
  throw new Error(`no link "${text}" on the page:\n${page.slice(0, 400)}`);
}

/** The console link of a captured mail (the capture only recognises shoppers' links). */
export function consoleLinkOf(mail: CapturedMail): string {
  const link = /https?:\/\/\S+\/console\/t\/\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no console link in the mail:\n${mail.text}`);
  return link;
}

/** The error code an HTML error page shows. */
export function codeOf(page: string): string | null {
  return /data-error-code>([a-z_]+)</.exec(page)?.[1] ?? null;
}

export class ConsoleClient {
  readonly jar = new CookieJar();
  /** The session's CSRF token, once signed in. */
  csrf = '';

  constructor(
    readonly h: Harness,
    readonly email: string,
    readonly ip = '203.0.113.10',
  ) {}

  get(path: string): Promise<Response> {
    return this.h.fetch(path, { host: SERVICE_HOST, ip: this.ip, jar: this.jar, headers: { accept: 'text/html' } });
  }

  post(path: string, fields: Record<string, string>, headers: Record<string, string> = { origin: CONSOLE_ORIGIN }): Promise<Response> {
    return this.h.form(path, fields, { host: SERVICE_HOST, ip: this.ip, jar: this.jar, headers });
  }

  /** The sign-in form: its page, then the POST with the token the page carries. */
  async requestLink(email = this.email): Promise<Response> {
    const page = await (await this.get('/console/sign-in')).text();
    return this.post('/console/sign-in', { email, csrf: csrfOf(page) });
  }

  /** The newest console mail to this operator (delivering what is queued first). */
  async mail(): Promise<CapturedMail> {
    await this.h.deliver();
    return this.h.mail.last(this.email);
  }

  /** Full sign-in: form → mail → link page → Continue. */
  async signIn(): Promise<this> {
    const asked = await this.requestLink();
    if (asked.status !== 303) throw new Error(`sign-in answered ${asked.status}: ${await asked.text()}`);
    const path = new URL(consoleLinkOf(await this.mail())).pathname;
    const confirm = await this.get(path);
    if (confirm.status !== 200) throw new Error(`the link page answered ${confirm.status}`);
    const done = await this.post(path, { csrf: csrfOf(await confirm.text()) });
    if (done.status !== 303 || done.headers.get('location') !== '/console/')
      throw new Error(`confirm answered ${done.status} ${await done.text()}`);
    await this.refreshCsrf();
    return this;
  }

  async refreshCsrf(): Promise<string> {
    const home = await this.get('/console/');
    if (home.status !== 200) throw new Error(`the console home answered ${home.status}`);
    this.csrf = csrfOf(await home.text());
    return this.csrf;
  }

  /** Posts an action as its confirmation page would (session CSRF token included unless overridden). */
  action(handle: string, action: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response> {
    return this.post(`/console/tenants/${handle}/actions/${action}`, { csrf: this.csrf, ...fields }, headers);
  }
}

/** The request id a console action answered with, from its redirect (`?ref=`). */
export function refOf(response: Response): string {
  const location = response.headers.get('location') ?? '';
  const ref = new URL(location, 'http://x').searchParams.get('ref');
  if (!ref) throw new Error(`no ref in ${response.status} ${location}`);
  expect(ref).toBe(response.headers.get('x-request-id')!);
  return ref;
}
