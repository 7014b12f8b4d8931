import type { ApiConfig } from '../config/api.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Identity } from '../identity/identity.js';
import { personKeyOf } from '../identity/person.js';
import type { InviteView, Invites } from '../invites/invites.js';
import type { Audit } from '../observability/audit.js';
import type { Policy } from '../policy/policy.js';
import { peopleCount, qualifyPeople, type People, type RoomEntry, type RoomRegistry } from '../policy/rooms.js';
import type { ProviderScope } from '../policy/scope.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import type { ApiClient } from './clients.js';
import type { InviteRequestBody, RoomRequestBody, TokenRequestBody } from './schemas.js';

/**
 * What the API does, as plain functions of validated input (no Koa here): each reads as a short
 * list of steps (locate the room → check the caller's scopes → act → audit).
 */

export interface ApiDeps {
  targets: ReadonlyMap<string, JitsiTarget>;
  defaultTarget: JitsiTarget;
  audit: Audit;
  rooms: RoomRegistry;
  invites: Invites;
  policy: Policy;
  settings: ApiConfig;
  /** Whose values a people list without `provider` names. */
  scope: ProviderScope;
}

/** The caller of an API operation: a configured client, or a person with a gateway session (invites only). */
export type Caller = { kind: 'client'; client: ApiClient } | { kind: 'person'; identity: Identity };

export const principalOf = (caller: Caller): string => (caller.kind === 'client' ? caller.client.principal : `user:${personKeyOf(caller.identity)}`);

const MODERATOR_AFFILIATIONS = new Set(['owner', 'moderator', 'teacher']);

/** Target → room and tenant (validated by the target) → the caller's scopes. */
export function locateFor(deps: ApiDeps, client: ApiClient | undefined, request: { target?: string | undefined; tenant?: string | undefined; room: string }): { target: JitsiTarget; location: RoomLocation } {
  const target = request.target === undefined ? deps.defaultTarget : deps.targets.get(request.target);
  if (!target) throw new GatewayError('unknown_target_requested', 'There is no such Jitsi target.', { detail: { targetLength: request.target?.length ?? 0 } });
  client?.assertTarget(target.name);
  const location = target.locate(request.room, request.tenant);
  client?.assertLocation(location);
  return { target, location };
}

export interface TokenResponse {
  token: string;
  joinUrl: string;
  exp: number;
  jti: string;
  target: string;
  tenant?: string;
  room: string;
}

/** POST /api/v1/tokens: a token for person P in room R with the role the backend asks for. */
export function issueToken(deps: ApiDeps, client: ApiClient, body: TokenRequestBody, requestId?: string): TokenResponse {
  client.assertOperation('tokens');
  const { target, location } = locateFor(deps, client, body);
  const moderator = body.role === 'moderator';
  if (body.affiliation !== undefined && MODERATOR_AFFILIATIONS.has(body.affiliation) !== moderator) {
    throw new GatewayError('invalid_request', `affiliation "${body.affiliation}" contradicts role "${body.role}" (owner, moderator and teacher are moderators in Jitsi).`);
  }
  client.assertModerator(moderator);
  client.assertTokenContents(body);
  const ttlSeconds = client.tokenTtl(body.ttlSeconds, target);
  const features = body.features ?? NO_FEATURES;
  if (body.features !== undefined) assertFeaturesAllowed(target, features);
  const { user } = body;
  const { token, claims } = target.issue({
    location,
    user: {
      id: user.id,
      name: user.name,
      email: user.email,
      avatar: user.avatar,
      moderator,
      affiliation: body.affiliation,
      lobbyBypass: body.lobbyBypass,
    },
    features,
    ttlSeconds,
  });
  deps.audit.tokenIssued({ target: target.name, provider: client.principal, claims, requestId });
  const joinUrl = target.joinUrl(location, token);
  // Same fields, in the same order, as the documented response (tenant only for tenant rooms).
  return location.tenant !== undefined
    ? { token, joinUrl, exp: claims.exp, jti: claims.jti, target: target.name, tenant: location.tenant, room: location.room }
    : { token, joinUrl, exp: claims.exp, jti: claims.jti, target: target.name, room: location.room };
}

/** No features asked for (shared, never written to). */
const NO_FEATURES: Readonly<Record<string, boolean>> = Object.freeze({});

export interface RoomPath {
  target?: string | undefined;
  /** "-" for a room without tenant. */
  tenant: string;
  room: string;
}

const roomRequest = (path: RoomPath) => ({ target: path.target, tenant: path.tenant === '-' ? undefined : path.tenant, room: path.room });

export interface RoomView {
  target: string;
  tenant?: string;
  room: string;
  moderators: RoomEntry['moderators'];
  members?: RoomEntry['members'];
  membersOnly: boolean;
  expiresAt: string;
  updatedAt: string;
  updatedBy: string;
}

export function roomView(entry: RoomEntry): RoomView {
  return {
    target: entry.target,
    ...(entry.tenant !== undefined ? { tenant: entry.tenant } : {}),
    room: entry.room,
    moderators: entry.moderators,
    ...(entry.members !== undefined ? { members: entry.members } : {}),
    membersOnly: entry.members !== undefined,
    expiresAt: isoTime(entry.expiresAt),
    updatedAt: isoTime(entry.updatedAt),
    updatedBy: entry.updatedBy,
  };
}

