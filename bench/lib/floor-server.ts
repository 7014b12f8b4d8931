import { createHash, createHmac, createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import Router from '@koa/router';
import { Redis } from 'ioredis';
import Koa from 'koa';
import * as client from 'openid-client';
import { backchannelFetch } from '../../src/idp/oidc/http.js';

/**
 * The floors of the OIDC login benchmarks (bench/cases/50-login.ts): the same login, with the
 * same observable contract for the scripted clients (GET /login → 303 to the IdP with a binding
 * cookie; GET /auth/corp/callback → 303 to the room with `#jwt=`), doing only the protocol's own
 * work: a transaction in Redis (SET EX, GETDEL), PKCE S256, state, nonce and the browser binding,
 * the code exchange, the ID token's signature, iss, aud and nonce, a session in Redis, one HS256
 * token and one log line. No room or {state} checks, no policy, no security headers, no metrics,
 * no error pages. They say what any gateway on this machine can reach, not what ours should do.
 *
 * - `raw`: node:http, ioredis, node:crypto and a keep-alive node:http client. The cheapest Node
 *   can do this.
 * - `stack`: the same on the libraries this project is given (Koa with @koa/router, openid-client
 *   v6 for the authorization URL and the code exchange, ioredis), used the cheapest way we know:
 *   node:http under openid-client (the gateway's customFetch) and node:crypto for PKCE.
 *
 * Bench code only; nothing here is shipped.
 */

export interface FloorSettings {
  kind: 'raw' | 'stack';
  port: number;
  issuer: string;
  redisUrl: string;
  clientId: string;
  clientSecret: string;
  /** HS256 secret of the minted token. */
  secret: string;
}

interface Transaction {
  binding: string;
  verifier: string;
  nonce: string;
  room: string;
}

interface IdTokenClaims {
  iss?: unknown;
  aud?: unknown;
  nonce?: unknown;
  sub?: unknown;
  name?: unknown;
  email?: unknown;
}

const BINDING = 'jsg_session_login';
const SESSION = 'jsg_session';
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(/;\s*/)) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === name) return pair.slice(eq + 1);
  }
  return undefined;
}

function mint(secret: Buffer, claims: { sub: string; name: string; room: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64(Buffer.from('{"alg":"HS256","typ":"JWT"}'));
  const payload = b64(
    Buffer.from(
      JSON.stringify({ iss: 'meet-gateway', aud: 'jitsi', sub: 'meet.jitsi', room: claims.room, nbf: now - 10, exp: now + 3600, context: { user: { id: claims.sub, name: claims.name } } }),
    ),
  );
  return `${header}.${payload}.${createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')}`;
}

/** The ID token's RS256 signature against the IdP's keys, then iss, aud and nonce. */
function checkIdToken(idToken: string, keys: Map<string, KeyObject>, issuer: string, clientId: string, nonce: string): IdTokenClaims {
  const [header = '', payload = '', signature = ''] = idToken.split('.');
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: string };
  const key = keys.get(kid ?? '');
  if (!key || !verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) throw new Error('ID token signature');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as IdTokenClaims;
  if (claims.iss !== issuer || claims.aud !== clientId || claims.nonce !== nonce) throw new Error('ID token claims');
  return claims;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function httpCall(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    call.on('error', reject);
    call.end(body);
  });
}

async function idpKeys(jwksUri: string): Promise<Map<string, KeyObject>> {
  const { keys } = JSON.parse((await httpCall(jwksUri, 'GET', {})).body) as { keys: Array<JsonWebKey & { kid?: string }> };
  return new Map(keys.map((jwk) => [jwk.kid ?? '', createPublicKey({ key: jwk, format: 'jwk' })]));
}

function session(redis: Redis, claims: IdTokenClaims): { id: string; saved: Promise<unknown> } {
  const id = b64(randomBytes(32));
  const saved = redis.set(`s:${sha256(id)}`, JSON.stringify({ sub: claims.sub, name: claims.name, email: claims.email }), 'EX', 28800);
  return { id, saved };
}

