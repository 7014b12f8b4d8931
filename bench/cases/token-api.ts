import { fork, type ChildProcess } from 'node:child_process';
import { sign } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { hashApiSecret } from '../../src/api/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { rsaPrivatePem, SECRET, KID } from '../lib/fixtures.js';
import { serve } from '../lib/http.js';
import { cpuMs, interleave, runFor, calibrate, type Sample } from '../lib/measure.js';
import type { BenchCase, BenchOptions, BenchResult } from '../lib/types.js';

/**
 * POST /api/v1/tokens of the real gateway (createGateway, memory store, every middleware, bearer
 * authentication, the per-client rate limit in the store, zod validation, minting, the audit log
 * line) measured in requests per CPU-second of the server process, while a load generator child
 * process drives it over keep-alive connections:
 * - HS256 against a bare Koa app that reads the same JSON body and answers 201 with JSON (the cost
 *   of HTTP + Koa, the floor of any JSON API): target ≥ 0.5×;
 * - RS256 against a bare crypto.sign('sha256') loop with the same RSA-2048 key (the signature is
 *   the bottleneck): target ≥ 0.8×.
 *
 * The shared load generator (bench/lib/loadgen.ts) only sends GET and counts 200s, so this case
 * carries its own small POST generator: this same file, forked with --token-api-loadgen.
 */

const API_SECRET = 'bench-api-client-secret-0123456789abcdefghijklmnop';
const BODY = JSON.stringify({
  tenant: 'sales',
  room: 'Weekly Standup',
  user: { id: 'u-7f3a9c', name: 'Ada Lovelace', email: 'ada.lovelace@example.com' },
  role: 'moderator',
  ttlSeconds: 600,
});

// ---------------------------------------------------------------------------------------------
// The POST load generator (child process side).

interface PostJob {
  id: number;
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  expect: number;
  connections: number;
  durationMs: number;
}

