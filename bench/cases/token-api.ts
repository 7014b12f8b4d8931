import { createHash, createHmac, createPrivateKey, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import Koa from 'koa';
import { hashApiSecret } from '../../src/api/secrets.js';
import { createGateway } from '../../src/gateway.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { benchConfig, rsaPrivatePem, SECRET } from '../lib/fixtures.js';
import { LoadGenerator, serve, type RequestShape } from '../lib/http.js';
import { calibrate, consume, interleave, runFor } from '../lib/measure.js';
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
 * Floors, beside each: a bare Koa endpoint doing only what the issue asks of each token request
 * (floorApp) against the same baselines, so that a missed target says whether the gateway's
 * own layers or Koa and the signature are the limit.
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

/** The baseline of any JSON API on Koa: read the body, parse it, answer 201 with a JSON object. */
function bareJsonApp(): Koa {
  const bare = new Koa();
  bare.use(async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { room: string };
    ctx.status = 201;
    ctx.body = { token: 'x'.repeat(400), joinUrl: `https://meet.example.com/${request.room}`, exp: 0, jti: 'x' };
  });
  return bare;
}

/** A token API at `url` against the bare Koa JSON endpoint, interleaved. */
async function againstBareKoa(options: BenchOptions, url: string, note: string): Promise<BenchResult> {
  const baseline = await serve(bareJsonApp());
  const load = new LoadGenerator();
  try {
    const slice = (base: string) => (ms: number) => load.measure(`${base}/api/v1/tokens`, options.connections, ms, POST);
    await warmUp(slice(url), slice(baseline.url));
    const result = await interleave(slice(url), slice(baseline.url), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    return { ...result, note: `${note}; ${BODY.length}-byte JSON body, ${options.connections} keep-alive connections` };
  } finally {
    load.close();
    await baseline.close();
  }
}

/** A token API at `url` against a bare crypto.sign('sha256') loop with the same RSA-2048 key, interleaved. */
async function againstSignLoop(options: BenchOptions, url: string, note: string): Promise<BenchResult> {
  const privateKey = createPrivateKey(rsaPrivatePem());
  // A signing input of the size of a real token's (header + claims of this request).
  const input = Buffer.from(`${'e'.repeat(40)}.${'p'.repeat(380)}`);
  const signOnce = () => sign('sha256', input, privateKey);
  const batch = calibrate(signOnce, 200);
  const load = new LoadGenerator();
  try {
    const http = (ms: number) => load.measure(`${url}/api/v1/tokens`, options.connections, ms, POST);
    await warmUp(http, (ms) => runFor(signOnce, ms, batch));
    const result = await interleave(http, (ms) => runFor(signOnce, ms, batch), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    return { ...result, note: `${note}; RSA-2048; ${options.connections} keep-alive connections; baseline is one signature per op in this process` };
  } finally {
    load.close();
  }
}

/** The real gateway's token API, stopped after `measure`. */
async function withGateway(algorithm: 'HS256' | 'RS256', measure: (url: string) => Promise<BenchResult>): Promise<BenchResult> {
  const running = await tokenGateway(algorithm);
  try {
    return await measure(running.url);
  } finally {
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}

const GATEWAY_NOTE = 'real gateway: bearer secret, memory store';

const hs256VsKoa = (options: BenchOptions) => withGateway('HS256', (url) => againstBareKoa(options, url, GATEWAY_NOTE));

const rs256VsSign = (options: BenchOptions) => withGateway('RS256', (url) => againstSignLoop(options, url, GATEWAY_NOTE));

/**
 * The floor: what issue 5 asks of every token request, on bare Koa, nothing else: the bearer
 * secret's hash compared in constant time, the body parsed and its fields checked, the client's
 * scope (tenant, no room patterns, max ttl), a per-minute rate-limit counter, the signature and one
 * audit line (JSON, written nowhere, as the gateway's logger here). No policy engine, metrics,
 * request ids, security headers or error pages.
 */
function floorApp(signer: (input: string) => string): Koa {
  const expected = createHash('sha256').update(API_SECRET).digest();
  const counters = new Map<string, { window: number; count: number }>();
  const audit = (line: string) => consume(line);
  const app = new Koa();
  app.use(async (ctx) => {
    const presented = createHash('sha256').update((ctx.get('authorization') ?? '').replace(/^Bearer /, '')).digest();
    if (!timingSafeEqual(presented, expected)) return ctx.throw(401);
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { room?: unknown; tenant?: unknown; user?: { id?: unknown; name?: unknown }; ttlSeconds?: unknown };
    const { room: name, tenant, user, ttlSeconds } = request;
    if (typeof name !== 'string' || typeof tenant !== 'string' || typeof user?.id !== 'string' || typeof ttlSeconds !== 'number') return ctx.throw(400);
    if (tenant !== 'sales' || name.includes('*') || ttlSeconds > 3600) return ctx.throw(403);
    const now = Math.floor(Date.now() / 1000);
    const window = Math.floor(now / 60);
    const counter = counters.get('booking');
    if (counter?.window === window) counter.count += 1;
    else counters.set('booking', { window, count: 1 });
    const jti = randomBytes(12).toString('base64url');
    const room = name.toLowerCase();
    const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const claims = { iss: 'meet-gateway', aud: 'jitsi', sub: 'meet.jitsi', room, nbf: now - 10, exp: now + ttlSeconds, jti, context: { user: { id: user.id, name: user.name, moderator: true } } };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    audit(`${JSON.stringify({ level: 30, time: Date.now(), audit: 'token_issued', client: 'booking', user: user.id, room, tenant, role: 'moderator', jti, exp: claims.exp })}\n`);
    ctx.status = 201;
    ctx.body = { token: `${input}.${signer(input)}`, joinUrl: `https://meet.example.com/${tenant}/${encodeURIComponent(room)}`, exp: claims.exp, jti };
  });
  return app;
}

const hmacSigner = (secret: Buffer) => (input: string) => createHmac('sha256', secret).update(input).digest('base64url');
const rsaSigner = (key: KeyObject) => (input: string) => sign('sha256', Buffer.from(input), key).toString('base64url');

const FLOOR_NOTE = "not the gateway: bare Koa with only what issue 5 asks of each token request (bearer hash, body and scope checks, rate-limit counter, signature, audit line)";

/** A floor app's token API, stopped after `measure`. */
async function withFloor(signer: (input: string) => string, measure: (url: string) => Promise<BenchResult>): Promise<BenchResult> {
  const floor = await serve(floorApp(signer));
  try {
    return await measure(floor.url);
  } finally {
    await floor.close();
  }
}

const floorHs256VsKoa = (options: BenchOptions) => withFloor(hmacSigner(Buffer.from(SECRET)), (url) => againstBareKoa(options, url, FLOOR_NOTE));

const floorRs256VsSign = (options: BenchOptions) =>
  withFloor(rsaSigner(createPrivateKey(rsaPrivatePem())), (url) => againstSignLoop(options, url, FLOOR_NOTE));

const cases: BenchCase[] = [
  {
    name: 'token API HS256',
    description: 'POST /api/v1/tokens (real gateway, HS256) vs a bare Koa JSON endpoint',
    target: 0.5,
    run: hs256VsKoa,
  },
  {
    name: 'floor: token API HS256, Koa',
    description: 'bare Koa doing only what issue 5 asks of each token request (not the gateway), HS256, vs a bare Koa JSON endpoint',
    target: 0.5,
    run: floorHs256VsKoa,
  },
  {
    name: 'token API RS256',
    description: "POST /api/v1/tokens (real gateway, RS256) vs a bare crypto.sign('sha256') loop",
    target: 0.8,
    run: rs256VsSign,
  },
  {
    name: 'floor: token API RS256, Koa',
    description: "bare Koa doing only what issue 5 asks of each token request (not the gateway), RS256, vs a bare crypto.sign('sha256') loop",
    target: 0.8,
    run: floorRs256VsSign,
  },
];

export default cases;
