import '@testing-library/jest-dom/vitest';
import { cleanNotifications } from '@mantine/notifications';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// Pages render inside the whole layout (header, navigation): role queries over that tree are slow
// on a busy machine, so waiting a little longer keeps the suite from failing on load alone.
configure({ asyncUtilTimeout: 3_000 });
vi.setConfig({ testTimeout: 15_000 });

// jsdom lacks what Mantine measures with (see Mantine's "Testing with Vitest" guide).
const { getComputedStyle } = window;
window.getComputedStyle = (element: Element) => getComputedStyle(element);
window.HTMLElement.prototype.scrollIntoView = () => {};
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string): MediaQueryList =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList,
});
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
window.ResizeObserver = ResizeObserverStub;

afterEach(() => {
  cleanup();
  // Toasts live in a store outside React: none may leak into the next test.
  cleanNotifications();
  window.localStorage.clear();
});
