import type { RealtimeSocket, SocketFactory } from '@/api/realtime';

/** A WebSocket the test drives: open(), send an event with emit(), close() as the server would. */
export class FakeSocket implements RealtimeSocket {
  onopen: RealtimeSocket['onopen'] = null;
  onmessage: RealtimeSocket['onmessage'] = null;
  onclose: RealtimeSocket['onclose'] = null;
  onerror: RealtimeSocket['onerror'] = null;
  /** The code the client closed it with, once it did. */
  closedWith: number | undefined;

  constructor(readonly url: string) {}

  // The handlers are typed with `this: WebSocket`; the client does not use `this`.
  private fire<E extends Event>(handler: ((this: WebSocket, event: E) => unknown) | null, event: E): void {
    handler?.call(this as unknown as WebSocket, event);
  }

  /** The server accepted the upgrade. */
  open(): void {
    this.fire(this.onopen, new Event('open'));
  }

  /** The server sent a message (an EventEnvelope, or any raw text). */
  emit(type: string, data: unknown, ts = '2026-03-01T10:00:00Z'): void {
    this.raw(JSON.stringify({ type, ts, data }));
  }

  raw(text: string): void {
    this.fire(this.onmessage, new MessageEvent('message', { data: text }));
  }

  /** The connection ended (a failed upgrade closes with 1006 too). */
  serverClose(code = 1006): void {
    this.fire(this.onerror, new Event('error'));
    this.fire(this.onclose, new CloseEvent('close', { code }));
  }

  close(code?: number): void {
    this.closedWith = code ?? 1005;
  }
}

/** A socket factory that records what it made: `sockets.at(-1)` is the current one. */
export function fakeSockets(): { factory: SocketFactory; sockets: FakeSocket[]; latest: () => FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    latest: () => {
      const socket = sockets.at(-1);
      if (socket === undefined) {
        throw new Error('no socket was opened');
      }
      return socket;
    },
  };
}
