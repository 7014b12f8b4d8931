import { GatewayError } from '../errors/gateway-error.js';
import type { IdentityProvider, ProviderMember } from '../idp/provider.js';
import { cookieOptions, serializeCookie } from '../session/cookies.js';
import { DONE, need, page, type Step } from './flow.js';
import type { EntryFlow } from './entry.js';

/**
 * Discovery: a provider that fronts several IdPs (IdentityProvider.members, a SAML federation)
 * needs the person's institution before the login starts. The login URL may name it (`entityID`,
 * so a portal can skip this page; it must be a member, compared exactly); otherwise the person
 * searches by name or domain on a plain GET form, which works without script, by keyboard and with
 * a screen reader. The last choice is remembered in a cookie per provider and offered first.
 *
 * What the person picked is only a choice: the provider binds it to the login transaction and
 * accepts an answer from that member alone.
 */

/** Results shown at most; more: the person refines the search. */
export const MAX_RESULTS = 25;
/** Up to this many members, the page lists all of them without a search. */
export const LIST_ALL_UP_TO = 25;
const LAST_CHOICE_DAYS = 365;

export const lastChoiceCookie = (provider: string) => `jsg_idp_${provider}`;

const fold = (value: string) =>
  value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

/** Members matching every word of the search in their names or domains (an e-mail matches its domain). */
export function searchMembers(members: ReadonlyMap<string, ProviderMember>, search: string): ProviderMember[] {
  const words = fold(search)
    .split(/\s+/)
    .map((word) => (word.includes('@') ? word.slice(word.lastIndexOf('@') + 1) : word))
    .filter((word) => word !== '');
  if (words.length === 0) return [];
  const found: ProviderMember[] = [];
  for (const [member, text] of searchable(members)) {
    if (words.every((word) => text.includes(word))) found.push(member);
  }
  return found.sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/** Each member with its folded search text, computed once per member list (a federation: thousands). */
const searchTexts = new WeakMap<ReadonlyMap<string, ProviderMember>, Array<[ProviderMember, string]>>();

function searchable(members: ReadonlyMap<string, ProviderMember>): Array<[ProviderMember, string]> {
  let texts = searchTexts.get(members);
  if (!texts) {
    texts = [...members.values()].map((member) => [member, fold([member.displayName, ...member.aliases, ...member.domains, hostOf(member.id)].join(' '))]);
    searchTexts.set(members, texts);
  }
  return texts;
}

function hostOf(id: string): string {
  try {
    return new URL(id).hostname;
  } catch {
    return '';
  }
}

function readLastChoice(flow: EntryFlow, provider: string, members: ReadonlyMap<string, ProviderMember>): ProviderMember | undefined {
  const raw = flow.http.cookies.get(lastChoiceCookie(provider));
  if (raw === undefined) return undefined;
  try {
    return members.get(decodeURIComponent(raw));
  } catch {
    return undefined;
  }
}

/** After the provider is chosen: for a provider with members, which one (hint, else the discovery page). */
function unknownMember(provider: { name: string; displayName: string }, hint: string): GatewayError {
  return new GatewayError('invalid_request', `The sign-in link names an institution that ${provider.displayName} does not know. Choose your institution from the list instead.`, {
    detail: { provider: provider.name, reason: 'entityID hint is not a member', entityID: hint.slice(0, 200) },
    level: 'warn',
  });
}

export const chooseMember: Step<EntryFlow> = function chooseMember(flow) {
  const request = need(flow.request, 'request');
  const provider = need(flow.provider, 'provider');
  const members = provider.members?.();
  if (!members && provider.findMember) {
    // Members that cannot be listed (MDQ): the login URL must name one.
    if (request.member === undefined) {
      throw new GatewayError('invalid_request', `Sign-in with ${provider.displayName} starts from your institution's portal: open the meeting link from there, or ask your administrator for the sign-in link of your institution.`, {
        detail: { provider: provider.name, reason: 'no entityID hint for a provider without a member list' },
        level: 'info',
      });
    }
    // The only step of this one that waits (runSteps awaits only a promise).
    return findMember(flow, provider, provider.findMember.bind(provider), request.member);
  }
  // No members: a provider that is one IdP, or a federation whose list is not loaded (startLogin then says so).
  if (!members) return;
  if (request.member !== undefined) {
    const member = members.get(request.member);
    if (!member) throw unknownMember(provider, request.member);
    flow.member = member.id;
    flow.out.cookies.push(serializeCookie(lastChoiceCookie(provider.name), encodeURIComponent(member.id), LAST_CHOICE_DAYS * 86400, cookieOptions(flow.services)));
    return;
  }
  const base = flow.entryPath ?? `${flow.services.basePath}/login`;
  const link = (member: ProviderMember) => {
    const query = new URLSearchParams(flow.http.query);
    query.delete('q');
    query.set('provider', provider.name);
    query.set('entityID', member.id);
    return { id: member.id, displayName: member.displayName, domains: member.domains.slice(0, 3), url: `${base}?${query.toString()}` };
  };
  const search = request.search?.trim() ?? '';
  const found = search !== '' ? searchMembers(members, search) : members.size <= LIST_ALL_UP_TO ? [...members.values()].sort((a, b) => a.displayName.localeCompare(b.displayName)) : [];
  const hidden: Array<[string, string]> = [];
  for (const [name, value] of flow.http.query) if (name !== 'q' && name !== 'entityID' && name !== 'provider') hidden.push([name, value]);
  hidden.push(['provider', provider.name]);
  const last = readLastChoice(flow, provider.name, members);
  flow.out.outcome = page(
    flow.services.pages.discoveryPage({
      federation: provider.displayName,
      action: base,
      hidden,
      search,
      results: found.slice(0, MAX_RESULTS).map(link),
      more: Math.max(0, found.length - MAX_RESULTS),
      searched: search !== '',
      lastChoice: last ? link(last) : undefined,
      acceptLanguage: flow.http.acceptLanguage,
    }),
  );
  return DONE;
};

/** An MDQ lookup of the member the login URL names. */
async function findMember(flow: EntryFlow, provider: IdentityProvider, find: (id: string) => Promise<ProviderMember | undefined>, id: string): Promise<void> {
  const member = await find(id);
  if (!member) throw unknownMember(provider, id);
  flow.member = member.id;
  flow.out.cookies.push(serializeCookie(lastChoiceCookie(provider.name), encodeURIComponent(member.id), LAST_CHOICE_DAYS * 86400, cookieOptions(flow.services)));
}
