import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LanguageSwitcher } from '@/components/LanguageSwitcher';
import { useI18n } from '@/i18n/context';
import { I18nProvider } from '@/i18n/I18nProvider';
import { initialLanguage, LANGUAGE_STORAGE_KEY, languageFromBrowser } from '@/i18n/language';
import { en, es, translate } from '@/i18n/messages';
import { renderWithProviders } from '@/test/render';
import { render } from '@testing-library/react';

function Probe() {
  const { t, language } = useI18n();
  return (
    <p data-language={language}>
      {t('status.title')} / {t('error.requestId', { id: 'abc' })}
    </p>
  );
}

function stubBrowserLanguages(languages: string[]) {
  vi.stubGlobal('navigator', { ...navigator, languages, language: languages[0] ?? '' });
}

describe('dictionaries', () => {
  it('have the same keys and no empty text in es and en', () => {
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
    for (const dictionary of [en, es]) {
      for (const text of Object.values(dictionary)) {
        expect(text.trim()).not.toBe('');
      }
    }
  });

  it('use the same placeholders in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(es[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('fill the placeholders', () => {
    expect(translate('en', 'status.latency', { ms: 12 })).toBe('12 ms');
    expect(translate('es', 'error.requestId', { id: 'r-1' })).toBe('Id de la petición: r-1');
    expect(translate('en', 'error.requestId', {})).toBe('Request id: {id}');
  });
});

describe('initial language', () => {
  it.each([
    [['es-ES', 'en'], 'es'],
    [['en-GB'], 'en'],
    [['fr-FR', 'es'], 'es'],
    [['fr-FR', 'de'], 'en'],
    [[], 'en'],
  ])('browser %j -> %s', (preferred, expected) => {
    expect(languageFromBrowser(preferred)).toBe(expected);
  });

  it('prefers the stored choice over the browser language, and ignores garbage in storage', () => {
    stubBrowserLanguages(['es-ES']);
    expect(initialLanguage()).toBe('es');
    localStorage.setItem(LANGUAGE_STORAGE_KEY, 'en');
    expect(initialLanguage()).toBe('en');
    localStorage.setItem(LANGUAGE_STORAGE_KEY, 'klingon');
    expect(initialLanguage()).toBe('es');
  });
});

describe('switching language', () => {
  it('starts in the browser language, switches on click, remembers the choice', async () => {
    stubBrowserLanguages(['es-MX', 'en']);
    const first = render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByText('Estado del servicio / Id de la petición: abc')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('es');
    first.unmount();

    renderWithProviders(
      <>
        <LanguageSwitcher />
        <Probe />
      </>,
      { language: 'es' },
    );
    await userEvent.click(screen.getByRole('radio', { name: 'English' }));

    expect(screen.getByText('Service status / Request id: abc')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('en');
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('en');

    await userEvent.click(screen.getByRole('radio', { name: 'Español' }));
    expect(screen.getByText('Estado del servicio / Id de la petición: abc')).toBeInTheDocument();
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('es');
  });

  it('a new page load keeps the stored language even if the browser says otherwise', () => {
    stubBrowserLanguages(['es-ES']);
    localStorage.setItem(LANGUAGE_STORAGE_KEY, 'en');
    render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByText('Service status / Request id: abc')).toBeInTheDocument();
  });
});
