import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { I18nContext, type I18n } from '@/i18n/context';
import { initialLanguage, storeLanguage } from '@/i18n/language';
import { translate, type Language, type Translate } from '@/i18n/messages';

interface Props {
  children: ReactNode;
  /** Fixed starting language (tests); by default the stored choice, else the browser's. */
  language?: Language;
}

export function I18nProvider({ children, language: forced }: Props) {
  const [language, setLanguageState] = useState<Language>(() => forced ?? initialLanguage());

  const setLanguage = useCallback((next: Language) => {
    storeLanguage(next);
    setLanguageState(next);
  }, []);

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const value = useMemo<I18n>(() => {
    const t = ((key, params?: Record<string, string | number>) => translate(language, key, params)) as Translate;
    return { language, setLanguage, t };
  }, [language, setLanguage]);

  return <I18nContext value={value}>{children}</I18nContext>;
}
