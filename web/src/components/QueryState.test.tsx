import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/api/apiError';
import { QueryState } from '@/components/QueryState';
import { renderWithProviders } from '@/test/render';

type Query = Parameters<typeof QueryState<string[]>>[0]['query'];

function query(overrides: Partial<Query>): Query {
  return { data: undefined, error: null, isPending: false, isError: false, isFetching: false, refetch: vi.fn(), ...overrides };
}

const list = (items: string[]) => (
  <ul>
    {items.map((item) => (
      <li key={item}>{item}</li>
    ))}
  </ul>
);

describe('QueryState', () => {
  it('renders the loading state while pending', () => {
    renderWithProviders(<QueryState query={query({ isPending: true })}>{list}</QueryState>);
    expect(screen.getByRole('status', { name: 'Loading…' })).toBeInTheDocument();
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });

  it('renders the empty state when isEmpty says so, the data otherwise', () => {
    const isEmpty = (items: string[]) => items.length === 0;
    const { rerender } = renderWithProviders(
      <QueryState query={query({ data: [] })} isEmpty={isEmpty}>
        {list}
      </QueryState>,
    );
    expect(screen.getByText('Nothing here yet.')).toBeInTheDocument();
    expect(screen.queryByRole('list')).not.toBeInTheDocument();

    rerender(
      <QueryState query={query({ data: ['pod-a', 'pod-b'] })} isEmpty={isEmpty}>
        {list}
      </QueryState>,
    );
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['pod-a', 'pod-b']);
    expect(screen.queryByText('Nothing here yet.')).not.toBeInTheDocument();
  });

  it('renders the error with its request id and a retry button that refetches', async () => {
    const refetch = vi.fn();
    const error = new ApiError({ status: 500, code: 'internal', message: 'Internal error', requestId: 'req-7' });
    renderWithProviders(<QueryState query={query({ isError: true, error, refetch })}>{list}</QueryState>, {
      language: 'es',
    });
    expect(screen.getByRole('alert')).toHaveTextContent('Internal error');
    expect(screen.getByText('Id de la petición: req-7')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Reintentar' }));
    expect(refetch).toHaveBeenCalledTimes(1);
  });

  it('shows a non-API error too', () => {
    renderWithProviders(
      <QueryState query={query({ isError: true, error: new TypeError('boom') })}>{list}</QueryState>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('An unexpected error happened: boom');
  });
});
