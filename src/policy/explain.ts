import type { TargetConfig } from '../tokens/settings.js';
import type { AllowConfig, ClaimMatcherConfig, OutcomeConfig, PolicyConfig, WhenConfig } from './settings.js';
import { compileGlob, globCovers } from './glob.js';
import { compilePolicy, ruleProviders, type CompiledRule } from './rules.js';
import { providerScope, type ProviderScope } from './scope.js';

/**
 * check-config's explanation of the policy in plain words, and warnings for rules that can never
 * match (shadowed by an earlier rule, naming a provider, target or tenant that is not configured).
 * Also explains what each API client may do, since that is the other way to get a moderator token.
 */
export interface PolicyExplanation {
  lines: string[];
  warnings: string[];
}

/** An API client as the explanation describes it (api.clients.<name>, src/config/api.ts). */
export interface ExplainedClient {
  secretHash?: string;
  oauth2ClientId?: string;
  operations: readonly string[];
  targets?: readonly string[];
  tenants?: readonly string[];
  rooms: readonly string[];
  mayIssueModerator: boolean;
  mayBypassLobby?: boolean;
  features?: readonly string[];
  maxTtlSeconds: number;
  rateLimitPerMinute: number;
}

/** What the explanation reads of the configuration (policy is below config: it names no Config). */
export interface ExplainConfig {
  policy: PolicyConfig;
  providers: Readonly<Record<string, unknown>>;
  targets: Readonly<Record<string, Pick<TargetConfig, 'tenants' | 'rootRooms' | 'maxTokenTtlSeconds'>>>;
  api: { clients: Readonly<Record<string, ExplainedClient>> };
}

export function explainPolicy(config: ExplainConfig): PolicyExplanation {
  const lines: string[] = [];
  const warnings: string[] = [];
  const scope = providerScope(config);
  const { rules } = compilePolicy(config.policy, scope);

  lines.push(rules.length === 0 ? 'policy: no rules; everyone who signs in is decided by policy.default' : `policy: ${rules.length} rule${rules.length === 1 ? '' : 's'}, tried in order; the first that matches decides`);
  for (const rule of rules) {
    lines.push(`  ${rule.position}. ${label(rule)}: ${describeWhen(scopedWhen(rule.config.when, scope))} → ${describeOutcome(rule.config.deny !== undefined ? { deny: rule.config.deny } : { allow: rule.config.allow ?? { role: 'participant' } })}`);
  }
  const catchAll = rules.find((rule) => rule.matchers.length === 0);
  lines.push(`  otherwise (policy.default) → ${describeOutcome(config.policy.default)}${catchAll ? ` (never used: rule ${label(catchAll)} matches every request)` : ''}`);
  lines.push('  rooms registered over the API (PUT /api/v1/rooms/…) override these rules for that room: listed moderators get moderator, listed members participant, and on members-only rooms nobody else may enter');
  lines.push('  guests with an invite link (/invite/<id>) enter with the role the invite names, without these rules');
  const hosts = config.policy.hosts;
  if (hosts) {
    const more = hosts.when.map((when) => describeWhen(scopedWhen(when, scope)));
    lines.push(
      `  hosts (policy.hosts; any token opens a room for guests waiting for a host): the room's moderators${more.length > 0 ? `, and anyone ${more.join('; or ')}` : ''}; others let in ${hosts.others === 'guest' ? 'go back to the meeting without a token, as guests' : 'are refused'}`,
    );
  }

  const dead = new Set<number>();
  for (const rule of rules) {
    for (const problem of unreachableValues(rule, config)) {
      warnings.push(`policy.rules[${rule.position - 1}] ${label(rule)} ${problem.message}`);
      if (problem.neverMatches) dead.add(rule.position);
    }
  }
  for (const [index, later] of rules.entries()) {
    if (dead.has(later.position)) continue;
    const earlier = rules.slice(0, index).find((rule) => !dead.has(rule.position) && covers(scopedWhen(rule.config.when, scope), scopedWhen(later.config.when, scope)));
    if (earlier) {
      const why = earlier.matchers.length === 0 ? `it comes after the catch-all rule ${label(earlier)}, which matches every request` : `rule ${label(earlier)} comes first and matches every request this one matches`;
      warnings.push(`policy.rules[${later.position - 1}] ${label(later)} can never match: ${why}`);
    }
  }
  const anyAllow = 'allow' in config.policy.default || rules.some((rule) => rule.config.allow !== undefined && !dead.has(rule.position));
  if (!anyAllow) warnings.push('policy: no rule allows anybody and policy.default denies: nobody can sign in to a meeting');

  const clients = Object.entries(config.api.clients);
  if (clients.length === 0) lines.push('api: no API clients; the token, room and invite API answer 401 to everyone');
  for (const [name, client] of clients) {
    lines.push(`api client ${name}: ${describeClient(client)}`);
    warnings.push(...clientWarnings(name, client, config));
  }
  return { lines, warnings };
}

