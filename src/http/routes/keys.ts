import { Router } from '@koa/router';
import type { PublishedKey } from '../../keys/keyring.js';
import type { HttpDeps } from '../deps.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { FixedAnswer } from '../fixed-answers.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PEM_TYPE = 'application/x-pem-file';

/**
 * The key documents as fixed answers by exact path (under publicUrl's path), served before Koa by
 * the request listener (src/http/fixed-answers.ts) and, for what reaches Koa, from the same table
 * by servePublished. `/asap//<hex>.pem` is included because Prosody requests that when
 * asap_key_server is configured with a trailing slash.
 */
export function publishedKeys(services: Pick<HttpDeps, 'targets' | 'basePath'>): Map<string, FixedAnswer> {
  const responses = new Map<string, FixedAnswer>();
  const base = services.basePath;
  const all: PublishedKey[] = [];
  let maxAge = Number.POSITIVE_INFINITY;
  for (const target of services.targets.values()) {
    const keys = target.keyring?.published ?? [];
    if (keys.length === 0) continue;
    const cacheControl = `public, max-age=${target.config.jwksMaxAgeSeconds}`;
    maxAge = Math.min(maxAge, target.config.jwksMaxAgeSeconds);
    all.push(...keys);
    responses.set(`${base}/jwks/${target.name}.json`, { type: JSON_TYPE, body: JSON.stringify({ keys: keys.map((key) => key.jwk) }), cacheControl, route: `${base}/jwks/:target` });
  }
  if (all.length === 0) return responses;
  const cacheControl = `public, max-age=${maxAge}`;
  for (const key of all) {
    const pem: FixedAnswer = { type: PEM_TYPE, body: key.pem, cacheControl, route: `${base}/asap/:name` };
    responses.set(`${base}/asap/${key.asapName}.pem`, pem);
    responses.set(`${base}/asap//${key.asapName}.pem`, pem);
  }
  responses.set(`${base}/.well-known/jwks.json`, { type: JSON_TYPE, body: JSON.stringify({ keys: all.map((key) => key.jwk) }), cacheControl, route: `${base}/.well-known/jwks.json` });
  return responses;
}

/**
 * Public key publication for Prosody:
 * - `GET /asap/<hex sha256(kid)>.pem` — what `asap_key_server` fetches (set it to `<publicUrl>/asap`);
 * - `GET /.well-known/jwks.json` and `/jwks/<target>.json` — for `cache_keys_url`, with a
 *   Cache-Control max-age (Prosody refreshes at max-age − 60 s).
 * `next`, `active` and `retiring` keys are all published; see README "Key rotation".
 */
export function keyRoutes(services: HttpDeps): Router {
  const router = new Router();
  const byAsapName = new Map<string, PublishedKey>();
  const all: PublishedKey[] = [];
  let maxAge = Number.POSITIVE_INFINITY;
  const perTarget = new Map<string, { body: string; maxAge: number }>();
  for (const target of services.targets.values()) {
    const keys = target.keyring?.published ?? [];
    for (const key of keys) {
      byAsapName.set(key.asapName, key);
      all.push(key);
    }
    if (keys.length > 0) {
      maxAge = Math.min(maxAge, target.config.jwksMaxAgeSeconds);
      perTarget.set(target.name, { body: JSON.stringify({ keys: keys.map((key) => key.jwk) }), maxAge: target.config.jwksMaxAgeSeconds });
    }
  }
  const allBody = JSON.stringify({ keys: all.map((key) => key.jwk) });
  const allMaxAge = Number.isFinite(maxAge) ? maxAge : 3600;

  router.get('/asap/:name', (ctx) => {
    const match = /^([0-9a-f]{64})\.pem$/.exec(ctx.params.name ?? '');
    const key = match ? byAsapName.get(match[1] ?? '') : undefined;
    if (!key) throw new GatewayError('not_found', 'No such key.', { level: 'debug', detail: { asap: String(ctx.params.name).slice(0, 80) } });
    ctx.type = 'application/x-pem-file';
    ctx.set('Cache-Control', `public, max-age=${allMaxAge}`);
    ctx.body = key.pem;
  });

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.set('Cache-Control', `public, max-age=${allMaxAge}`);
    ctx.body = allBody;
  });

  router.get('/jwks/:target', (ctx) => {
    const name = /^([a-z][a-z0-9-]*)\.json$/.exec(ctx.params.target ?? '')?.[1];
    const jwks = name ? perTarget.get(name) : undefined;
    if (!jwks) throw new GatewayError('not_found', 'No such target or it publishes no keys.', { level: 'debug' });
    ctx.type = 'application/json';
    ctx.set('Cache-Control', `public, max-age=${jwks.maxAge}`);
    ctx.body = jwks.body;
  });

  return router;
}
