import { sign } from 'node:crypto';
import Koa from 'koa';
import { hashApiSecret } from '../../src/api/secrets.js';
import { createGateway } from '../../src/gateway.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { benchConfig, rsaPrivatePem } from '../lib/fixtures.js';
import { LoadGenerator, serve, type RequestShape } from '../lib/http.js';
import { interleave, runFor, calibrate } from '../lib/measure.js';
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
 * The requests come from the shared load generator (bench/lib/loadgen.ts), as POSTs expecting 201.
 */

const API_SECRET = 'bench-api-client-secret-0123456789abcdefghijklmnop';
const BODY = JSON.stringify({
  tenant: 'sales',
  room: 'Weekly Standup',
  user: { id: 'u-7f3a9c', name: 'Ada Lovelace', email: 'ada.lovelace@example.com' },
  role: 'moderator',
  ttlSeconds: 600,
});

async function tokenGateway(algorithm: 'HS256' | 'RS256') {
  const loaded = benchConfig(algorithm, {
    api: { clients: { booking: { secretHash: await hashApiSecret(API_SECRET), mayIssueModerator: true, rateLimitPerMinute: 1_000_000 } } },
  });
  // Production logging (info: one audit line per token), written nowhere.
  const gateway = await createGateway(loaded, { logger: createLogger('info', { write() {} }) });
  return listen(gateway, 0, '127.0.0.1');
}

/**
 * Warm-up before the measured rounds: both sides alternate in 100 ms slices for this long, so the
 * rounds measure the steady state (JIT-optimised handlers, settled heap) of subject and baseline
 * alike. With the former single 300 ms slice the first round or two still ran partly unoptimised
 * code (per-round ratios climbing from ~0.3); the rounds themselves are unchanged.
 */
const WARMUP_MS = 2000;

async function warmUp(...sides: Array<(ms: number) => unknown>): Promise<void> {
  const until = performance.now() + WARMUP_MS;
  while (performance.now() < until) for (const side of sides) await side(100);
}

const POST: RequestShape = {
  method: 'POST',
  headers: { Authorization: `Bearer ${API_SECRET}`, 'Content-Type': 'application/json', Accept: 'application/json' },
  body: BODY,
  expectStatus: 201,
};

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
  const load = new LoadGenerator();
  try {
    const slice = (base: string) => (ms: number) => load.measure(`${base}/api/v1/tokens`, options.connections, ms, POST);
    await warmUp(slice(running.url), slice(baseline.url));
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
  const load = new LoadGenerator();
  try {
    const http = (ms: number) => load.measure(`${running.url}/api/v1/tokens`, options.connections, ms, POST);
    await warmUp(http, (ms) => runFor(signOnce, ms, batch));
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
