import { z } from 'zod';
import {
  errorSchema,
  inviteListSchema,
  inviteRequestSchema,
  inviteResponseSchema,
  roomRequestSchema,
  roomResponseSchema,
  tokenRequestSchema,
  tokenResponseSchema,
} from './schemas.js';

/**
 * The OpenAPI 3.0 document of /api/v1, served at /api/v1/openapi.json. Body schemas are generated
 * from the same zod schemas that validate requests; test/api/openapi.test.ts checks that its paths
 * and methods are exactly the routes of src/api/routes.ts.
 */
type JsonObject = Record<string, unknown>;

const schema = (zodSchema: z.ZodType, io: 'input' | 'output'): JsonObject => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(zodSchema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonObject;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });

const errors = (...statuses: number[]): JsonObject => {
  const text: Record<number, string> = {
    400: 'Invalid body, room or tenant (unknown or extra fields, wrong types, room patterns)',
    401: 'Credentials missing or wrong',
    403: 'Outside the client\'s scopes (target, tenant, room, moderator, ttl, operation)',
    404: 'Not registered / not found',
    413: 'Body larger than server.maxBodyBytes',
    415: 'Content-Type is not application/json',
    429: 'Rate limit of the client exceeded (see Retry-After)',
    503: 'The state store cannot be reached, or did not confirm a change in time (store_not_replicated: it may or may not have been saved)',
  };
  return Object.fromEntries(statuses.map((status) => [String(status), { description: text[status] ?? 'Error', content: json('Error') }]));
};

const roomParameters = [
  { name: 'tenant', in: 'path', required: true, description: 'The tenant, or "-" for a room without tenant', schema: { type: 'string' } },
  { name: 'room', in: 'path', required: true, description: 'The room name (percent-encoded in the path)', schema: { type: 'string' } },
  { name: 'target', in: 'query', required: false, description: 'Jitsi target; default: the default target', schema: { type: 'string' } },
];

const clientAuth = [{ bearer: [] }, { basic: [] }];
const clientOrSession = [{ bearer: [] }, { basic: [] }, { session: [] }];

export function openApiDocument(publicUrl: string, sessionCookie = 'jsg_session'): JsonObject {
  return {
    openapi: '3.0.3',
    info: {
      title: 'jitsi-sso-gateway API',
      version: '1',
      description: 'Room-scoped Jitsi tokens, the room registry and guest invites for backends. See docs/api.md.',
    },
    servers: [{ url: publicUrl }],
    security: clientAuth,
    paths: {
      '/api/v1/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.0 document', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
      '/api/v1/tokens': {
        post: {
          summary: 'Issue a room-scoped Jitsi token for one person',
          operationId: 'issueToken',
          requestBody: { required: true, content: json('TokenRequest') },
          responses: { '201': { description: 'The token and the join URL', content: json('Token') }, ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
      },
      '/api/v1/rooms/{tenant}/{room}': {
        parameters: roomParameters,
        put: {
          summary: 'Register (or replace) a room: moderators, optional members-only list, expiry',
          operationId: 'putRoom',
          requestBody: { required: true, content: json('RoomRequest') },
          responses: { '200': { description: 'The registered room', content: json('Room') }, ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
        get: {
          summary: 'Read a registered room',
          operationId: 'getRoom',
          responses: { '200': { description: 'The registered room', content: json('Room') }, ...errors(400, 401, 403, 404, 429, 503) },
        },
        delete: {
          summary: 'Remove a room from the registry (the generic rules apply again)',
          operationId: 'deleteRoom',
          responses: { '204': { description: 'Removed' }, ...errors(400, 401, 403, 404, 429, 503) },
        },
      },
      '/api/v1/invites': {
        post: {
          summary: 'Create a guest invite link',
          operationId: 'createInvite',
          security: clientOrSession,
          requestBody: { required: true, content: json('InviteRequest') },
          responses: { '201': { description: 'The invite', content: json('Invite') }, ...errors(400, 401, 403, 413, 415, 429, 503) },
        },
        get: {
          summary: 'The caller\'s invites (active and recently finished)',
          operationId: 'listInvites',
          security: clientOrSession,
          responses: { '200': { description: 'Invites, newest first', content: json('InviteList') }, ...errors(401, 403, 429, 503) },
        },
      },
      '/api/v1/invites/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          summary: 'Revoke one of the caller\'s invites',
          operationId: 'revokeInvite',
          security: clientOrSession,
          responses: { '204': { description: 'Revoked' }, ...errors(401, 403, 404, 429, 503) },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The client secret, or an OAuth2 access token of api.oauth2.issuer' },
        basic: { type: 'http', scheme: 'basic', description: '<client name>:<client secret>' },
        session: { type: 'apiKey', in: 'cookie', name: sessionCookie, description: 'A moderator\'s gateway session (invites only)' },
      },
      schemas: {
        TokenRequest: schema(tokenRequestSchema, 'input'),
        Token: schema(tokenResponseSchema, 'output'),
        RoomRequest: schema(roomRequestSchema, 'input'),
        Room: schema(roomResponseSchema, 'output'),
        InviteRequest: schema(inviteRequestSchema, 'input'),
        Invite: schema(inviteResponseSchema, 'output'),
        InviteList: schema(inviteListSchema, 'output'),
        Error: schema(errorSchema, 'output'),
      },
    },
  };
}
