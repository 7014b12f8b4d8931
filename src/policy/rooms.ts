import { z } from 'zod';
import type { Identity } from '../identity/identity.js';
import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';
import { PROVIDER_NAME } from '../identity/person.js';
import type { Decision } from './policy.js';
import { ambiguity, type ProviderScope } from './scope.js';

/**
 * The room registry: per-room settings a backend registers over the API (PUT /api/v1/rooms/...),
 * kept in the store under `room:<target>:<tenant|->:<roomSafe>` until they expire. When a room has
 * an entry it overrides the generic rules for that room (see roomDecision).
 */

export const MAX_PEOPLE_PER_LIST = 1000;
/** At most this many provider sections per list (a provider appears at most once). */
export const MAX_PROVIDERS_PER_LIST = 50;

const providerName = z.string().regex(PROVIDER_NAME, 'must be the name of a configured identity provider');
const idList = z.array(z.string().min(1).max(256)).max(MAX_PEOPLE_PER_LIST).default([]);
const emailList = z.array(z.email().max(320)).max(MAX_PEOPLE_PER_LIST).default([]);
const groupList = z.array(z.string().min(1).max(500)).max(MAX_PEOPLE_PER_LIST).default([]);

/**
 * People as a backend writes them (PUT /api/v1/rooms/...): ids, e-mail addresses and groups, and
 * the provider(s) they belong to. Without `provider` they belong to policy.defaultProviders (or the
 * only configured provider); see qualifyPeople.
 */
export const peopleInputSchema = z.strictObject({
  /** Whose ids, e-mails and groups these are: a configured provider name, or several. */
  provider: z.union([providerName, z.array(providerName).min(1).max(MAX_PROVIDERS_PER_LIST)]).optional(),
  /** User ids exactly as that provider reports them (OIDC `sub` or the mapped claim, CAS user). */
  ids: idList,
  /** E-mail addresses (compared without regard to case; only addresses the provider vouches for match). */
  emails: emailList,
  /** Group names (compared without regard to case). */
  groups: groupList,
});
export type PeopleInput = z.infer<typeof peopleInputSchema>;
/** One list, or several (one per provider, as GET answers). */
export const peopleListInputSchema = z.union([peopleInputSchema, z.array(peopleInputSchema).max(MAX_PROVIDERS_PER_LIST)]);
export type PeopleListInput = z.infer<typeof peopleListInputSchema>;

/** The people of one provider: every value is qualified by the section it sits in. */
const providerPeopleSchema = z.strictObject({ provider: providerName, ids: idList, emails: emailList, groups: groupList });
export type ProviderPeople = z.infer<typeof providerPeopleSchema>;
/** A list of people, by provider (at most one section per provider). */
export type People = ProviderPeople[];
const peopleSchema = z.array(providerPeopleSchema).max(MAX_PROVIDERS_PER_LIST);