/** A rule on groups, e-mail or claims that names no provider holds for the default providers only: say so. */
function scopedWhen(when: WhenConfig, scope: ProviderScope): WhenConfig {
  if (when.provider !== undefined) return when;
  const providers = ruleProviders(when, scope);
  return providers === undefined ? when : { ...when, provider: [...providers] };
}

const label = (rule: CompiledRule) => (rule.config.name ? `"${rule.config.name}"` : rule.name);
const quoteList = (values: readonly string[], or = 'or') => {
  const quoted = values.map((value) => `"${value}"`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} ${or} ${quoted.at(-1)}`;
};

export function describeWhen(when: WhenConfig): string {
  const parts: string[] = [];
  if (when.provider) parts.push(`signed in with ${quoteList(when.provider)}`);
  if (when.target) parts.push(`on target ${quoteList(when.target)}`);
  if (when.tenant) {
    const tenants = when.tenant.filter((tenant) => tenant !== '-');
    const root = when.tenant.includes('-');
    const words = [tenants.length > 0 ? `under tenant ${quoteList(tenants)}` : undefined, root ? 'in a room without tenant' : undefined].filter(Boolean);
    parts.push(words.join(' or '));
  }
  if (when.room) parts.push(`in a room ${when.room.length === 1 && !/[*?]/.test(when.room[0] ?? '') ? 'named' : 'matching'} ${quoteList(when.room)}`);
  if (when.groups) parts.push(`in group ${quoteList(when.groups)}`);
  if (when.emailDomain) {
    const domains = when.emailDomain.map((domain) => (domain.startsWith('*.') ? `any subdomain of ${domain.slice(2)}` : domain));
    parts.push(`with an email address at ${domains.join(' or ')}`);
  }
  for (const claim of when.claims ?? []) parts.push(describeClaim(claim));
  return parts.length === 0 ? 'anyone (catch-all)' : `when ${parts.join(', and ')}`;
}

function describeClaim(claim: ClaimMatcherConfig): string {
  const how = claim.equals !== undefined ? `equals "${String(claim.equals)}"` : claim.contains !== undefined ? `contains "${claim.contains}"` : `matches /${claim.regex}/`;
  return `claim "${claim.claim}" ${how}${claim.ignoreCase ? ' (ignoring case)' : ''}`;
}

export function describeOutcome(outcome: OutcomeConfig): string {
  if ('deny' in outcome) return `deny, telling the person "${outcome.deny}"`;
  return describeAllow(outcome.allow);
}

function describeAllow(allow: AllowConfig): string {
  const parts = [`allow as ${allow.role}`];
  if (allow.affiliation) parts.push(`affiliation ${allow.affiliation}`);
  const features = Object.entries(allow.features ?? {});
  if (features.length > 0) parts.push(`features ${features.map(([key, on]) => `${key} ${on ? 'on' : 'off'}`).join(', ')}`);
  if (allow.lobbyBypass !== undefined) parts.push(allow.lobbyBypass ? 'skips the lobby' : 'waits in the lobby');
  if (allow.ttlSeconds !== undefined) parts.push(`tokens live ${allow.ttlSeconds} s`);
  return parts.join('; ');
}

function describeClient(client: ExplainedClient): string {
  const auth = [client.secretHash ? `a secret (${client.secretHash.split(':')[0]} hash)` : undefined, client.oauth2ClientId ? `OAuth2 access tokens of client id "${client.oauth2ClientId}"` : undefined].filter(Boolean).join(' or ');
  const where = [
    client.targets ? `targets ${quoteList(client.targets)}` : 'every target',
    client.tenants ? `tenants ${quoteList(client.tenants.map((tenant) => (tenant === '-' ? '- (no tenant)' : tenant)))}` : 'every tenant',
    client.rooms.includes('*') ? 'every room' : `rooms matching ${quoteList(client.rooms)}`,
  ].join(', ');
  const role = client.mayIssueModerator ? 'may issue moderator tokens' : 'participant tokens only';
  const lobby = client.mayBypassLobby ?? client.mayIssueModerator ? 'may let people bypass the lobby' : 'no lobby bypass';
  const features = client.features ? (client.features.length > 0 ? `may turn on ${client.features.join(', ')}` : 'may turn on no features') : client.mayIssueModerator ? 'may turn on any feature' : 'may turn on no features';
  return `${client.operations.join(', ')} on ${where}; ${role}; ${lobby}; ${features}; tokens up to ${client.maxTtlSeconds} s; ${client.rateLimitPerMinute} requests/min; authenticates with ${auth}`;
}

interface Problem {
  message: string;
  neverMatches: boolean;
}

/** Provider, target and tenant values that no request can have. */
function unreachableValues(rule: CompiledRule, config: ExplainConfig): Problem[] {
  const problems: Problem[] = [];
  const when = rule.config.when;
  const check = (what: string, values: readonly string[] | undefined, known: (value: string) => boolean, fix: string) => {
    if (!values) return;
    const unknown = values.filter((value) => !known(value));
    if (unknown.length === 0) return;
    const never = unknown.length === values.length;
    problems.push({
      message: never ? `can never match: ${what} ${quoteList(unknown)} ${unknown.length === 1 ? 'is' : 'are'} not configured (${fix})` : `names ${what} ${quoteList(unknown)}, which ${unknown.length === 1 ? 'is' : 'are'} not configured (${fix})`,
      neverMatches: never,
    });
  };
  const providers = Object.keys(config.providers);
  check('provider', when.provider, (name) => providers.includes(name), `configured: ${providers.join(', ') || 'none'}`);
  const targets = Object.keys(config.targets);
  check('target', when.target, (name) => targets.includes(name), `configured: ${targets.join(', ') || 'none'}`);
  const ruleTargets = Object.entries(config.targets).filter(([name]) => !when.target || when.target.includes(name));
  check(
    'tenant',
    when.tenant,
    (tenant) => ruleTargets.some(([, target]) => (tenant === '-' ? target.rootRooms : target.tenants.includes(tenant))),
    `not among the tenants${when.tenant?.includes('-') ? ' or root rooms' : ''} of ${when.target ? `target ${quoteList(when.target)}` : 'any target'}`,
  );
  return problems;
}

/** Whether every request `inner` matches is also matched by `outer` (conservative). */
export function covers(outer: WhenConfig, inner: WhenConfig): boolean {
  const subset = (a: readonly string[] | undefined, b: readonly string[] | undefined, fold = (v: string) => v) => {
    if (a === undefined) return true; // outer has no condition here
    if (b === undefined) return false; // inner is broader here
    const set = new Set(a.map(fold));
    return b.every((value) => set.has(fold(value)));
  };
  if (!subset(outer.provider, inner.provider)) return false;
  if (!subset(outer.target, inner.target)) return false;
  if (!subset(outer.tenant, inner.tenant)) return false;
  if (!subset(outer.groups, inner.groups, (value) => value.toLowerCase())) return false;
  if (outer.emailDomain) {
    if (!inner.emailDomain) return false;
    const domainCovered = (domain: string) =>
      outer.emailDomain?.some((o) => o === domain || (o.startsWith('*.') && domain.endsWith(o.slice(1)))) ?? false;
    if (!inner.emailDomain.every(domainCovered)) return false;
  }
  if (outer.room) {
    if (!inner.room) return false;
    const outerGlobs = outer.room.map(compileGlob);
    if (!inner.room.map(compileGlob).every((glob) => outerGlobs.some((o) => globCovers(o, glob)))) return false;
  }
  if (outer.claims) {
    if (!inner.claims) return false;
    const key = (claim: ClaimMatcherConfig) => JSON.stringify([claim.claim, claim.equals, claim.contains, claim.regex, claim.ignoreCase]);
    const innerKeys = new Set(inner.claims.map(key));
    if (!outer.claims.every((claim) => innerKeys.has(key(claim)))) return false;
  }
  return true;
}

function clientWarnings(name: string, client: ExplainedClient, config: ExplainConfig): string[] {
  const warnings: string[] = [];
  const targets = Object.keys(config.targets);
  for (const target of client.targets ?? []) {
    if (!targets.includes(target)) warnings.push(`api.clients.${name}.targets names "${target}", which is not configured`);
  }
  const clientTargets = Object.entries(config.targets).filter(([target]) => !client.targets || client.targets.includes(target));
  for (const tenant of client.tenants ?? []) {
    const known = clientTargets.some(([, target]) => (tenant === '-' ? target.rootRooms : target.tenants.includes(tenant)));
    if (!known) warnings.push(`api.clients.${name}.tenants names "${tenant}", which none of its targets serves`);
  }
  const caps = clientTargets.map(([, target]) => target.maxTokenTtlSeconds);
  if (caps.length > 0 && client.maxTtlSeconds > Math.max(...caps)) {
    warnings.push(`api.clients.${name}.maxTtlSeconds (${client.maxTtlSeconds}) is above the targets' maxTokenTtlSeconds (${Math.max(...caps)}); the target's cap applies`);
  }
  return warnings;
}
