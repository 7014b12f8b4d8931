import { z } from 'zod';
import type { Identity } from '../identity/identity.js';
import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';
import type { Decision } from './policy.js';

/**
 * The room registry: per-room settings a backend registers over the API (PUT /api/v1/rooms/...),
 * kept in the store under `room:<target>:<tenant|->:<roomSafe>` until they expire. When a room has
 * an entry it overrides the generic rules for that room (see roomDecision).
 */

export const MAX_PEOPLE_PER_LIST = 1000;

export const peopleSchema = z.strictObject({
  /** User ids as the identity provider reports them ("alice"), or qualified by provider ("corp:alice"). */
  ids: z.array(z.string().min(1).max(256)).max(MAX_PEOPLE_PER_LIST).default([]),
  /** Email addresses (compared without regard to case). */
  emails: z.array(z.email().max(320)).max(MAX_PEOPLE_PER_LIST).default([]),
  /** Group names (compared without regard to case). */
  groups: z.array(z.string().min(1).max(500)).max(MAX_PEOPLE_PER_LIST).default([]),
});
export type PeopleList = z.infer<typeof peopleSchema>;

const storedEntrySchema = z.strictObject({
  target: z.string(),
  tenant: z.string().optional(),
  room: z.string(),
  moderators: peopleSchema,
  /** Present: members only; these people (and the moderators) may enter, nobody else. */
  members: peopleSchema.optional(),
  /** Seconds since the epoch. */
  expiresAt: z.number().int(),
  updatedAt: z.number().int(),
  /** Who registered it: "api:<client>". */
  updatedBy: z.string(),
});
export type RoomEntry = z.infer<typeof storedEntrySchema>;

export interface RoomSettings {
  moderators: PeopleList;
  members?: PeopleList | undefined;
}

export function roomKey(location: RoomLocation): string {
  return `room:${location.target}:${location.tenant ?? '-'}:${location.room}`;
}

export class RoomRegistry {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async get(location: RoomLocation): Promise<RoomEntry | null> {
    const raw = await this.store.get(roomKey(location));
    if (raw === null) return null;
    // A damaged entry must not silently open a members-only room: fail (500), never guess.
    const entry = storedEntrySchema.parse(JSON.parse(raw));
    return entry.expiresAt > this.now() ? entry : null;
  }

  async put(location: RoomLocation, settings: RoomSettings, ttlSeconds: number, updatedBy: string): Promise<RoomEntry> {
    const now = this.now();
    const entry: RoomEntry = {
      target: location.target,
      ...(location.tenant !== undefined ? { tenant: location.tenant } : {}),
      room: location.room,
      moderators: normalizePeople(settings.moderators),
      ...(settings.members !== undefined ? { members: normalizePeople(settings.members) } : {}),
      expiresAt: now + ttlSeconds,
      updatedAt: now,
      updatedBy,
    };
    await this.store.put(roomKey(location), JSON.stringify(entry), ttlSeconds);
    return entry;
  }

  delete(location: RoomLocation): Promise<boolean> {
    return this.store.delete(roomKey(location));
  }
}

function normalizePeople(people: PeopleList): PeopleList {
  return {
    ids: [...new Set(people.ids)],
    emails: [...new Set(people.emails.map((email) => email.toLowerCase()))],
    groups: [...new Set(people.groups)],
  };
}

/** Whether the person is on the list: by id (plain or provider-qualified), email or group. */
export function listed(people: PeopleList, identity: Identity): boolean {
  if (people.ids.includes(identity.id) || people.ids.includes(`${identity.provider}:${identity.id}`)) return true;
  const email = identity.email?.toLowerCase();
  if (email !== undefined && people.emails.includes(email)) return true;
  if (people.groups.length > 0 && identity.groups.length > 0) {
    const groups = new Set(identity.groups.map((group) => group.toLowerCase()));
    if (people.groups.some((group) => groups.has(group.toLowerCase()))) return true;
  }
  return false;
}

export const MEMBERS_ONLY_MESSAGE = 'This meeting is open to its invited members only. Ask the organiser to add you.';

/**
 * A registered room overrides the generic rules for that room:
 * - listed moderators enter as moderator (affiliation owner);
 * - listed members enter as participant;
 * - on a members-only room, anybody else is denied;
 * - on an open room, anybody else enters as participant, unless the generic rules deny them.
 * Features, lobby bypass and token lifetime still come from the generic decision when it allowed.
 */
export function roomDecision(entry: RoomEntry, identity: Identity, generic: Decision): Decision {
  const carried = generic.allow ? carry(generic) : {};
  const rule = `room:${entry.tenant ?? '-'}/${entry.room}`;
  if (listed(entry.moderators, identity)) {
    return { allow: true, role: 'moderator', affiliation: 'owner', ...carried, rule, source: 'room' };
  }
  const member = entry.members !== undefined && listed(entry.members, identity);
  if (entry.members !== undefined && !member) return { allow: false, message: MEMBERS_ONLY_MESSAGE, rule, source: 'room' };
  if (!member && !generic.allow) return generic;
  const affiliation = member || (generic.allow && generic.affiliation === 'member') ? { affiliation: 'member' as const } : {};
  return { allow: true, role: 'participant', ...affiliation, ...carried, rule, source: 'room' };
}

function carry(decision: Extract<Decision, { allow: true }>): Pick<Extract<Decision, { allow: true }>, 'features' | 'lobbyBypass' | 'ttlSeconds'> {
  const out: Pick<Extract<Decision, { allow: true }>, 'features' | 'lobbyBypass' | 'ttlSeconds'> = {};
  if (decision.features !== undefined) out.features = decision.features;
  if (decision.lobbyBypass !== undefined) out.lobbyBypass = decision.lobbyBypass;
  if (decision.ttlSeconds !== undefined) out.ttlSeconds = decision.ttlSeconds;
  return out;
}
