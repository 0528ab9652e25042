import { createTheme, TableScrollContainer } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'md',
  fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  components: {
    // A table's scroll box must be the containing block of what is absolutely positioned inside
    // it (VisuallyHidden headers, badges): otherwise those escape its overflow and widen the page
    // on a phone, which then scrolls sideways.
    TableScrollContainer: TableScrollContainer.extend({
      styles: { scrollContainer: { position: 'relative', maxWidth: '100%' } },
    }),
  },
});
