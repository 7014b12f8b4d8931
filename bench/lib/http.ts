import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type Koa from 'koa';
import type { LoadJob, LoadResult } from './loadgen.js';
import { cpuMs, type Sample } from './measure.js';

/** Method, headers, body and expected status of the requests of a job (default: GET, 200). */
export type RequestShape = Pick<LoadJob, 'method' | 'headers' | 'body' | 'expectStatus' | 'latency'>;

/** The load generator child process; one per case, reused for every round. */
export class LoadGenerator {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (result: LoadResult) => void>();

  constructor() {
    this.child = fork(fileURLToPath(new URL('./loadgen.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: LoadResult) => {
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    });
  }

  /**
   * Requests `url` (GET unless `request` says otherwise) for about `durationMs`; any status but
   * the expected one (200) throws. Returns the requests done, the wall time the child measured,
   * and the CPU time the server spent meanwhile: this process's, or what `serverCpu` reads (a
   * server in a process of its own, bench/lib/server-process.ts).
   */
  async measure(
    url: string,
    connections: number,
    durationMs: number,
    request: RequestShape = {},
    serverCpu: () => number | Promise<number> = cpuMs,
  ): Promise<Sample & { p99Ms?: number }> {
    const parsed = new URL(url);
    const cpuStart = await serverCpu();
    const job: LoadJob = {
      id: this.nextId++,
      host: parsed.hostname,
      port: Number(parsed.port),
      path: `${parsed.pathname}${parsed.search}`,
      connections,
      durationMs,
      ...request,
    };
    const result = await new Promise<LoadResult>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', exited);
      this.waiting.set(job.id, (message) => {
        this.child.off('exit', exited);
        resolve(message);
      });
      this.child.send(job);
    });
    if (result.errors > 0 || result.otherStatus > 0 || result.ok === 0) {
      throw new Error(`${job.method ?? 'GET'} ${url}: ${result.ok} ok, ${result.otherStatus} other status (first ${result.firstStatus ?? '-'}), ${result.errors} errors`);
    }
    const sample: Sample = { ops: result.ok, wallMs: result.elapsedMs, cpuMs: (await serverCpu()) - cpuStart };
    if (result.latencies) sample.latencies = result.latencies;
    return result.p99Ms === undefined ? sample : { ...sample, p99Ms: result.p99Ms };
  }

  close(): void {
    this.child.disconnect();
  }
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Serves a Koa app or a node:http listener on 127.0.0.1 with the gateway's socket timeouts (src/http/server.ts). */
export async function serve(app: Koa | RequestListener): Promise<Listening> {
  const server = createServer(typeof app === 'function' ? app : app.callback());
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
