import { languages, type Language } from '@/i18n/messages';

export const LANGUAGE_STORAGE_KEY = 'neuropod.language';
export const FALLBACK_LANGUAGE: Language = 'en';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (languages as readonly string[]).includes(value);
}

/** First supported language among the browser's preferences (`es-ES` -> `es`), else the fallback. */
export function languageFromBrowser(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) {
      return base;
    }
  }
  return FALLBACK_LANGUAGE;
}

function storage(): Storage | undefined {
  try {
    return typeof window === 'undefined' ? undefined : window.localStorage;
  } catch {
    return undefined; // e.g. storage disabled by the browser's privacy settings
  }
}

export function readStoredLanguage(): Language | undefined {
  const value = storage()?.getItem(LANGUAGE_STORAGE_KEY);
  return isLanguage(value) ? value : undefined;
}

export function storeLanguage(language: Language): void {
  try {
    storage()?.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Quota or privacy mode: the choice just lasts for this page.
  }
}

/** The language to start with: the stored choice, else the browser's. */
export function initialLanguage(): Language {
  const browser = typeof navigator === 'undefined' ? [] : navigator.languages.length > 0 ? navigator.languages : [navigator.language];
  return readStoredLanguage() ?? languageFromBrowser(browser);
}
