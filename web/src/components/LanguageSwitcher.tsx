import { SegmentedControl } from '@mantine/core';
import { useI18n } from '@/i18n/context';
import { isLanguage } from '@/i18n/language';

const LABELS = { es: 'ES', en: 'EN' } as const;
const NAMES = { es: 'Español', en: 'English' } as const;

export function LanguageSwitcher() {
  const { language, setLanguage, t } = useI18n();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('language.label')}
      value={language}
      onChange={(value) => {
        if (isLanguage(value)) {
          setLanguage(value);
        }
      }}
      data={(['es', 'en'] as const).map((value) => ({
        value,
        label: (
          <span title={NAMES[value]} aria-label={NAMES[value]}>
            {LABELS[value]}
          </span>
        ),
      }))}
    />
  );
}