const storedEntrySchema = z.strictObject({
  v: z.literal(2),
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

/** Entries written before people were provider-qualified: bare ids, or "provider:id" strings. */
const legacyPeopleSchema = z.strictObject({ ids: z.array(z.string()), emails: z.array(z.string()), groups: z.array(z.string()) });
const legacyEntrySchema = storedEntrySchema.omit({ v: true, moderators: true, members: true }).extend({
  moderators: legacyPeopleSchema,
  members: legacyPeopleSchema.optional(),
});

export interface RoomSettings {
  moderators: People;
  members?: People | undefined;
}

export function roomKey(location: RoomLocation): string {
  return `room:${location.target}:${location.tenant ?? '-'}:${location.room}`;
}

export interface RegistryLog {
  error(obj: Record<string, unknown>, msg: string): void;
}

export class RoomRegistry {
  constructor(
    private readonly store: Store,
    private readonly scope: ProviderScope,
    private readonly log?: RegistryLog,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async get(location: RoomLocation): Promise<RoomEntry | null> {
    const raw = await this.store.get(roomKey(location));
    if (raw === null) return null;
    // A damaged entry must not silently open a members-only room: fail (500), never guess.
    const json: unknown = JSON.parse(raw);
    const entry = typeof json === 'object' && json !== null && 'v' in json ? storedEntrySchema.parse(json) : this.upgrade(roomKey(location), legacyEntrySchema.parse(json));
    return entry.expiresAt > this.now() ? entry : null;
  }

  async put(location: RoomLocation, settings: RoomSettings, ttlSeconds: number, updatedBy: string): Promise<RoomEntry> {
    const now = this.now();
    const entry: RoomEntry = {
      v: 2,
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

  /**
   * An entry of the old form: "provider:id" strings whose provider is configured become that
   * provider's id; bare values belong to the default providers. When there are none (several
   * providers, no policy.defaultProviders), bare values match nobody (closed, never open) and the
   * operator is told which entry to register again, in which form.
   */
  private upgrade(key: string, legacy: z.infer<typeof legacyEntrySchema>): RoomEntry {
    const dropped: string[] = [];
    const convert = (people: z.infer<typeof legacyPeopleSchema>): People => {
      const sections = new Map<string, ProviderPeople>();
      const section = (provider: string) => {
        let found = sections.get(provider);
        if (!found) sections.set(provider, (found = { provider, ids: [], emails: [], groups: [] }));
        return found;
      };
      const bare = (field: 'ids' | 'emails' | 'groups', value: string) => {
        if (this.scope.defaults === undefined) dropped.push(`${field}: ${value}`);
        else for (const provider of this.scope.defaults) section(provider)[field].push(value);
      };
      for (const id of people.ids) {
        const qualified = qualifiedLegacyId(id, this.scope.configured);
        if (qualified) section(qualified.provider).ids.push(qualified.id);
        else bare('ids', id);
      }
      for (const email of people.emails) bare('emails', email);
      for (const group of people.groups) bare('groups', group);
      return normalizePeople([...sections.values()]);
    };
    const { moderators, members, ...rest } = legacy;
    const entry: RoomEntry = { v: 2, ...rest, moderators: convert(moderators), ...(members !== undefined ? { members: convert(members) } : {}) };
    if (dropped.length > 0) {
      this.log?.error(
        { entry: key, ignored: dropped.slice(0, 20), problem: ambiguity(this.scope) },
        'a room registry entry of the old form names people without their provider; they match nobody until the room is registered again in the new form, e.g. {"moderators": {"provider": "corp", "ids": ["alice"]}} (README: Upgrade notes)',
      );
    }
    return entry;
  }
}

/** An old-form "corp:alice" id whose prefix is a configured provider. */
function qualifiedLegacyId(id: string, configured: readonly string[]): { provider: string; id: string } | undefined {
  const colon = id.indexOf(':');
  if (colon < 1 || colon === id.length - 1) return undefined;
  const provider = id.slice(0, colon);
  return configured.includes(provider) ? { provider, id: id.slice(colon + 1) } : undefined;
}

function normalizePeople(people: People): People {
  const merged = new Map<string, ProviderPeople>();
  for (const section of people) {
    const into = merged.get(section.provider) ?? { provider: section.provider, ids: [], emails: [], groups: [] };
    into.ids.push(...section.ids);
    into.emails.push(...section.emails.map((email) => email.toLowerCase()));
    into.groups.push(...section.groups);
    merged.set(section.provider, into);
  }
  return [...merged.values()]
    .map((section) => ({ provider: section.provider, ids: [...new Set(section.ids)], emails: [...new Set(section.emails)], groups: [...new Set(section.groups)] }))
    .filter((section) => section.ids.length + section.emails.length + section.groups.length > 0);
}

/** How many ids, e-mails and groups a list names. */
export const peopleCount = (people: People): number => people.reduce((sum, section) => sum + section.ids.length + section.emails.length + section.groups.length, 0);

export type QualifiedPeople = { people: People; problem?: undefined } | { people?: undefined; problem: string };

/**
 * A backend's people list → people by provider. Bare values belong to the list's `provider`, else to
 * the default providers; with neither, the list is refused (ambiguous). An id written the old way,
 * "corp:alice" where corp is a configured provider, is refused without an explicit `provider`:
 * it would otherwise mean a person called "corp:alice" at the default provider.
 */
export function qualifyPeople(input: PeopleListInput, scope: ProviderScope, field: string): QualifiedPeople {
  const lists = Array.isArray(input) ? input : [input];
  const sections: People = [];
  for (const [index, list] of lists.entries()) {
    const at = Array.isArray(input) ? `${field}[${index}]` : field;
    const count = list.ids.length + list.emails.length + list.groups.length;
    if (count === 0) continue;
    let providers: readonly string[];
    if (list.provider !== undefined) {
      providers = Array.isArray(list.provider) ? list.provider : [list.provider];
      const unknown = providers.filter((provider) => !scope.configured.includes(provider));
      if (unknown.length > 0) {
        return { problem: `${at}.provider: ${unknown.map((name) => `"${name}"`).join(', ')} ${unknown.length > 1 ? 'are not configured identity providers' : 'is not a configured identity provider'}${scope.configured.length > 0 ? ` (configured: ${scope.configured.join(', ')})` : ''}` };
      }
    } else {
      for (const [position, id] of list.ids.entries()) {
        const legacy = qualifiedLegacyId(id, scope.configured);
        if (legacy) {
          return { problem: `${at}.ids[${position}]: "${id}" is the old provider-qualified form, which is no longer accepted; write {"provider": "${legacy.provider}", "ids": ["${legacy.id}"]}` };
        }
      }
      if (scope.defaults === undefined) {
        return { problem: `${at}: ${ambiguity(scope)}; say whose they are, e.g. {"provider": "${scope.configured[0] ?? 'corp'}", "ids": [...]}, or set policy.defaultProviders` };
      }
      providers = scope.defaults;
    }
    for (const provider of providers) sections.push({ provider, ids: list.ids, emails: list.emails, groups: list.groups });
  }
  return { people: normalizePeople(sections) };
}

/**
 * Whether the person is on the list: only the section of the person's own provider is looked at,
 * by id, e-mail address or group.
 */
export function listed(people: People, identity: Identity): boolean {
  for (const section of people) {
    if (section.provider !== identity.provider) continue;
    if (section.ids.includes(identity.id)) return true;
    const email = identity.emailVerified === true ? identity.email?.toLowerCase() : undefined;
    if (email !== undefined && section.emails.includes(email)) return true;
    if (section.groups.length > 0 && identity.groups.length > 0) {
      const groups = new Set(identity.groups.map((group) => group.toLowerCase()));
      if (section.groups.some((group) => groups.has(group.toLowerCase()))) return true;
    }
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
