import { describe, expect, it } from 'vitest';
import { formatBalance, formatDateTime, formatMoney, formatRelativeTime } from '@/i18n/format';
import { formatDuration } from '@/i18n/format';

describe('formatDuration', () => {
  it.each([
    [0, 'en', '0 sec'],
    [59.9, 'en', '59 sec'],
    [61, 'en', '1 min 1 sec'],
    [3_600, 'en', '1 hr'],
    [93_784, 'en', '1 day 2 hr'],
    [86_400 + 300, 'en', '1 day'],
    [-5, 'en', '0 sec'],
    [93_784, 'es', '1 d 2 h'],
  ] as const)('%s s in %s is "%s"', (seconds, language, expected) => {
    expect(formatDuration(seconds, language)).toBe(expected);
  });
});

describe('formatMoney (integer micro-euros)', () => {
  // Intl puts a no-break space between the amount and the symbol in Spanish.
  it.each([
    [10_000_000, 'es', '10,00\u00a0€'],
    [10_000_000, 'en', '€10.00'],
    [0, 'es', '0,00\u00a0€'],
    [1_234_567_000, 'es', '1234,57\u00a0€'], // rounded to the cent; Spanish groups from 10 000 on
    [1_234_567, 'en', '€1.23'],
    [12_345_678_900, 'es', '12.345,68\u00a0€'],
    [-2_500_000, 'en', '-€2.50'],
    [5_000, 'en', '€0.01'],
  ] as const)('%s micros in %s is "%s"', (micros, language, expected) => {
    expect(formatMoney(micros, language)).toBe(expected);
  });
});

describe('formatBalance', () => {
  it('is money for a number and ∞ for null (admins: unlimited)', () => {
    expect(formatBalance(10_000_000, 'es')).toBe('10,00\u00a0€');
    expect(formatBalance(null, 'es')).toBe('∞');
    expect(formatBalance(null, 'en')).toBe('∞');
  });
});

describe('formatDateTime', () => {
  it('formats an ISO date in the language, and passes through what it cannot parse', () => {
    const iso = '2026-03-02T18:30:00Z';
    expect(formatDateTime(iso, 'en')).toBe(
      new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)),
    );
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
  });
});

describe('formatRelativeTime', () => {
  const now = Date.parse('2026-03-02T18:30:00Z');
  it.each([
    ['2026-03-02T18:30:00Z', 'en', 'now'],
    ['2026-03-02T18:29:15Z', 'en', '45 seconds ago'],
    ['2026-03-02T18:25:30Z', 'en', '4 minutes ago'],
    ['2026-03-02T16:00:00Z', 'en', '2 hours ago'],
    ['2026-03-01T18:00:00Z', 'en', 'yesterday'],
    ['2026-03-02T20:30:00Z', 'en', 'in 2 hours'],
    ['2026-03-02T18:25:30Z', 'es', 'hace 4 minutos'],
    ['2026-02-27T18:30:00Z', 'es', 'hace 3 días'],
  ] as const)('%s in %s is "%s"', (value, language, expected) => {
    expect(formatRelativeTime(value, language, now)).toBe(expected);
  });

  it('passes through what it cannot parse', () => {
    expect(formatRelativeTime('not a date', 'en', now)).toBe('not a date');
  });
});
