import type { Language } from '@/i18n/messages';

const UNITS = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
] as const;

/** A duration as its largest unit and, if not zero, the next one: `3 days 4 hr`, `3 días 4 h`, `5 sec`. */
export function formatDuration(totalSeconds: number, language: Language): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const format = (amount: number, unit: (typeof UNITS)[number][0]) =>
    new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'short' }).format(amount);

  const first = UNITS.findIndex(([, size]) => seconds >= size);
  if (first === -1) {
    return format(0, 'second');
  }
  const [unit, size] = UNITS[first]!;
  const parts = [format(Math.floor(seconds / size), unit)];
  const next = UNITS[first + 1];
  if (next !== undefined) {
    const [nextUnit, nextSize] = next;
    const amount = Math.floor((seconds % size) / nextSize);
    if (amount > 0) {
      parts.push(format(amount, nextUnit));
    }
  }
  return parts.join(' ');
}

export function formatNumber(value: number, language: Language, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(language, { maximumFractionDigits }).format(value);
}

export function formatTime(epochMs: number, language: Language): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'medium' }).format(epochMs);
}

/** Micro-euros per euro: the API's money is integer micro-euros (1 EUR = 1_000_000). */
export const MICROS_PER_EURO = 1_000_000;

/** An amount of integer micro-euros as euros: `10,00 €` in Spanish, `€10.00` in English. */
export function formatMoney(micros: number, language: Language): string {
  return new Intl.NumberFormat(language, {
    style: 'currency',
    currency: 'EUR',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(micros / MICROS_PER_EURO);
}

export const UNLIMITED = '∞';

/** A user's balance: money, or ∞ when the API says null (admins are never limited by balance). */
export function formatBalance(micros: number | null, language: Language): string {
  return micros === null ? UNLIMITED : formatMoney(micros, language);
}

/** A date and time of the API (ISO 8601) in the user's language, e.g. `3 Jan 2026, 14:05`. */
export function formatDateTime(value: string | number, language: Language): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return String(value);
  }
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A date of the API (ISO 8601) without the time, e.g. `3 Jan 2026`. */
export function formatDate(value: string | number, language: Language): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return String(value);
  }
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(date);
}

const RELATIVE_UNITS = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
] as const;

/**
 * How far `value` (ISO 8601 or epoch ms) is from `now`, in its largest whole unit: `5 minutes ago`,
 * `hace 5 minutos`, `yesterday`, `in 2 hours`. What cannot be parsed is passed through.
 */
export function formatRelativeTime(value: string | number, language: Language, now: number = Date.now()): string {
  const time = new Date(value).getTime();
  if (Number.isNaN(time)) {
    return String(value);
  }
  const seconds = Math.round((time - now) / 1000);
  const [unit, size] = RELATIVE_UNITS.find(([, s]) => Math.abs(seconds) >= s) ?? RELATIVE_UNITS[RELATIVE_UNITS.length - 1]!;
  return new Intl.RelativeTimeFormat(language, { numeric: 'auto' }).format(Math.trunc(seconds / size), unit);
}
