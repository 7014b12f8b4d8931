import { createHash, createHmac, createPrivateKey, randomBytes, randomUUID, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import Koa from 'koa';
import { z } from 'zod';
import { apiRoutes } from '../../src/api/routes.js';
import { hashApiSecret } from '../../src/api/secrets.js';
import { createGateway } from '../../src/gateway.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { benchConfig, KID, rsaPrivatePem, SECRET } from '../lib/fixtures.js';
import { LoadGenerator, serve, type RequestShape } from '../lib/http.js';
import { consume, cpuPerOp, interleave, warmUpNote, warmUpSides } from '../lib/measure.js';
import type { BenchCase, BenchOptions, BenchResult } from '../lib/types.js';

/**
 * POST /api/v1/tokens of the real gateway (createGateway, listen, memory store, every middleware,
 * bearer authentication, the per-client rate limit in the store, validation, minting, the audit log
 * line) against its floor: a bare Koa app doing exactly each token request's work, written
 * directly (floorApp below). Both run in this process, measured in requests per CPU-second while a
 * load generator child process drives them over keep-alive connections, interleaved round by round.
 * A second row measures the floor against a bare Koa JSON endpoint (read the body, answer 201
 * with JSON): what the token request's own work costs on top of HTTP and Koa.
 */

const API_SECRET = 'bench-api-client-secret-0123456789abcdefghijklmnop';
const BODY = JSON.stringify({
  tenant: 'sales',
  room: 'Weekly Standup',
  user: { id: 'u-7f3a9c', name: 'Ada Lovelace', email: 'ada.lovelace@example.com' },
  role: 'moderator',
  ttlSeconds: 600,
});

const POST: RequestShape = {
  method: 'POST',
  headers: { Authorization: `Bearer ${API_SECRET}`, 'Content-Type': 'application/json', Accept: 'application/json' },
  body: BODY,
  expectStatus: 201,
};

/** The real gateway (production logging: one audit line per token, written nowhere). */
async function benchApiGateway(algorithm: 'HS256' | 'RS256') {
  const loaded = benchConfig(algorithm, {
    api: { clients: { booking: { secretHash: await hashApiSecret(API_SECRET), mayIssueModerator: true, rateLimitPerMinute: 1_000_000 } } },
  });
  return createGateway(loaded, { logger: createLogger('info', { write() {} }) });
}

/** The real gateway's token API, listening. */
async function tokenGateway(algorithm: 'HS256' | 'RS256') {
  return listen(await benchApiGateway(algorithm), 0, '127.0.0.1');
}

/** The headers the gateway answers a token request with that are the same for every answer (read from it). */
async function constantHeaders(url: string): Promise<Array<[string, string]>> {
  const response = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: POST.headers, body: BODY });
  if (response.status !== 201) throw new Error(`gateway answered ${response.status}`);
  await response.arrayBuffer();
  const perAnswer = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'x-request-id']);
  const constant: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    if (!perAnswer.has(name)) constant.push([name, value]);
  });
  return constant;
}

// Jitsi's backend-safe room name and the API's field rules, inline (src/tokens/room.ts, src/api/schemas.ts).
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f]*$/u;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\*?#@"'<>]/u;
const EMAIL = z.regexes.email;
const text = (value: unknown, max: number): value is string => typeof value === 'string' && value.length >= 1 && value.length <= max && PRINTABLE.test(value);

/**
 * The floor: each token request's work and nothing else, on bare Koa, the cheapest way we know:
 * - the bearer secret's SHA-256 compared in constant time with the client's;
 * - Content-Type and size checked, the body read with data/end listeners and parsed;
 * - every field checked as the API's schema does (types, lengths, printable text, e-mail, role,
 *   ttl), the client's scope (tenant, moderator, max ttl), a per-minute rate-limit counter;
 * - Jitsi's backend-safe room name (decode, NFKC, lowercase, forbidden characters, encode);
 * - the same claims, serialised and signed (header encoded once), the same join URL;
 * - the same audit line fields as JSON with an ISO time, written nowhere;
 * - the same answer: 201, the same JSON, the gateway's constant headers and a request id.
 * No metrics, no error pages, no router (one path).
 */
