import { Box, Text, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';

export interface Bar {
  /** A short label under the bar (may be shown only for some bars). */
  label: string;
  /** The full label, for the table and the tooltip (e.g. the whole date). */
  fullLabel: string;
  value: number;
}

interface Props {
  bars: Bar[];
  /** Formats a value for the tooltip, the table and the axis. */
  format: (value: number) => string;
  /** What the chart shows, e.g. "Spend per day, last 30 days": the picture's accessible name. */
  title: string;
  /** A sentence summing it up (e.g. the total), shown under the chart and its accessible description. */
  summary?: string;
  /** Column headings of the data table read by screen readers. */
  columns: [string, string];
  height?: number;
}

const WIDTH = 720;
const PAD_LEFT = 8;
const PAD_BOTTOM = 22;
const PAD_TOP = 18;

/**
 * A small bar chart in SVG, without a charting library (the client's spend and the admin dashboard's).
 * For screen readers the drawing is one image named by `title` and described by `summary`, and the
 * same numbers are in a visually hidden table; each bar has a tooltip.
 */
export function BarChart({ bars, format, title, summary, columns, height = 220 }: Props) {
  const titleId = useId();
  const summaryId = useId();
  const max = Math.max(0, ...bars.map((b) => b.value));
  const plotHeight = height - PAD_BOTTOM - PAD_TOP;
  const slot = bars.length === 0 ? 0 : (WIDTH - PAD_LEFT * 2) / bars.length;
  const barWidth = Math.max(2, slot * 0.7);
  // Label every bar when there are few, else about eight of them.
  const labelEvery = Math.max(1, Math.ceil(bars.length / 8));

  return (
    <Box component="figure" m={0}>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        role="img"
        aria-labelledby={titleId}
        aria-describedby={summary === undefined ? undefined : summaryId}
        style={{ display: 'block', overflow: 'visible', height: 'auto' }}
      >
        <title id={titleId}>{title}</title>
        <line
          x1={PAD_LEFT}
          x2={WIDTH - PAD_LEFT}
          y1={height - PAD_BOTTOM}
          y2={height - PAD_BOTTOM}
          stroke="var(--mantine-color-default-border)"
        />
        {max > 0 && (
          <text x={PAD_LEFT} y={10} fontSize={11} fill="var(--mantine-color-dimmed)">
            {format(max)}
          </text>
        )}
        {bars.map((bar, index) => {
          const h = max === 0 ? 0 : (bar.value / max) * plotHeight;
          const x = PAD_LEFT + index * slot + (slot - barWidth) / 2;
          return (
            <g key={`${bar.fullLabel}-${index}`}>
              <rect
                x={x}
                y={height - PAD_BOTTOM - h}
                width={barWidth}
                height={Math.max(h, bar.value > 0 ? 1 : 0)}
                rx={2}
                fill="var(--mantine-color-indigo-6)"
              >
                <title>{`${bar.fullLabel}: ${format(bar.value)}`}</title>
              </rect>
              {index % labelEvery === 0 && (
                <text x={x + barWidth / 2} y={height - 6} fontSize={11} textAnchor="middle" fill="var(--mantine-color-dimmed)">
                  {bar.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      {summary !== undefined && (
        <Text component="figcaption" size="xs" c="dimmed" mt={4} id={summaryId}>
          {summary}
        </Text>
      )}
      <VisuallyHidden>
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              <th scope="col">{columns[0]}</th>
              <th scope="col">{columns[1]}</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar, index) => (
              <tr key={`${bar.fullLabel}-${index}`}>
                <th scope="row">{bar.fullLabel}</th>
                <td>{format(bar.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </VisuallyHidden>
      {bars.length === 0 && (
        <Text size="sm" c="dimmed" ta="center">
          —
        </Text>
      )}
    </Box>
  );
}