async function startRaw(settings: FloorSettings, redis: Redis, secret: Buffer, callbackUrl: string): Promise<void> {
  const metadata = JSON.parse((await httpCall(`${settings.issuer}/.well-known/openid-configuration`, 'GET', {})).body) as Record<string, string>;
  const keys = await idpKeys(metadata.jwks_uri ?? '');
  const basic = `Basic ${Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString('base64')}`;

  const login = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const binding = readCookie(req.headers.cookie, BINDING) ?? b64(randomBytes(32));
    const id = b64(randomBytes(16));
    const verifier = b64(randomBytes(32));
    const nonce = b64(randomBytes(32));
    const transaction: Transaction = { binding: sha256(binding), verifier, nonce, room: url.searchParams.get('room') ?? '' };
    await redis.set(`tx:${id}`, JSON.stringify(transaction), 'EX', 600);
    const query = new URLSearchParams({
      client_id: settings.clientId,
      response_type: 'code',
      scope: 'openid profile email groups',
      redirect_uri: callbackUrl,
      state: id,
      nonce,
      code_challenge: sha256(verifier),
      code_challenge_method: 'S256',
    });
    res.writeHead(303, { location: `${metadata.authorization_endpoint}?${query}`, 'set-cookie': `${BINDING}=${binding}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`, 'content-length': '0' });
    res.end();
  };

  const callback = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const raw = await redis.getdel(`tx:${url.searchParams.get('state') ?? ''}`);
    if (raw === null) throw new Error('unknown transaction');
    const transaction = JSON.parse(raw) as Transaction;
    if (transaction.binding !== sha256(readCookie(req.headers.cookie, BINDING) ?? '')) throw new Error('another browser');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: url.searchParams.get('code') ?? '', redirect_uri: callbackUrl, code_verifier: transaction.verifier });
    const answer = await httpCall(metadata.token_endpoint ?? '', 'POST', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body.toString());
    if (answer.status !== 200) throw new Error(`token endpoint ${answer.status}`);
    const { id_token: idToken } = JSON.parse(answer.body) as { id_token?: string };
    const claims = checkIdToken(idToken ?? '', keys, settings.issuer, settings.clientId, transaction.nonce);
    const opened = session(redis, claims);
    await opened.saved;
    const token = mint(secret, { sub: String(claims.sub), name: String(claims.name), room: transaction.room });
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'token issued', sub: claims.sub, room: transaction.room })}\n`);
    res.writeHead(303, { location: `https://meet.example.com/sales/${encodeURIComponent(transaction.room)}#jwt="${token}"`, 'set-cookie': `${SESSION}=${opened.id}; Path=/; HttpOnly; SameSite=Lax`, 'content-length': '0' });
    res.end();
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://floor');
    const handler = url.pathname === '/login' ? login : url.pathname === '/auth/corp/callback' ? callback : undefined;
    if (!handler) {
      res.writeHead(url.pathname === '/readyz' ? 200 : 404, { 'content-length': '0' });
      res.end();
      return;
    }
    handler(url, req, res).catch((error: unknown) => {
      res.writeHead(400, { 'content-length': '0' });
      res.end();
      process.stderr.write(`floor: ${String(error)}\n`);
    });
  });
  server.keepAliveTimeout = 5000;
  server.listen(settings.port, '127.0.0.1');
}

async function startStack(settings: FloorSettings, redis: Redis, secret: Buffer, callbackUrl: string): Promise<void> {
  // The cheapest use of the stack: node:http under openid-client (its customFetch, as the gateway
  // does) instead of the global fetch, and the PKCE challenge with node:crypto instead of WebCrypto.
  const configuration = await client.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
    [client.customFetch]: backchannelFetch,
  });
  configuration[client.customFetch] = backchannelFetch;
  const keys = await idpKeys(configuration.serverMetadata().jwks_uri ?? '');
  const router = new Router();
  router.get('/readyz', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/login', async (ctx) => {
    const binding = ctx.cookies.get(BINDING) ?? client.randomState();
    const id = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const transaction: Transaction = { binding: sha256(binding), verifier, nonce, room: String(ctx.query.room ?? '') };
    await redis.set(`tx:${id}`, JSON.stringify(transaction), 'EX', 600);
    const authorize = client.buildAuthorizationUrl(configuration, {
      redirect_uri: callbackUrl,
      scope: 'openid profile email groups',
      state: id,
      nonce,
      code_challenge: sha256(verifier),
      code_challenge_method: 'S256',
    });
    ctx.cookies.set(BINDING, binding, { httpOnly: true, sameSite: 'lax', maxAge: 600_000 });
    ctx.status = 303;
    ctx.redirect(authorize.href);
  });
  router.get('/auth/corp/callback', async (ctx) => {
    const id = String(ctx.query.state ?? '');
    const raw = await redis.getdel(`tx:${id}`);
    if (raw === null) throw new Error('unknown transaction');
    const transaction = JSON.parse(raw) as Transaction;
    if (transaction.binding !== sha256(ctx.cookies.get(BINDING) ?? '')) throw new Error('another browser');
    const tokens = await client.authorizationCodeGrant(configuration, new URL(ctx.url, callbackUrl), {
      pkceCodeVerifier: transaction.verifier,
      expectedNonce: transaction.nonce,
      expectedState: id,
    });
    // openid-client checks iss, aud, exp and nonce; the signature (a plain-http back channel) here.
    const claims = checkIdToken(tokens.id_token ?? '', keys, settings.issuer, settings.clientId, transaction.nonce);
    const opened = session(redis, claims);
    await opened.saved;
    const token = mint(secret, { sub: String(claims.sub), name: String(claims.name), room: transaction.room });
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'token issued', sub: claims.sub, room: transaction.room })}\n`);
    ctx.cookies.set(SESSION, opened.id, { httpOnly: true, sameSite: 'lax' });
    ctx.status = 303;
    ctx.redirect(`https://meet.example.com/sales/${encodeURIComponent(transaction.room)}#jwt="${token}"`);
  });
  const app = new Koa();
  app.use(router.routes());
  const server = createServer(app.callback());
  server.keepAliveTimeout = 5000;
  server.listen(settings.port, '127.0.0.1');
}

export async function startFloor(settings: FloorSettings): Promise<void> {
  const redis = new Redis(settings.redisUrl, { enableAutoPipelining: true });
  const secret = Buffer.from(settings.secret, 'utf8');
  const callbackUrl = `http://127.0.0.1:${settings.port}/auth/corp/callback`;
  await (settings.kind === 'raw' ? startRaw : startStack)(settings, redis, secret, callbackUrl);
}
