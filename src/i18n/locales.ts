// The languages shoppers are answered in, and how one is chosen for a request: the shipped
// languages of Accept-Language by q-value, then the tenant's default, then English.

export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * The shipped language the request prefers most: `de-CH;q=0.9, en;q=0.5` → de. A language the
 * request ranks `q=0` is refused; `*` and unshipped languages defer to the tenant's default.
 * Equal q-values keep the header's order.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined, tenantDefault?: string | null): Locale {
  const ranked = (acceptLanguage ?? '')
    .slice(0, 1024) // a header is short; never parse an unbounded one
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { language: tag.trim().toLowerCase().split('-')[0]!, weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((entry) => entry.weight > 0 && entry.language !== '')
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  const shipped = ranked.find((entry) => isLocale(entry.language));
  if (shipped) return shipped.language as Locale;
  return isLocale(tenantDefault) ? tenantDefault : DEFAULT_LOCALE;
}

/** Headers of a page in `locale`: its language, and that the answer depends on Accept-Language (for caches). */
export function languageHeaders(headers: Record<string, string | number>, locale: Locale): void {
  headers['content-language'] = locale;
  const vary = headers.vary === undefined ? '' : String(headers.vary);
  if (!/\baccept-language\b/i.test(vary)) headers.vary = vary ? `${vary}, Accept-Language` : 'Accept-Language';
}
