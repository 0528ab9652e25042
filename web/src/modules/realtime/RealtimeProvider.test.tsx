import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { meQuery } from '@/api/queries/auth';
import { useRealtimeEvent, useRealtimeState } from '@/modules/realtime/context';
import { admin, ana, verified } from '@/test/fixtures';
import { fakeSockets } from '@/test/fakeSocket';
import { renderWithProviders, testQueryClient } from '@/test/render';

function Probe() {
  return <p>live: {useRealtimeState()}</p>;
}

function SignUps({ onSignUp }: { onSignUp: (email: string) => void }) {
  useRealtimeEvent('user.signed_up', (event) => onSignUp(event.email));
  return null;
}

describe('RealtimeProvider', () => {
  it('hands the events of a type to useRealtimeEvent while mounted, whoever they are about', async () => {
    const sockets = fakeSockets();
    const queryClient = testQueryClient();
    queryClient.setQueryData(meQuery().queryKey, verified(admin));
    const onSignUp = vi.fn();
    const view = renderWithProviders(<SignUps onSignUp={onSignUp} />, { queryClient, createSocket: sockets.factory });
    await waitFor(() => expect(sockets.sockets).toHaveLength(1));
    const socket = sockets.latest();
    act(() => socket.open());
    act(() => socket.emit('session.hello', { user_id: admin.id, admin: true }));
    act(() => socket.emit('pod.deleted', { id: '65d000000000000000000001' }));
    act(() => socket.emit('user.signed_up', { user_id: ana.id, email: ana.email, name: ana.name }));
    expect(onSignUp).toHaveBeenCalledTimes(1);
    expect(onSignUp).toHaveBeenCalledWith(ana.email);

    // Unmounted (the provider and its socket stay): no more calls.
    view.rerender(<p>gone</p>);
    act(() => socket.emit('user.signed_up', { user_id: ana.id, email: 'late@example.com', name: '' }));
    expect(onSignUp).toHaveBeenCalledTimes(1);
    expect(socket.closedWith).toBeUndefined();
  });

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
