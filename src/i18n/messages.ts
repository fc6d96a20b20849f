// One message catalogue per shipped locale. English defines the shape (en.ts `Messages`); every
// other catalogue is typed with it, so a missing or extra key fails typecheck, and
// test/i18n.test.ts checks the same at run time.
import { de } from './de.ts';
import { en, type Messages } from './en.ts';
import type { Locale } from './locales.ts';

export type { Messages } from './en.ts';

export const CATALOGUES: Record<Locale, Messages> = { en, de };

export function messagesFor(locale: Locale): Messages {
  return CATALOGUES[locale];
}
