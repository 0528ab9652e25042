import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { apiAddress } from './env';

// A minimal RFC 6455 client over node:net for the black-box tests: Node 20 has no WebSocket that
// can send a Cookie and an Origin. Text frames in, masked pong/close frames out; no extensions.

export interface WsEvent {
  type: string;
  ts: string;
  data: Record<string, unknown>;
}

export type Upgrade =
  | { kind: 'open'; socket: TestSocket }
  | { kind: 'refused'; status: number; body: string };

export class TestSocket {
  readonly messages: WsEvent[] = [];
  closeCode: number | undefined;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(private readonly socket: Socket, rest: Buffer) {
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('close', () => {
      this.closeCode ??= 1006;
      this.wake();
    });
    if (rest.length > 0) {this.feed(rest);}
  }

  /** Resolves when `pred` holds (checked on every frame), rejects after `ms`. */
  async until(pred: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) {throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.type))}, close ${this.closeCode}`);}
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  ofType(type: string): WsEvent[] {
    return this.messages.filter((m) => m.type === type);
  }

  close(): void {
    this.send(0x8, Buffer.from([0x03, 0xe8]));
    this.socket.end();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) {f();}
  }

  private send(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([head, mask, masked]));
  }

  private feed(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) {break;}
      const opcode = this.buffer[0]! & 0x0f;
      let len = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) {break;}
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) {break;}
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + len) {break;}
      const payload = this.buffer.subarray(offset, offset + len);
      this.buffer = this.buffer.subarray(offset + len);
      if (opcode === 0x1) {
        this.messages.push(JSON.parse(payload.toString('utf8')) as WsEvent);
      } else if (opcode === 0x8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.send(0x8, payload.subarray(0, 2));
        this.socket.end();
      } else if (opcode === 0x9) {
        this.send(0xa, Buffer.from(payload));
      }
    }
    this.wake();
  }
}

/** GET /api/ws with an upgrade; `headers` e.g. Cookie and Origin. */
export function openWs(headers: Record<string, string>, path = '/api/ws'): Promise<Upgrade> {
  const { host, port } = apiAddress();
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('no answer to the upgrade')); }, 10_000);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {return;}
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0]!.split(' ')[1]);
      const rest = head.subarray(end + 4);
      if (status === 101) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve({ kind: 'open', socket: new TestSocket(socket, rest) });
        return;
      }
      // An error answer: read its body to the end (the server closes after it, or by length).
      const lengthLine = lines.find((l) => l.toLowerCase().startsWith('content-length:'));
      const length = lengthLine ? Number(lengthLine.split(':')[1]) : 0;
      if (rest.length >= length) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ kind: 'refused', status, body: rest.subarray(0, length).toString('utf8') });
      }
    };
    socket.on('data', onData);
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('connect', () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
  });
}
