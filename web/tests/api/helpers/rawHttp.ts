import { connect, type Socket } from 'node:net';
import { apiAddress } from './env';

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export interface RawOutcome {
  /** The first complete response the server sent, if any. */
  response?: RawResponse;
  /** The server closed (FIN or RST) the connection. */
  closed: boolean;
  /** Socket error seen, e.g. ECONNRESET or EPIPE after the server stopped reading. */
  error?: string;
  /** Bytes received in all (a partial response shows as bytes without `response`). */
  bytesReceived: number;
  /** Milliseconds from connecting to the response or the close, whichever came first. */
  elapsedMs: number;
}

/**
 * Parses one HTTP/1.1 response from the start of `data`, or undefined if it is not complete yet.
 * `atEnd`: the connection is closed, so a body without length or chunking ends here.
 */
export function parseResponse(data: Buffer, atEnd = false): RawResponse | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd === -1) {
    return undefined;
  }
  const [statusLine = '', ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (match === null) {
    throw new Error(`Not an HTTP response: ${JSON.stringify(statusLine)}`);
  }
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  const bodyStart = headEnd + 4;
  const length = headers.get('content-length');
  if (length !== undefined) {
    const end = bodyStart + Number(length);
    return data.length >= end ? { status: Number(match[1]), headers, body: data.subarray(bodyStart, end).toString('utf8') } : undefined;
  }
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
    const body = decodeChunked(data.subarray(bodyStart));
    return body === undefined ? undefined : { status: Number(match[1]), headers, body };
  }
  // Neither length nor chunking: the body ends with the connection.
  return atEnd ? { status: Number(match[1]), headers, body: data.subarray(bodyStart).toString('utf8') } : undefined;
}

function decodeChunked(data: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) {
      return undefined;
    }
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) {
      throw new Error('Bad chunk size');
    }
    if (size === 0) {
      return Buffer.concat(parts).toString('utf8');
    }
    const start = lineEnd + 2;
    if (data.length < start + size + 2) {
      return undefined;
    }
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
}

const WRITE_CHUNK = 64 * 1024;

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

interface Exchange {
  /** What to send after connecting, in order (strings as latin1); `{ pauseMs }` waits. Nothing more is sent. */
  send: (string | Buffer | { pauseMs: number })[];
  /** Give up (and report neither response nor close) after this long. */
  waitMs: number;
}

/**
 * Speaks HTTP over a raw TCP connection, for what fetch hides: a request that never finishes,
 * a body the server refuses half-way. Reads while writing, so an early answer is not missed, and
 * resolves at the first complete response or close, whichever comes first.
 */
export function rawExchange({ send, waitMs }: Exchange): Promise<RawOutcome> {
  const { host, port } = apiAddress();
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let done = false;

    const finish = (outcome: { response?: RawResponse; closed: boolean }) => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        ...outcome,
        ...(error !== undefined && { error }),
        bytesReceived: chunks.reduce((sum, c) => sum + c.length, 0),
        elapsedMs: Date.now() - started,
      });
    };
    const parse = (atEnd: boolean): RawResponse | undefined => {
      try {
        return parseResponse(Buffer.concat(chunks), atEnd);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        finish({ closed: atEnd });
        return undefined;
      }
    };
    const timer = setTimeout(() => finish({ closed: false }), waitMs);

    const socket: Socket = connect({ host, port }, () => {
      void (async () => {
        for (const part of send) {
          if (typeof part === 'object' && 'pauseMs' in part) {
            await new Promise((resolve) => setTimeout(resolve, part.pauseMs));
            continue;
          }
          const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
          for (let offset = 0; offset < bytes.length; offset += WRITE_CHUNK) {
            // Like a careful client: stop sending once the server has answered (e.g. 413 early).
            if (done || socket.destroyed || chunks.length > 0) {
              return;
            }
            if (!socket.write(bytes.subarray(offset, offset + WRITE_CHUNK))) {
              await drainedOrClosed(socket); // back-pressure: a server that stops reading is seen as such
            }
          }
        }
      })();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const response = parse(false);
      if (response !== undefined) {
        finish({ response, closed: false });
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message; // 'close' follows
    });
    socket.on('close', () => {
      const response = parse(true);
      finish({ ...(response !== undefined && { response }), closed: true });
    });
  });
}