function floorApp(signer: (input: string) => string, headers: ReadonlyArray<[string, string]>, algorithm: string, kid: string | undefined): Koa {
  const expected = createHash('sha256').update(API_SECRET).digest();
  const counters = new Map<string, { window: number; count: number }>();
  const jtiPrefix = randomBytes(12).toString('base64url');
  let jtiCounter = 0;
  const encodedHeader = Buffer.from(JSON.stringify(kid === undefined ? { alg: algorithm, typ: 'JWT' } : { alg: algorithm, typ: 'JWT', kid })).toString('base64url');
  const app = new Koa();
  app.use(async (ctx) => {
    const res = ctx.res;
    const authorization = ctx.req.headers.authorization ?? '';
    const presented = createHash('sha256').update(authorization.startsWith('Bearer ') ? authorization.slice(7) : '').digest();
    if (!timingSafeEqual(presented, expected)) return ctx.throw(401);
    if (ctx.req.headers['content-type'] !== 'application/json') return ctx.throw(415);
    if (Number(ctx.req.headers['content-length'] ?? 0) > 65536) return ctx.throw(413);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      ctx.req.on('data', (chunk: Buffer) => chunks.push(chunk));
      ctx.req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
      ctx.req.on('error', reject);
    });
    const request = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const { room: name, tenant, user, role, ttlSeconds } = request as { room?: unknown; tenant?: unknown; user?: Record<string, unknown>; role?: unknown; ttlSeconds?: unknown };
    if (typeof name !== 'string' || name.length < 1 || name.length > 1024) return ctx.throw(400);
    if (typeof tenant !== 'string' || tenant.length < 1 || tenant.length > 63) return ctx.throw(400);
    if (typeof user !== 'object' || user === null || !text(user.id, 256) || (user.name !== undefined && !text(user.name, 256))) return ctx.throw(400);
    if (user.email !== undefined && (typeof user.email !== 'string' || user.email.length > 320 || !EMAIL.test(user.email))) return ctx.throw(400);
    if (role !== 'moderator' && role !== 'participant') return ctx.throw(400);
    if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 86400) return ctx.throw(400);
    const lowerTenant = tenant.normalize('NFKC').toLowerCase();
    if (lowerTenant !== 'sales' || ttlSeconds > 3600) return ctx.throw(403);
    const decoded = decodeURIComponent(name).normalize('NFKC').toLowerCase();
    if (decoded.trim().length === 0 || decoded !== decoded.trim() || FORBIDDEN.test(decoded)) return ctx.throw(400);
    const room = encodeURIComponent(decoded).toLowerCase();
    const now = Math.floor(Date.now() / 1000);
    const window = Math.floor(now / 60);
    const counter = counters.get('booking');
    if (counter?.window === window) counter.count += 1;
    else counters.set('booking', { window, count: 1 });
    jtiCounter += 1;
    const jti = `${jtiPrefix}.${jtiCounter.toString(36)}`;
    const moderator = role === 'moderator';
    const exp = now + ttlSeconds;
    const claims = {
      iss: 'meet-gateway',
      aud: 'jitsi',
      sub: lowerTenant,
      room,
      iat: now,
      nbf: now - 30,
      exp,
      jti,
      context: { user: { id: user.id, name: user.name, email: user.email, moderator }, tenant: lowerTenant },
    };
    const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${input}.${signer(input)}`;
    const requestId = randomUUID();
    consume(
      `${JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'jitsi-sso-gateway', audit: 'token_issued', requestId, target: 'meet', provider: 'api:booking', user: user.id, email: user.email, room, tenant: lowerTenant, sub: lowerTenant, role, jti, exp, msg: 'token issued' })}\n`,
    );
    for (const [header, value] of headers) res.setHeader(header, value);
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    ctx.status = 201;
    const joinUrl = `https://meet.example.com/${encodeURIComponent(lowerTenant)}/${room}#jwt=%22${token}%22`;
    ctx.body = JSON.stringify({ token, joinUrl, exp, jti, target: 'meet', tenant: lowerTenant, room });
  });
  return app;
}

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

const hmacSigner = (secret: Buffer) => (input: string) => createHmac('sha256', secret).update(input).digest('base64url');
const rsaSigner = (key: KeyObject) => (input: string) => sign('sha256', Buffer.from(input), key).toString('base64url');

