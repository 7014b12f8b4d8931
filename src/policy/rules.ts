import type { AllowConfig, ClaimMatcherConfig, OutcomeConfig, PolicyConfig, RuleConfig, WhenConfig } from './settings.js';
import type { Identity } from '../identity/identity.js';
import type { RoomLocation } from '../tokens/target.js';
import { compileGlob, normalizeRoomForGlob, type RoomGlob } from './glob.js';
import { compileRulePattern } from './pattern.js';
import type { Decision } from './policy.js';
import type { ProviderScope } from './scope.js';

/**
 * The rule engine: rules compiled once at start-up (globs, regular expressions, lowercase sets),
 * evaluated in order, first match wins. Pure: no store, no clock, no I/O.
 */

/** A request as the matchers see it: everything normalised once per decision. */
export interface Subject {
  provider: string;
  target: string;
  /** The tenant, or "-" for a room without one. */
  tenant: string;
  /** Normalised room name (decoded roomSafe). */
  room: string;
  /** Lowercase group names. */
  groups: ReadonlySet<string>;
  /** Lowercase domain of the email address, when there is one. */
  emailDomain: string | undefined;
  claims: Readonly<Record<string, unknown>>;
}

export function toSubject(identity: Identity, location: RoomLocation): Subject {
  // Only an address the provider vouches for says anything about the person.
  const email = identity.emailVerified === true ? identity.email?.toLowerCase() : undefined;
  const at = email?.lastIndexOf('@') ?? -1;
  return {
    provider: identity.provider,
    target: location.target,
    tenant: location.tenant ?? '-',
    room: normalizeRoomForGlob(location.room),
    groups: new Set(identity.groups.map((group) => group.toLowerCase())),
    emailDomain: email !== undefined && at > 0 ? email.slice(at + 1) : undefined,
    claims: identity.claims,
  };
}

type Matcher = (subject: Subject) => boolean;

export interface CompiledRule {
  /** Position in policy.rules, from 1. */
  position: number;
  /** The configured name, or "#<position>". */
  name: string;
  config: RuleConfig;
  globs: RoomGlob[];
  /** Every condition in `when`; an empty list matches everything (a catch-all). */
  matchers: Matcher[];
  decision: Decision;
}

export interface CompiledPolicy {
  rules: CompiledRule[];
  defaultDecision: Decision;
  /** First matching rule's decision, or the default. */
  evaluate(subject: Subject): Decision;
}

/** No provider configured and none named: person conditions belong to nobody. */
const NO_SCOPE: ProviderScope = { configured: [], defaults: undefined };

export function compilePolicy(config: PolicyConfig, scope: ProviderScope = NO_SCOPE): CompiledPolicy {
  const rules = config.rules.map((rule, index) => compileRule(rule, index + 1, scope));
  const defaultDecision = outcomeDecision(config.default, 'default', 'default');
  return {
    rules,
    defaultDecision,
    evaluate(subject) {
      for (const rule of rules) {
        if (rule.matchers.every((matches) => matches(subject))) return rule.decision;
      }
      return defaultDecision;
    },
  };
}

export function ruleName(rule: RuleConfig, position: number): string {
  return rule.name ?? `#${position}`;
}

function compileRule(rule: RuleConfig, position: number, scope: ProviderScope): CompiledRule {
  const name = ruleName(rule, position);
  const globs = (rule.when.room ?? []).map(compileGlob);
  const outcome: OutcomeConfig = rule.deny !== undefined ? { deny: rule.deny } : { allow: rule.allow ?? { role: 'participant' } };
  return { position, name, config: rule, globs, matchers: compileWhen(rule.when, globs, scope), decision: outcomeDecision(outcome, name, 'rule') };
}

/** Whether a rule looks at facts a provider asserts about the person (groups, e-mail, claims). */
export const hasPersonConditions = (when: WhenConfig): boolean => when.groups !== undefined || when.emailDomain !== undefined || when.claims !== undefined;

/**
 * The providers a rule applies to: the ones it names; for a rule on groups, e-mail or claims that
 * names none, the default providers (a group "admins" asserted by another provider is not ours).
 * Undefined: every provider (the rule looks only at the room).
 */
