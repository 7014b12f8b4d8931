import { Router } from '@koa/router';
import type { Context } from 'koa';
import { readBody } from '../http/body.js';
import { GatewayError } from '../errors/gateway-error.js';
import { statusOf } from '../http/errors.js';
import type { Logger } from '../observability/logger.js';
import type { TokenServiceDeps } from './deps.js';
import { StoreUnavailableError } from '../store/store.js';
import { OAuthError } from './errors.js';
import { revokeRefreshToken } from './refresh-tokens.js';
import { handleTokenRequest } from './token-endpoint.js';

/**
 * The token service's HTTP edge (Jitsi's `config.sso.tokenService` is `<publicUrl host + path>`):
 *
 *   POST    /token                  code and refresh token exchange (token-endpoint.ts)
 *   OPTIONS /token                  CORS preflight (sso.html sends none, other clients may)
 *   POST    /revoke                 RFC 7009: ends a refresh token's family
 *   GET     /token-service/jwks.json   the ID-token key
 *   GET     /.well-known/openid-configuration   where all of it is
 *
 * Every answer, errors included, carries `Access-Control-Allow-Origin` when the request's Origin
 * is one of the clients' origins (and only then): sso.html must be able to read an error to show
 * it. No cookies are read or set here, so no credentials mode.
 */

const FORM = ['application/x-www-form-urlencoded'] as const;
const BODY_LIMIT = 16 * 1024;

function allowOrigin(ctx: Context, services: TokenServiceDeps): string | undefined {
  ctx.vary('Origin');
  const origin = ctx.get('origin') || undefined;
  if (origin !== undefined && services.tokenService.clients.origins.has(origin)) ctx.set('Access-Control-Allow-Origin', origin);
  return origin;
}

function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}

/** OAuth errors as RFC 6749 §5.2 JSON; request-shape and store errors in the same form. */
function oauthError(thrown: unknown): OAuthError | undefined {
  if (thrown instanceof OAuthError) return thrown;
  if (thrown instanceof StoreUnavailableError) return new OAuthError('temporarily_unavailable', 'The sign-in service cannot reach its state store right now. Please try again in a moment.', { reason: thrown.message });
  if (thrown instanceof GatewayError && statusOf(thrown) < 500) return Object.assign(new OAuthError('invalid_request', thrown.message), { status: statusOf(thrown) });
  return undefined;
}

async function answerOAuth(ctx: Context, services: TokenServiceDeps, what: string, work: () => Promise<unknown>): Promise<void> {
  noStore(ctx);
  try {
    ctx.body = await work();
    ctx.status = 200;
  } catch (thrown) {
    const error = oauthError(thrown);
    if (!error) throw thrown;
    services.metrics.errors.inc({ kind: `oauth_${error.code}` });
    const log = ctx.state.log as Logger | undefined;
    log?.[error.status >= 500 ? 'warn' : 'info']({ code: error.code, status: error.status, path: ctx.path, ...error.detail }, `${what}: ${error.description}`);
    ctx.status = error.status;
    ctx.body = error.body();
  }
}

export function tokenServiceRoutes(services: TokenServiceDeps): Router {
  const router = new Router();
  const { tokenService } = services;

  router.post('/token', async (ctx) => {
    const origin = allowOrigin(ctx, services);
    await answerOAuth(ctx, services, 'token request refused', async () => {
      const form = new URLSearchParams(await readBody(ctx, { limit: BODY_LIMIT, types: FORM }));
      const requestId = typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined;
      return handleTokenRequest(services, { origin, form, requestId });
    });
  });

  router.post('/revoke', async (ctx) => {
    const origin = allowOrigin(ctx, services);
    await answerOAuth(ctx, services, 'revocation refused', async () => {
      const form = new URLSearchParams(await readBody(ctx, { limit: BODY_LIMIT, types: FORM }));
      const clientId = form.get('client_id') ?? '';
      const client = tokenService.clients.get(clientId);
      if (!client) throw new OAuthError('invalid_client', 'This sign-in client is not known to the token service.');
      if (origin === undefined || !client.origins.has(origin)) throw new OAuthError('invalid_client', "Only this client's Jitsi site may revoke its tokens.");
      const token = form.get('token');
      if (!token) throw new OAuthError('invalid_request', 'The parameter token is missing.');
      const grant = await revokeRefreshToken(services.store, token);
      // RFC 7009 §2.2: unknown tokens get 200 too; a token of another client is left alone.
      if (grant && grant.client !== client.id) services.logger.warn({ client: client.id }, 'revocation of another client\'s refresh token');
      return {};
    });
  });

  router.options(['/token', '/revoke'], (ctx) => {
    allowOrigin(ctx, services);
    ctx.set('Access-Control-Allow-Methods', 'POST');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type');
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
  });

  const jwks = JSON.stringify(tokenService.jwks());
  router.get('/token-service/jwks.json', (ctx) => {
    allowOrigin(ctx, services);
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = jwks;
  });

  const discovery = JSON.stringify({
    issuer: tokenService.issuer,
    authorization_endpoint: `${services.publicUrl}/login`,
    token_endpoint: `${services.publicUrl}/token`,
    revocation_endpoint: `${services.publicUrl}/revoke`,
    jwks_uri: `${services.publicUrl}/token-service/jwks.json`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [tokenService.key.alg],
  });
  router.get('/.well-known/openid-configuration', (ctx) => {
    allowOrigin(ctx, services);
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = discovery;
  });

  return router;
}
