import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A server process of our own, for tests that need to signal or restart it. */
export interface OwnServer {
  process: ChildProcess;
  port: number;
  url: (path: string) => URL;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
}

/**
 * Starts NEUROPOD_BIN on a free port (NEUROPOD_PORT=0) against NEUROPOD_TEST_MONGODB_URI, and waits
 * for its "http.listening" log line. Both variables are set by `make test`.
 */
export async function spawnServer(env: Record<string, string> = {}): Promise<OwnServer> {
  const bin = process.env.NEUROPOD_BIN;
  const mongo = process.env.NEUROPOD_TEST_MONGODB_URI;
  if (!bin || !mongo) {
    throw new Error('NEUROPOD_BIN and NEUROPOD_TEST_MONGODB_URI must be set (make test sets them)');
  }
  const child = spawn(bin, ['--env-file=/dev/null'], {
    env: {
      ...process.env,
      NEUROPOD_ENV: 'test',
      NEUROPOD_PORT: '0',
      MONGODB_URI: `${mongo.replace(/\/?$/, '/')}spawned_${Date.now().toString(36)}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
    child.on('error', (error) => resolve(`spawn failed: ${error.message}`));
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not log http.listening within 15 s')), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'http.listening' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a JSON line: keep it, ignore it
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${String(code)}) before listening`));
    });
  });
  return { process: child, port, url: (path) => new URL(path, `http://127.0.0.1:${port}`), exited, lines };
}