export function ruleProviders(when: WhenConfig, scope: ProviderScope): readonly string[] | undefined {
  if (when.provider) return when.provider;
  if (!hasPersonConditions(when)) return undefined;
  return scope.defaults ?? [];
}

function compileWhen(when: WhenConfig, globs: RoomGlob[], scope: ProviderScope): Matcher[] {
  const matchers: Matcher[] = [];
  const providers = ruleProviders(when, scope);
  if (providers) {
    const names = new Set(providers);
    matchers.push((subject) => names.has(subject.provider));
  }
  if (when.target) {
    const names = new Set(when.target);
    matchers.push((subject) => names.has(subject.target));
  }
  if (when.tenant) {
    const tenants = new Set(when.tenant);
    matchers.push((subject) => tenants.has(subject.tenant));
  }
  if (globs.length > 0) matchers.push((subject) => globs.some((glob) => glob.test(subject.room)));
  if (when.groups) {
    const groups = when.groups.map((group) => group.toLowerCase());
    matchers.push((subject) => groups.some((group) => subject.groups.has(group)));
  }
  if (when.emailDomain) {
    const exact = new Set(when.emailDomain.filter((domain) => !domain.startsWith('*.')));
    const suffixes = when.emailDomain.filter((domain) => domain.startsWith('*.')).map((domain) => domain.slice(1));
    matchers.push((subject) => {
      const domain = subject.emailDomain;
      if (domain === undefined) return false;
      return exact.has(domain) || suffixes.some((suffix) => domain.endsWith(suffix));
    });
  }
  for (const claim of when.claims ?? []) matchers.push(compileClaimMatcher(claim));
  return matchers;
}

/** Longest claim text a matcher looks at: bounds the work of a regular expression. */
const MAX_CLAIM_TEXT = 4096;

export function compileClaimMatcher(matcher: ClaimMatcherConfig): Matcher {
  const fold = matcher.ignoreCase ? (text: string) => text.toLowerCase() : (text: string) => text;
  let test: (values: string[], isList: boolean) => boolean;
  if (matcher.equals !== undefined) {
    const expected = fold(String(matcher.equals));
    test = (values) => values.some((value) => fold(value) === expected);
  } else if (matcher.contains !== undefined) {
    const expected = fold(matcher.contains);
    test = (values, isList) => (isList ? values.some((value) => fold(value) === expected) : values.some((value) => fold(value).includes(expected)));
  } else {
    const pattern = matcher.regex === undefined ? { test: () => false } : compileRulePattern(matcher.regex, matcher.ignoreCase === true); // linear time (RE2)
    test = (values) => values.some((value) => pattern.test(value));
  }
  return (subject) => {
    const raw = claimValue(subject.claims, matcher.claim);
    if (raw === undefined) return false;
    const isList = Array.isArray(raw);
    const values = (isList ? raw : [raw]).flatMap(scalarText);
    return values.length > 0 && test(values, isList);
  };
}

/** A claim by exact name first (names may contain dots, e.g. URIs), else by dotted path. */
export function claimValue(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let node: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function scalarText(value: unknown): string[] {
  if (typeof value === 'string') return value.length <= MAX_CLAIM_TEXT ? [value] : [];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return [];
}

export function outcomeDecision(outcome: OutcomeConfig, rule: string, source: 'rule' | 'default'): Decision {
  if ('deny' in outcome) return Object.freeze({ allow: false, message: outcome.deny, rule, source });
  return Object.freeze(allowDecision(outcome.allow, rule, source));
}

function allowDecision(allow: AllowConfig, rule: string, source: 'rule' | 'default'): Decision {
  const decision: Extract<Decision, { allow: true }> = { allow: true, role: allow.role, rule, source };
  if (allow.affiliation !== undefined) decision.affiliation = allow.affiliation;
  if (allow.features !== undefined) decision.features = Object.freeze({ ...allow.features }) as Record<string, boolean>;
  if (allow.lobbyBypass !== undefined) decision.lobbyBypass = allow.lobbyBypass;
  if (allow.ttlSeconds !== undefined) decision.ttlSeconds = allow.ttlSeconds;
  return decision;
}
