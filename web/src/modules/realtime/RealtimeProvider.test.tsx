import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { meQuery } from '@/api/queries/auth';
import { useRealtimeState } from '@/modules/realtime/context';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { renderWithProviders, testQueryClient } from '@/test/render';

function Probe() {
  return <p>live: {useRealtimeState()}</p>;
}

describe('RealtimeProvider', () => {
  it('connects once someone is signed in, and disconnects on sign-out', async () => {
    const sockets = fakeSockets();
    const queryClient = testQueryClient();
    renderWithProviders(<Probe />, { queryClient, createSocket: sockets.factory });
    expect(sockets.sockets).toHaveLength(0); // nobody signed in: no socket
    expect(screen.getByText('live: idle')).toBeInTheDocument();

    act(() => queryClient.setQueryData(meQuery().queryKey, verified(ana)));
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    expect(sockets.latest().url).toBe('ws://localhost:3000/api/ws');
    expect(screen.getByText('live: connecting')).toBeInTheDocument();
    act(() => sockets.latest().open());
    expect(screen.getByText('live: open')).toBeInTheDocument();

    act(() => queryClient.setQueryData(meQuery().queryKey, null));
    await waitFor(() => expect(sockets.latest().closedWith).toBe(1000));
    expect(screen.getByText('live: idle')).toBeInTheDocument();
  });

  it('opens a new socket for a different user, and none for a blocked one', async () => {
    const sockets = fakeSockets();
    const queryClient = testQueryClient();
    queryClient.setQueryData(meQuery().queryKey, verified(ana));
    renderWithProviders(<Probe />, { queryClient, createSocket: sockets.factory });
    expect(sockets.sockets).toHaveLength(1);

    act(() => queryClient.setQueryData(meQuery().queryKey, verified(admin)));
    await waitFor(() => expect(sockets.sockets).toHaveLength(2));
    expect(sockets.sockets[0]!.closedWith).toBe(1000);

    act(() => queryClient.setQueryData(meQuery().queryKey, verified({ ...admin, blocked: true })));
    await waitFor(() => expect(sockets.sockets[1]!.closedWith).toBe(1000));
    expect(sockets.sockets).toHaveLength(2);
  });
});
