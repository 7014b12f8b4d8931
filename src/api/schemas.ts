import { z } from 'zod';
import { namePattern } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { peopleInputSchema, peopleListInputSchema } from '../policy/rooms.js';
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

const targetName = z.string().regex(namePattern).describe('Jitsi target name; default: the default target');
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
  moderators: peopleListInputSchema
    .prefault({})
    .describe('People who get moderator in this room (registering any needs mayIssueModerator). One list or one per provider; without "provider" the values belong to policy.defaultProviders'),
  members: peopleListInputSchema.optional().describe('Present: members only; just these people (and the moderators) may enter'),
  ttlSeconds: z.number().int().positive().optional().describe('How long the entry lives; default api.rooms.defaultTtlSeconds'),
});
export type RoomRequestBody = z.infer<typeof roomRequestSchema>;

/** People by provider: every id, e-mail and group belongs to the provider of its section. */
const peopleView = z.array(z.strictObject({ provider: z.string(), ids: z.array(z.string()), emails: z.array(z.string()), groups: z.array(z.string()) }));
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

/** Longest invite label (the note shown to guests). */
export const MAX_INVITE_LABEL = 200;

export const inviteRequestSchema = z.strictObject({
  target: targetName.optional(),
  tenant: tenant.optional(),
  room,
  role: z.enum(INVITE_ROLES).default('participant'),
  uses: z.number().int().positive().default(1).describe('How many guests may redeem it; at most api.invites.maxUses'),
  ttlSeconds: z.number().int().positive().optional().describe('How long the link works; default api.invites.defaultTtlSeconds, at most api.invites.maxTtlSeconds'),
  label: text(MAX_INVITE_LABEL).optional().describe('Shown to the guest on the invite page'),
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

const EMAIL = z.regexes.email;
const AFFILIATION_SET: ReadonlySet<string> = new Set(AFFILIATIONS);
const TOKEN_REQUEST_KEYS: ReadonlySet<string> = new Set(Object.keys(tokenRequestSchema.shape));

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length >= 1 && value.length <= max && printable.test(value);

/**
 * parseBody(tokenRequestSchema, body) for the common request (POST /api/v1/tokens is the hot
 * path: the generic schema walk cost about 6 µs of a request's ~100). A precompiled check accepts
 * only bodies the schema accepts, built exactly as zod builds them (shape order, absent optional
 * fields left out, role defaulted); anything else (an avatar, features, any doubt, every invalid
 * body) goes through the schema, so errors are zod's. Keep it in step with tokenRequestSchema:
 * it must never accept a body the schema refuses (a rule tightened there is tightened here).
 */
export function parseTokenRequest(body: Record<string, unknown>): TokenRequestBody {
  return fastTokenRequest(body) ?? parseBody(tokenRequestSchema, body);
}

function fastTokenRequest(body: Record<string, unknown>): TokenRequestBody | undefined {
  for (const key in body) if (!TOKEN_REQUEST_KEYS.has(key)) return undefined;
  const { target, tenant, room, user, role, affiliation, features, lobbyBypass, ttlSeconds } = body;
  if (features !== undefined) return undefined;
  if (target !== undefined && (typeof target !== 'string' || !namePattern.test(target))) return undefined;
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length < 1 || tenant.length > 63)) return undefined;
  if (typeof room !== 'string' || room.length < 1 || room.length > MAX_ROOM_INPUT_LENGTH) return undefined;
  if (role !== undefined && role !== 'moderator' && role !== 'participant') return undefined;
  if (affiliation !== undefined && (typeof affiliation !== 'string' || !AFFILIATION_SET.has(affiliation))) return undefined;
  if (lobbyBypass !== undefined && typeof lobbyBypass !== 'boolean') return undefined;
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 86400)) return undefined;
  if (!isPlainObject(user)) return undefined;
  const { id, name, email } = user;
  for (const key in user) if (key !== 'id' && key !== 'name' && key !== 'email') return undefined; // avatar: the schema checks URLs
  if (!isText(id, 256)) return undefined;
  if (name !== undefined && !isText(name, 256)) return undefined;
  if (email !== undefined && (typeof email !== 'string' || email.length > 320 || !EMAIL.test(email))) return undefined;

  const parsedUser: TokenRequestBody['user'] = { id };
  if (name !== undefined) parsedUser.name = name;
  if (email !== undefined) parsedUser.email = email;
  const out = {} as TokenRequestBody;
  if (target !== undefined) out.target = target;
  if (tenant !== undefined) out.tenant = tenant;
  out.room = room;
  out.user = parsedUser;
  out.role = role ?? 'participant';
  if (affiliation !== undefined) out.affiliation = affiliation as TokenRequestBody['affiliation'];
  if (lobbyBypass !== undefined) out.lobbyBypass = lobbyBypass;
  if (ttlSeconds !== undefined) out.ttlSeconds = ttlSeconds;
  return out;
}

/** `?target=` of a URL (room registry, invite page): absent, or one target name; else 400. */
export function targetFromQuery(value: string | string[] | undefined): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || !namePattern.test(value))) {
    throw new GatewayError('invalid_request', 'The query parameter target must be one target name.');
  }
  return value;
}

function throwInvalid(problems: string[]): never {
  throw new GatewayError('invalid_request', `The request body is invalid: ${problems.join('; ')}.`, { detail: { problems: problems.length } });
}