interface PostResult {
  id: number;
  ok: number;
  other: number;
  errors: number;
  elapsedMs: number;
  firstStatus?: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const pools = new Map<number, Socket[]>();

function runPostJob(job: PostJob): Promise<PostResult> {
  const head = [`POST ${job.path} HTTP/1.1`, `Host: 127.0.0.1:${job.port}`, ...Object.entries(job.headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(job.body)}`, '', ''].join('\r\n');
  const request = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(job.body, 'utf8')]);
  const expected = String(job.expect);
  const result: PostResult = { id: job.id, ok: 0, other: 0, errors: 0, elapsedMs: 0 };
  const start = performance.now();
  const deadline = start + job.durationMs;
  const drive = (socket: Socket) =>
    new Promise<void>((resolve) => {
      let pending: Buffer = Buffer.alloc(0);
      let need = -1;
      let status = '';
      const done = () => {
        socket.removeListener('data', onData);
        socket.removeListener('error', onError);
        resolve();
      };
      const onError = () => {
        result.errors += 1;
        pools.delete(job.port);
        done();
      };
      const onData = (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          if (need < 0) {
            const end = pending.indexOf(HEADER_END);
            if (end < 0) return;
            const text = pending.toString('latin1', 0, end);
            const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text);
            if (!length) return onError();
            status = text.slice(9, 12);
            need = end + HEADER_END.length + Number(length[1]);
          }
          if (pending.length < need) return;
          pending = pending.subarray(need);
          need = -1;
          result.firstStatus ??= status;
          if (status === expected) result.ok += 1;
          else result.other += 1;
          if (performance.now() < deadline) socket.write(request);
          else return done();
        }
      };
      socket.on('data', onData);
      socket.once('error', onError);
      socket.write(request);
    });
  return (async () => {
    let sockets = pools.get(job.port) ?? [];
    if (sockets.length !== job.connections) {
      for (const socket of sockets) socket.destroy();
      sockets = await Promise.all(
        Array.from({ length: job.connections }, () => new Promise<Socket>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port: job.port, noDelay: true }, () => resolve(socket));
          socket.once('error', reject);
        })),
      );
      pools.set(job.port, sockets);
    }
    await Promise.all(sockets.map(drive));
    result.elapsedMs = performance.now() - start;
    return result;
  })();
}

if (process.argv.includes('--token-api-loadgen') && process.send) {
  process.on('message', (job: PostJob) => {
    runPostJob(job).then(
      (result) => process.send?.(result),
      (error: unknown) => process.send?.({ id: job.id, ok: 0, other: 0, errors: 1, elapsedMs: 0, firstStatus: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The parent side.

class PostLoad {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (result: PostResult) => void>();

  constructor() {
    this.child = fork(fileURLToPath(import.meta.url), ['--token-api-loadgen'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: PostResult) => {
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    });
  }

  async measure(job: Omit<PostJob, 'id' | 'durationMs'>, durationMs: number): Promise<Sample> {
    const cpuStart = cpuMs();
    const id = this.nextId++;
    const result = await new Promise<PostResult>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', exited);
      this.waiting.set(id, (message) => {
        this.child.off('exit', exited);
        resolve(message);
      });
      this.child.send({ ...job, id, durationMs });
    });
    if (result.errors > 0 || result.other > 0 || result.ok === 0) {
      throw new Error(`POST ${job.path}: ${result.ok} ok, ${result.other} other status (first ${result.firstStatus ?? '-'}), ${result.errors} errors`);
    }
    return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: cpuMs() - cpuStart };
  }

  close(): void {
    this.child.disconnect();
  }
}

async function tokenGateway(algorithm: 'HS256' | 'RS256') {
  const loaded = parseConfig(
    {
      publicUrl: 'http://127.0.0.1:8080',
      log: { level: 'info' },
      targets: {
        meet: {
          url: 'https://meet.example.com',
          xmppDomain: 'meet.jitsi',
          appId: 'meet-gateway',
          audience: 'jitsi',
          algorithm,
          tenants: ['sales'],
          ...(algorithm === 'HS256' ? { secret: SECRET } : { keys: [{ kid: KID, status: 'active', privateKey: rsaPrivatePem() }] }),
        },
      },
      api: { clients: { booking: { secretHash: await hashApiSecret(API_SECRET), mayIssueModerator: true, rateLimitPerMinute: 1_000_000 } } },
    },
    'bench',
  );
  // Production logging (info: one audit line per token), written nowhere.
  const gateway = await createGateway(loaded, { logger: createLogger('info', { write() {} }) });
  return listen(gateway, 0, '127.0.0.1');
}

const job = (url: string, connections: number) => ({
  port: Number(new URL(url).port),
  path: '/api/v1/tokens',
  headers: { Authorization: `Bearer ${API_SECRET}`, 'Content-Type': 'application/json', Accept: 'application/json' },
  body: BODY,
  expect: 201,
  connections,
});

async function hs256VsKoa(options: BenchOptions): Promise<BenchResult> {
  const running = await tokenGateway('HS256');
  // The floor of any JSON API on Koa: read the body, parse it, answer 201 with a JSON object.
  const bare = new Koa();
  bare.use(async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { room: string };
    ctx.status = 201;
    ctx.body = { token: 'x'.repeat(400), joinUrl: `https://meet.example.com/${request.room}`, exp: 0, jti: 'x' };
  });
  const baseline = await serve(bare);
  const load = new PostLoad();
  try {
    const slice = (base: string) => (ms: number) => load.measure(job(base, options.connections), ms);
    await slice(running.url)(300);
    await slice(baseline.url)(300);
    const result = await interleave(slice(running.url), slice(baseline.url), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    return { ...result, note: `${BODY.length}-byte JSON body, bearer secret, memory store, ${options.connections} keep-alive connections` };
  } finally {
    load.close();
    await baseline.close();
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}

async function rs256VsSign(options: BenchOptions): Promise<BenchResult> {
  const running = await tokenGateway('RS256');
  const { createPrivateKey } = await import('node:crypto');
  const privateKey = createPrivateKey(rsaPrivatePem());
  // A signing input of the size of a real token's (header + claims of this request).
  const input = Buffer.from(`${'e'.repeat(40)}.${'p'.repeat(380)}`);
  const signOnce = () => sign('sha256', input, privateKey);
  const batch = calibrate(signOnce, 200);
  const load = new PostLoad();
  try {
    const http = (ms: number) => load.measure(job(running.url, options.connections), ms);
    await http(300);
    const result = await interleave(http, (ms) => runFor(signOnce, ms, batch), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    return { ...result, note: `RSA-2048; ${options.connections} keep-alive connections; baseline is one signature per op in this process` };
  } finally {
    load.close();
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}

const cases: BenchCase[] = [
  {
    name: 'token API HS256',
    description: 'POST /api/v1/tokens (real gateway, HS256) vs a bare Koa JSON endpoint',
    target: 0.5,
    run: hs256VsKoa,
  },
  {
    name: 'token API RS256',
    description: "POST /api/v1/tokens (real gateway, RS256) vs a bare crypto.sign('sha256') loop",
    target: 0.8,
    run: rs256VsSign,
  },
];

export default cases;
