// Times in words a shopper reads, in their language: "today at 14:05 UTC (12 minutes ago)",
// "heute um 14:05 UTC (vor 12 Minuten)", and a lifetime such as "15 minutes" / "15 Minuten".
import type { Locale } from './locales.ts';
import { messagesFor } from './messages.ts';
import { countOf } from './plural.ts';

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/** "today", "yesterday" or "on 6 Dec 2026" / "am 6. Dez. 2026", by UTC calendar day. */
function dayWords(locale: Locale, at: Date, now: Date): string {
  const m = messagesFor(locale);
  const day = (d: Date) => Math.floor(d.getTime() / 86_400_000);
  const days = day(now) - day(at);
  if (days === 0) return m.time.today;
  if (days === 1) return m.time.yesterday;
  const date = new Intl.DateTimeFormat(m.dateLocale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(at);
  return m.time.onDate(date);
}

/** "just now", "12 minutes ago", "3 hours ago", "2 days ago" (a future moment reads "just now"). */
function agoWords(locale: Locale, at: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - at.getTime()) / 60_000);
  if (minutes < 1) return messagesFor(locale).time.justNow;
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'always' });
  if (minutes < 60) return relative.format(-minutes, 'minute');
  if (minutes < 48 * 60) return relative.format(-Math.floor(minutes / 60), 'hour');
  return relative.format(-Math.floor(minutes / 1440), 'day');
}

/**
 * A past moment's parts: the day and UTC clock time ("today at 14:05 UTC") and how long ago. The
 * server does not know the shopper's time zone, so the clock is UTC and the relative part carries the meaning.
 */
export function pastMoment(locale: Locale, at: Date, now: Date): { when: string; ago: string } {
  const clock = `${twoDigits(at.getUTCHours())}:${twoDigits(at.getUTCMinutes())} UTC`;
  return { when: messagesFor(locale).time.dayAtClock(dayWords(locale, at, now), clock), ago: agoWords(locale, at, now) };
}

/**
 * A lifetime in words, rounded down so a mail never promises more time than the link has:
 * seconds below a minute, minutes below two hours ("90 minutes" reads better than "1 hour"), hours above.
 */
export function duration(locale: Locale, seconds: number): string {
  const units = messagesFor(locale).units;
  const whole = Math.max(1, Math.floor(seconds));
  if (whole < 60) return countOf(locale, whole, units.second);
  if (whole < 120 * 60) return countOf(locale, Math.floor(whole / 60), units.minute);
  return countOf(locale, Math.floor(whole / 3600), units.hour);
}

/**
 * A wait in words ("2 minutes", "3 hours"), rounded up so a page never says a limit lifts sooner
 * than it does: seconds below a minute, minutes below two hours, hours above.
 */
export function waitWords(locale: Locale, seconds: number): string {
  const units = messagesFor(locale).units;
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return countOf(locale, whole, units.second);
  if (whole <= 120 * 60) return countOf(locale, Math.ceil(whole / 60), units.minute);
  return countOf(locale, Math.ceil(whole / 3600), units.hour);
}
