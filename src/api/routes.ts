import { Router } from '@koa/router';
import type { Context } from 'koa';
import { readJsonObject } from '../http/body.js';
import { Invites } from '../invites/invites.js';
import { gatewaySessionReader, type SessionReader } from './session-reader.js';
import { RoomRegistry } from '../policy/rooms.js';
import { providerScope } from '../policy/scope.js';
import type { ApiRouteDeps } from './deps.js';
import { ApiAuthenticator, enforcePersonRateLimit, enforceRateLimit } from './auth.js';
import { createApiClients, type ApiClient } from './clients.js';
import { openApiDocument } from './openapi.js';
import { createInvite, deleteRoom, getRoom, issueToken, listInvites, putRoom, revokeInvite, type ApiDeps, type Caller, type RoomPath } from './operations.js';
import { inviteRequestSchema, parseBody, parseTokenRequest, roomRequestSchema, targetFromQuery } from './schemas.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The API's plain dependencies, built once from the services. */
export function createApiDeps(services: ApiRouteDeps): ApiDeps {
  const scope = providerScope(services.config);
  return {
    targets: services.targets,
    defaultTarget: services.defaultTarget,
    audit: services.audit,
    rooms: new RoomRegistry(services.replicatedStore, scope, services.logger),
    invites: new Invites({ store: services.replicatedStore, targets: services.targets, audit: services.audit, settings: services.config.api.invites, publicUrl: services.publicUrl }),
    policy: services.policy,
    settings: services.config.api,
    scope,
  };
}

/**
 * The API for backends under /api/v1 (docs/api.md; the OpenAPI document at /api/v1/openapi.json is
 * checked against these routes by test/api/openapi.test.ts). Each handler: authenticate → rate
 * limit → read and validate the body → one plain operation → answer.
 */
export function apiRoutes(services: ApiRouteDeps, options: { sessions?: SessionReader; authenticator?: ApiAuthenticator } = {}): Router {
  const deps = createApiDeps(services);
  const clients = createApiClients(services.config.api.clients);
  const authenticator = options.authenticator ?? new ApiAuthenticator(clients, services.config.api.oauth2, { store: services.counterStore });
  const sessions = options.sessions ?? gatewaySessionReader(services);
  const limit = services.config.server.maxBodyBytes;
  const document = JSON.stringify(openApiDocument(services.publicUrl, services.config.session.cookieName));
  const router = new Router();

  const client = async (ctx: Context): Promise<ApiClient> => {
    const resolved = authenticator.authenticate(ctx.req.headers.authorization || undefined);
    const authenticated = resolved instanceof Promise ? await resolved : resolved;
    await enforceRateLimit(services.counterStore, authenticated);
    return authenticated;
  };

  /** API credentials when sent; otherwise the gateway session of a person. */
  const caller = async (ctx: Context): Promise<Caller> => {
    if (ctx.get('authorization')) return { kind: 'client', client: await client(ctx) };
    const identity = await sessions.identity(ctx);
    if (!identity) return { kind: 'client', client: await client(ctx) }; // answers 401
    await enforcePersonRateLimit(services.counterStore, identity);
    return { kind: 'person', identity };
  };

  const roomPath = (ctx: Context & { params: Record<string, string> }): RoomPath => {
    return { target: targetFromQuery(ctx.query.target), tenant: ctx.params.tenant ?? '', room: ctx.params.room ?? '' };
  };

  router.get('/api/v1/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = document;
  });

  router.post('/api/v1/tokens', async (ctx) => {
    const who = await client(ctx);
    const body = parseTokenRequest(await readJsonObject(ctx, limit));
    const answer = JSON.stringify(issueToken(deps, who, body, requestId(ctx)));
    ctx.status = 201;
    // The JSON as a string with its type set directly: what Koa does for an object body, minus a
    // MIME lookup per response.
    ctx.res.setHeader('Content-Type', JSON_TYPE);
    ctx.body = answer;
  });

  router.put('/api/v1/rooms/:tenant/:room', async (ctx) => {
    const who = await client(ctx);
    const body = parseBody(roomRequestSchema, await readJsonObject(ctx, limit));
    ctx.body = await putRoom(deps, who, roomPath(ctx), body);
  });

  router.get('/api/v1/rooms/:tenant/:room', async (ctx) => {
    ctx.body = await getRoom(deps, await client(ctx), roomPath(ctx));
  });

  router.delete('/api/v1/rooms/:tenant/:room', async (ctx) => {
    await deleteRoom(deps, await client(ctx), roomPath(ctx));
    ctx.status = 204;
  });

  router.post('/api/v1/invites', async (ctx) => {
    const who = await caller(ctx);
    const body = parseBody(inviteRequestSchema, await readJsonObject(ctx, limit));
    ctx.status = 201;
    ctx.body = await createInvite(deps, who, body);
  });

  router.get('/api/v1/invites', async (ctx) => {
    ctx.body = await listInvites(deps, await caller(ctx));
  });

  router.delete('/api/v1/invites/:id', async (ctx) => {
    await revokeInvite(deps, await caller(ctx), ctx.params.id ?? '');
    ctx.status = 204;
  });

  return router;
}

function requestId(ctx: Context): string | undefined {
  const id: unknown = ctx.state.requestId;
  return typeof id === 'string' ? id : undefined;
}
