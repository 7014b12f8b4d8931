import { z } from 'zod';
import { GatewayError } from '../http/errors.js';
import { peopleSchema } from '../policy/rooms.js';
import { AFFILIATIONS } from '../tokens/claims.js';
import { JITSI_FEATURES, type JitsiFeature } from '../tokens/features.js';
import { MAX_ROOM_INPUT_LENGTH } from '../tokens/room.js';
import { INVITE_ROLES } from '../invites/invites.js';

/**
 * Request and response bodies of the API, strict: unknown fields and wrong types are 400. These
 * schemas are also the source of the OpenAPI document (src/api/openapi.ts).
 */

// eslint-disable-next-line no-control-regex
const printable = /^[^\u0000-\u001f\u007f-\u009f]*$/u;
const text = (max: number) => z.string().min(1).max(max).regex(printable, 'must not contain control characters');

const targetName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).describe('Jitsi target name; default: the default target');
const tenant = z.string().min(1).max(63).describe('Tenant (first path segment of /tenant/room URLs); omit for rooms without tenant');
const room = z.string().min(1).max(MAX_ROOM_INPUT_LENGTH).describe('Room name as in the meeting URL (any case, may be percent-encoded); never a pattern');

const featureShape = Object.fromEntries(JITSI_FEATURES.map((feature) => [feature, z.boolean().optional()])) as Record<JitsiFeature, z.ZodOptional<z.ZodBoolean>>;
export const featuresSchema = z.strictObject(featureShape).describe('context.features: only Jitsi\'s known keys, each true or false');

export const tokenUserSchema = z.strictObject({
  id: text(256).describe('Stable id of the person in the calling system'),
  name: text(256).optional(),
  email: z.email().max(320).optional(),
  avatar: z.url({ protocol: /^https?$/ }).max(2048).optional(),
});

export const tokenRequestSchema = z.strictObject({
  target: targetName.optional(),
  tenant: tenant.optional(),
  room,
  user: tokenUserSchema,
  role: z.enum(['moderator', 'participant']).default('participant'),
  affiliation: z.enum(AFFILIATIONS).optional().describe('owner, moderator and teacher make a moderator (needs role moderator)'),
  features: featuresSchema.optional(),
  lobbyBypass: z.boolean().optional(),
  ttlSeconds: z.number().int().positive().max(86400).optional().describe('Token lifetime; default the target\'s tokenTtlSeconds; at most the client\'s maxTtlSeconds'),
});
export type TokenRequestBody = z.infer<typeof tokenRequestSchema>;

export const tokenResponseSchema = z.strictObject({
  token: z.string().describe('The signed Jitsi JWT'),
  joinUrl: z.string().describe('Meeting URL with the token in the hash (#jwt="…")'),
  exp: z.number().int().describe('Expiry, seconds since the epoch'),
  jti: z.string(),
  target: z.string(),
  tenant: z.string().optional(),
  room: z.string().describe('Backend-safe room name (the token\'s room claim)'),
});

export const roomRequestSchema = z.strictObject({
  moderators: peopleSchema.prefault({}).describe('People who get moderator in this room (registering any needs mayIssueModerator)'),
  members: peopleSchema.optional().describe('Present: members only; just these people (and the moderators) may enter'),
  ttlSeconds: z.number().int().positive().optional().describe('How long the entry lives; default api.rooms.defaultTtlSeconds'),
});
export type RoomRequestBody = z.infer<typeof roomRequestSchema>;

const peopleView = z.strictObject({ ids: z.array(z.string()), emails: z.array(z.string()), groups: z.array(z.string()) });
export const roomResponseSchema = z.strictObject({
  target: z.string(),
  tenant: z.string().optional(),
  room: z.string(),
  moderators: peopleView,
  members: peopleView.optional(),
  membersOnly: z.boolean(),
  expiresAt: z.string().describe('ISO 8601'),
  updatedAt: z.string().describe('ISO 8601'),
  updatedBy: z.string(),
});

export const inviteRequestSchema = z.strictObject({
  target: targetName.optional(),
  tenant: tenant.optional(),
  room,
  role: z.enum(INVITE_ROLES).default('participant'),
  uses: z.number().int().positive().default(1).describe('How many guests may redeem it; at most api.invites.maxUses'),
  ttlSeconds: z.number().int().positive().optional().describe('How long the link works; default api.invites.defaultTtlSeconds, at most api.invites.maxTtlSeconds'),
  label: text(200).optional().describe('Shown to the guest on the invite page'),
  lobbyBypass: z.boolean().optional(),
  features: featuresSchema.optional(),
});
export type InviteRequestBody = z.infer<typeof inviteRequestSchema>;

export const inviteResponseSchema = z.strictObject({
  id: z.string(),
  url: z.string().describe('The link to hand to guests'),
  target: z.string(),
  tenant: z.string().optional(),
  room: z.string(),
  role: z.enum(INVITE_ROLES),
  label: z.string().optional(),
  uses: z.number().int(),
  used: z.number().int(),
  usesLeft: z.number().int(),
  status: z.enum(['active', 'used_up', 'expired', 'revoked']),
  createdBy: z.string(),
  createdAt: z.string().describe('ISO 8601'),
  expiresAt: z.string().describe('ISO 8601'),
});

export const inviteListSchema = z.strictObject({ invites: z.array(inviteResponseSchema) });

export const errorSchema = z.strictObject({
  error: z.string().describe('Machine-readable code (invalid_request, unauthorized, forbidden, rate_limited, ...)'),
  message: z.string(),
  details: z.record(z.string(), z.string()).optional(),
});

/** Parses a body with a schema; every problem in one 400 answer, naming the field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 10).map((issue) => {
    const path = issue.path.map(String).join('.') || '(body)';
    if (issue.code === 'unrecognized_keys') return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    return `${path}: ${issue.message}`;
  });
  return throwInvalid(problems);
}

function throwInvalid(problems: string[]): never {
  throw new GatewayError(400, 'invalid_request', `The request body is invalid: ${problems.join('; ')}.`, { detail: { problems: problems.length } });
}