/** PUT /api/v1/rooms/{tenant}/{room}: register (or replace) who moderates and who may enter. */
export async function putRoom(deps: ApiDeps, client: ApiClient, path: RoomPath, body: RoomRequestBody): Promise<RoomView> {
  client.assertOperation('rooms');
  const { location } = locateFor(deps, client, roomRequest(path));
  const moderators = qualified(deps.scope, body.moderators, 'moderators');
  const members = body.members === undefined ? undefined : qualified(deps.scope, body.members, 'members');
  client.assertModerator(peopleCount(moderators) > 0);
  const ttl = body.ttlSeconds ?? deps.settings.rooms.defaultTtlSeconds;
  if (ttl > deps.settings.rooms.maxTtlSeconds) {
    throw new GatewayError('invalid_request', `ttlSeconds may be at most ${deps.settings.rooms.maxTtlSeconds}.`);
  }
  return roomView(await deps.rooms.put(location, { moderators, members }, ttl, client.principal));
}

/** A people list qualified by provider, or 400 naming the field and the form to use. */
function qualified(scope: ProviderScope, input: RoomRequestBody['moderators'], field: string): People {
  const result = qualifyPeople(input, scope, field);
  if (result.problem !== undefined) throw new GatewayError('invalid_request', `The request body is invalid: ${result.problem}.`, { detail: { field } });
  return result.people;
}

export async function getRoom(deps: ApiDeps, client: ApiClient, path: RoomPath): Promise<RoomView> {
  client.assertOperation('rooms');
  const { location } = locateFor(deps, client, roomRequest(path));
  const entry = await deps.rooms.get(location);
  if (!entry) throw new GatewayError('not_found', 'This room is not registered.', { level: 'debug' });
  return roomView(entry);
}

export async function deleteRoom(deps: ApiDeps, client: ApiClient, path: RoomPath): Promise<void> {
  client.assertOperation('rooms');
  const { location } = locateFor(deps, client, roomRequest(path));
  if (!(await deps.rooms.delete(location))) throw new GatewayError('not_found', 'This room is not registered.', { level: 'debug' });
}

export interface InviteResponse extends Omit<InviteView, 'createdAt' | 'expiresAt' | 'revokedAt' | 'features' | 'lobbyBypass'> {
  createdAt: string;
  expiresAt: string;
}

export function inviteView(view: InviteView): InviteResponse {
  const { revokedAt: _revoked, features: _features, lobbyBypass: _lobby, createdAt, expiresAt, ...rest } = view;
  return { ...rest, createdAt: isoTime(createdAt), expiresAt: isoTime(expiresAt) };
}

/**
 * POST /api/v1/invites. An API client within its scopes (moderator invites need
 * mayIssueModerator); a person only for a room where the policy makes them moderator.
 */
export async function createInvite(deps: ApiDeps, caller: Caller, body: InviteRequestBody): Promise<InviteResponse> {
  const client = caller.kind === 'client' ? caller.client : undefined;
  client?.assertOperation('invites');
  const { target, location } = locateFor(deps, client, body);
  if (client) {
    client.assertModerator(body.role === 'moderator');
    client.assertTokenContents(body);
  }
  else if (caller.kind === 'person') await assertModerates(deps, caller.identity, location);
  const { invites } = deps.settings;
  if (body.uses > invites.maxUses) throw new GatewayError('invalid_request', `uses may be at most ${invites.maxUses}.`);
  const ttlSeconds = body.ttlSeconds ?? invites.defaultTtlSeconds;
  if (ttlSeconds > invites.maxTtlSeconds) throw new GatewayError('invalid_request', `ttlSeconds may be at most ${invites.maxTtlSeconds}.`);
  const features = body.features === undefined ? undefined : definedOnly(body.features);
  assertFeaturesAllowed(target, features);
  const view = await deps.invites.create({ location, role: body.role, uses: body.uses, ttlSeconds, label: body.label, lobbyBypass: body.lobbyBypass, features }, principalOf(caller));
  return inviteView(view);
}

/**
 * A person may invite guests only to a room where the policy (with the room registry) makes them
 * moderator. Shared by createInvite and the moderator's invite page (src/api/invite-manager.ts), so
 * the page shows its form exactly when creating would be allowed.
 */
export async function assertModerates(deps: Pick<ApiDeps, 'policy'>, identity: Identity, location: RoomLocation): Promise<void> {
  const decision = await deps.policy.decide({ identity, location });
  if (!decision.allow || decision.role !== 'moderator') {
    throw new GatewayError('forbidden', 'Only moderators of this room can invite guests to it.', { detail: { rule: decision.rule } });
  }
}

export async function listInvites(deps: ApiDeps, caller: Caller): Promise<{ invites: InviteResponse[] }> {
  if (caller.kind === 'client') caller.client.assertOperation('invites');
  return { invites: (await deps.invites.list(principalOf(caller))).map(inviteView) };
}

export async function revokeInvite(deps: ApiDeps, caller: Caller, id: string): Promise<void> {
  if (caller.kind === 'client') caller.client.assertOperation('invites');
  if (!(await deps.invites.revoke(id, principalOf(caller)))) {
    throw new GatewayError('not_found', 'You have no invite with this id.', { level: 'debug' });
  }
}

/** Features the target does not allow are refused outright (the login flows drop them silently). */
function assertFeaturesAllowed(target: JitsiTarget, features: Readonly<Record<string, unknown>> | undefined): void {
  const refused = Object.keys(features ?? {}).filter((feature) => !target.allowedFeatures.has(feature));
  if (refused.length > 0) {
    throw new GatewayError('invalid_request', `Feature${refused.length > 1 ? 's' : ''} ${refused.join(', ')} ${refused.length > 1 ? 'are' : 'is'} not enabled for this target.`);
  }
}

function definedOnly(features: Record<string, boolean | undefined>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(features)) if (value !== undefined) out[key] = value;
  return out;
}

const isoTime = (seconds: number) => new Date(seconds * 1000).toISOString();
