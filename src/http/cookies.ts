// Cookie and redirect helpers over Elysia's built-in cookie jar and `set`.

export type CookieJar = Record<string, { value?: unknown; set(options: Record<string, unknown>): unknown; remove(): unknown }>;
export type SetContext = { status?: number | string; headers: Record<string, string | number> };

/** `__Host-` cookies: Secure, Path=/, no Domain — browsers also accept them on http://localhost. */
export function setHostCookie(jar: CookieJar, name: string, value: string, maxAgeSeconds: number): void {
  jar[name]!.set({ value, httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: maxAgeSeconds });
}

export function cookieString(jar: CookieJar, name: string): string | undefined {
  const value = jar[name]?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function seeOther(set: SetContext, location: string): string {
  set.status = 303;
  set.headers.location = location;
  return '';
}

/** Deleting a `__Host-` cookie needs the same Secure and Path=/ as setting it, or browsers ignore it. */
export function clearHostCookie(jar: CookieJar, name: string): void {
  jar[name]!.set({ value: '', httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 0, expires: new Date(0) });
}
