/**
 * A small HTTP/1.1 keep-alive load generator, run as a child process (bench/lib/http.ts forks it)
 * so that the server under test has the parent's event loop to itself. Raw sockets, one request
 * in flight per connection, a pre-built request buffer and a minimal response parser
 * (Content-Length bodies only): the client costs far less per request than node:http would, so
 * the server, not the client, is what is measured. Connections are kept per server between jobs,
 * so short jobs (slices of a round) measure requests, not TCP handshakes.
 *
 * Protocol: the parent sends LoadJob messages; the child answers each with a LoadResult.
 */
import { connect, type Socket } from 'node:net';

export interface LoadJob {
  id: number;
  host: string;
  port: number;
  path: string;
  connections: number;
  durationMs: number;
  /** Default GET. */
  method?: string;
  /** Extra request headers (Content-Length is added for a body). */
  headers?: Record<string, string>;
  body?: string;
  /** The status that counts as success (default 200). */
  expectStatus?: number;
  /** Measure each request's latency: report the 99th percentile (p99Ms) and every latency. */
  latency?: boolean;
}

export interface LoadResult {
  id: number;
  /** Responses with the expected status (default 200). */
  ok: number;
  /** Responses with another status. */
  otherStatus: number;
  /** Socket errors or unparseable responses. */
  errors: number;
  elapsedMs: number;
  firstStatus?: string;
  /** 99th percentile of the request latencies, in ms (when the job asked for `latency`). */
  p99Ms?: number;
  /** Every request's latency, ms, rounded to µs (when the job asked for `latency`). */
  latencies?: number[];
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** A keep-alive connection that reports each complete response to whoever drives it now. */
interface Connection {
  socket: Socket;
  dead: boolean;
  onResponse: (status: string) => void;
  onFailure: () => void;
}

function open(host: string, port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const connection: Connection = { socket, dead: false, onResponse: () => {}, onFailure: () => {} };
    let pending: Buffer = Buffer.alloc(0);
    let need = -1;
    let status = '';
    const fail = () => {
      if (connection.dead) return;
      connection.dead = true;
      socket.destroy();
      connection.onFailure();
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (need < 0) {
          const end = pending.indexOf(HEADER_END);
          if (end < 0) return;
          const head = pending.toString('latin1', 0, end);
          const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
          if (!length) {
            fail();
            return;
          }
          status = head.slice(9, 12);
          need = end + HEADER_END.length + Number(length[1]);
        }
        if (pending.length < need) return;
        pending = pending.subarray(need);
        need = -1;
        connection.onResponse(status);
      }
    });
    socket.once('connect', () => resolve(connection));
    socket.once('error', (error) => {
      if (!connection.dead && socket.connecting) reject(error);
      fail();
    });
    socket.once('close', fail);
  });
}

const pools = new Map<string, Connection[]>();

async function pool(host: string, port: number, size: number): Promise<Connection[]> {
  const key = `${host}:${port}`;
  const live = (pools.get(key) ?? []).filter((connection) => !connection.dead).slice(0, size);
  const fresh = await Promise.all(Array.from({ length: size - live.length }, () => open(host, port)));
  const connections = [...live, ...fresh];
  pools.set(key, connections);
  return connections;
}

export async function runJob(job: LoadJob): Promise<LoadResult> {
  const body = job.body === undefined ? undefined : Buffer.from(job.body, 'utf8');
  const headers = { Host: `${job.host}:${job.port}`, Accept: '*/*', 'User-Agent': 'jsg-bench', ...job.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) };
  const head = `${job.method ?? 'GET'} ${job.path} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  const request = body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  const expected = String(job.expectStatus ?? 200);
  const connections = await pool(job.host, job.port, job.connections);
  const result: LoadResult = { id: job.id, ok: 0, otherStatus: 0, errors: 0, elapsedMs: 0 };
  const latencies: number[] | undefined = job.latency ? [] : undefined;
  const start = performance.now();
  const deadline = start + job.durationMs;
  const drive = (connection: Connection) =>
    new Promise<void>((resolve) => {
      let sent = performance.now();
      connection.onResponse = (status) => {
        result.firstStatus ??= status;
        if (status === expected) result.ok += 1;
        else result.otherStatus += 1;
        const now = performance.now();
        latencies?.push(now - sent);
        if (now < deadline) {
          sent = now;
          connection.socket.write(request);
        } else resolve();
      };
      connection.onFailure = () => {
        result.errors += 1;
        resolve();
      };
      connection.socket.write(request);
    });
  await Promise.all(connections.map(drive));
  result.elapsedMs = performance.now() - start;
  if (latencies) {
    latencies.sort((a, b) => a - b);
    result.p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
    result.latencies = latencies.map((value) => Math.round(value * 1000) / 1000);
  }
  for (const connection of connections) {
    connection.onResponse = () => {};
    connection.onFailure = () => {};
  }
  return result;
}

if (process.send) {
  process.on('message', (job: LoadJob) => {
    runJob(job).then(
      (result) => process.send?.(result),
      (error: unknown) => process.send?.({ id: job.id, ok: 0, otherStatus: 0, errors: 1, elapsedMs: 0, firstStatus: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