/** `subject` against `baseline` (two token API base URLs), interleaved after a common warm-up. */
async function compare(options: BenchOptions, subject: string, baseline: string, note: string): Promise<BenchResult> {
  const load = new LoadGenerator();
  try {
    const slice = (base: string) => (ms: number) => load.measure(`${base}/api/v1/tokens`, options.connections, ms, POST);
    // Warm-up until this process's CPU per request has stopped falling on both sides (JIT, heap):
    // a fixed 2 s left the gateway's first rounds at about half its settled rate.
    const warmed = await warmUpSides([slice(subject), slice(baseline)], cpuPerOp, { sliceMs: 200, maxSlices: 25 });
    const result = await interleave(slice(subject), slice(baseline), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    const warmUp = warmUpNote(['subject', 'baseline'], warmed, (value) => (value * 1000).toFixed(1));
    return { ...result, note: `${note}; ${BODY.length}-byte JSON body, ${options.connections} keep-alive connections; warm-up (CPU µs per request): ${warmUp}` };
  } finally {
    load.close();
  }
}

/** The gateway's token API against its floor, both with `algorithm`. */
async function gatewayVsFloor(algorithm: 'HS256' | 'RS256', options: BenchOptions): Promise<BenchResult> {
  const running = await tokenGateway(algorithm);
  try {
    const headers = await constantHeaders(running.url);
    const signer = algorithm === 'HS256' ? hmacSigner(Buffer.from(SECRET)) : rsaSigner(createPrivateKey(rsaPrivatePem()));
    const kid = algorithm === 'RS256' ? KID : undefined;
    const floor = await serve(floorApp(signer, headers, algorithm, kid));
    try {
      return await compare(options, running.url, floor.url, `real gateway (bearer secret, memory store) vs its Koa floor (${algorithm})`);
    } finally {
      await floor.close();
    }
  } finally {
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}

/** The HS256 floor against a bare Koa JSON endpoint: the token request's own work on top of HTTP and Koa. */
async function floorVsBareKoa(options: BenchOptions): Promise<BenchResult> {
  const running = await tokenGateway('HS256');
  let headers: Array<[string, string]>;
  try {
    headers = await constantHeaders(running.url);
  } finally {
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
  const floor = await serve(floorApp(hmacSigner(Buffer.from(SECRET)), headers, 'HS256', undefined));
  const bare = await serve(bareJsonApp());
  try {
    return await compare(options, floor.url, bare.url, 'not the gateway: its Koa floor vs a bare Koa JSON endpoint');
  } finally {
    await floor.close();
    await bare.close();
  }
}

/**
 * The gateway's API routes alone (src/api/routes.ts: authentication, rate limit, body, validation,
 * minting, audit) on a bare Koa app, without the gateway's request listener and middleware stack,
 * against the same floor: splits the token API's distance to its floor between the API's own code
 * and the stack in front of it.
 */
async function routesAloneVsFloor(options: BenchOptions): Promise<BenchResult> {
  const running = await tokenGateway('HS256');
  let headers: Array<[string, string]>;
  try {
    headers = await constantHeaders(running.url);
  } finally {
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
  const gateway = await benchApiGateway('HS256');
  const bare = new Koa();
  bare.use(apiRoutes(gateway.services).routes());
  const routes = await serve(bare);
  const floor = await serve(floorApp(hmacSigner(Buffer.from(SECRET)), headers, 'HS256', undefined));
  try {
    return await compare(options, routes.url, floor.url, 'not the whole gateway: its API routes alone on bare Koa (no security headers, request id or metrics) vs the Koa floor');
  } finally {
    await routes.close();
    await floor.close();
    await gateway.close();
  }
}

const cases: BenchCase[] = [
  {
    name: 'token API HS256',
    description: 'POST /api/v1/tokens (real gateway, HS256) vs its Koa floor doing the same work',
    target: 0.9,
    path: 'token API HS256 ÷ its Koa floor',
    run: (options) => gatewayVsFloor('HS256', options),
  },
  {
    name: 'token API RS256',
    description: 'POST /api/v1/tokens (real gateway, RS256) vs its Koa floor doing the same work',
    target: 0.9,
    path: 'token API RS256 ÷ its Koa floor',
    secondary: true,
    run: (options) => gatewayVsFloor('RS256', options),
  },
  {
    name: 'token API HS256, API routes alone',
    description: "the gateway's API routes on bare Koa (no listener, no middleware stack) vs the token API's Koa floor",
    target: 0.9,
    path: 'token API HS256: API routes alone on bare Koa ÷ its Koa floor',
    secondary: true,
    run: routesAloneVsFloor,
  },
  {
    name: 'floor: token API HS256 vs bare Koa JSON',
    description: "the token API's Koa floor (not the gateway) vs a bare Koa JSON endpoint: the token work's own share",
    target: 0.5,
    path: 'token API floor ÷ bare Koa JSON (not the gateway)',
    secondary: true,
    run: floorVsBareKoa,
  },
];

export default cases;
