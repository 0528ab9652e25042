import { describe, expect, it } from 'vitest';
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
