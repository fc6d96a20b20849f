// Plural forms chosen by the language's own rules (Intl.PluralRules), and the shape of a message
// that wraps markup around values.
import type { Locale } from './locales.ts';

/** `other` is required (every language has it); the rest as the language needs. */
export type PluralForms = { other: string } & Partial<Record<Exclude<Intl.LDMLPluralRule, 'other'>, string>>;

/** A message in pieces: text (escaped by the page) and the values it was given (kept as they are). */
export type Rich = readonly unknown[];

const RULES = new Map<Locale, Intl.PluralRules>();

/** "1 minute", "2 minutes"; "1 Minute", "2 Minuten". */
export function countOf(locale: Locale, amount: number, forms: PluralForms): string {
  let rules = RULES.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    RULES.set(locale, rules);
  }
  return `${amount} ${forms[rules.select(amount)] ?? forms.other}`;
}
