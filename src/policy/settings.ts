import { z } from 'zod';
import { globProblem } from './glob.js';
import { AFFILIATIONS } from '../tokens/claims.js';
import { JITSI_FEATURES } from '../tokens/features.js';
import { rulePatternProblem } from './pattern.js';

/**
 * Settings of the policy (`policy`): who may enter and who moderates (docs/policy.md). Rules are evaluated in order; the first rule
 * whose `when` holds decides; `default` decides when none does. Every condition in `when` must hold
 * (AND); a list in one condition matches when any of its values does (OR).
 */

/** A single value or a non-empty list of them; always a list after parsing. */
export const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1).max(200)]).transform((value): Array<z.output<T>> => (Array.isArray(value) ? value : [value]));

const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a configured name (lowercase letters, digits, dashes)');

/** A tenant, or "-" for rooms without a tenant (https://meet/room). */
export const tenantOrRoot = z
  .string()
  .regex(/^(-|[a-z0-9][a-z0-9._-]{0,62})$/, 'must be a lowercase tenant name, or "-" for rooms without a tenant; wildcards are not allowed');

export const roomPattern = z.string().superRefine((pattern, ctx) => {
  const problem = globProblem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: `room pattern ${problem}` });
});

const domain = z
  .string()
  .regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'must be a domain such as example.com, or *.example.com for its subdomains')
  .transform((value) => value.toLowerCase());

export const claimMatcherSchema = z
  .strictObject({
    /** Claim or attribute name; a dotted path reaches into objects (realm_access.roles). */
    claim: z.string().min(1).max(200),
    /** The claim (or one element of a list claim) equals this value. */
    equals: z.union([z.string().max(1000), z.number(), z.boolean()]).optional(),
    /** A string claim contains this text, or a list claim has this element. */
    contains: z.string().min(1).max(1000).optional(),
    /** A string claim (or one element of a list claim) matches this regular expression (RE2 syntax: linear time, no backreferences or lookaround). */
    regex: z.string().min(1).max(500).optional(),
    /** Compare without regard to case. */
    ignoreCase: z.boolean().default(false),
  })
  .superRefine((matcher, ctx) => {
    const set = [matcher.equals, matcher.contains, matcher.regex].filter((value) => value !== undefined).length;
    if (set !== 1) ctx.addIssue({ code: 'custom', message: 'needs exactly one of equals, contains or regex' });
    if (matcher.regex !== undefined) {
      const problem = rulePatternProblem(matcher.regex, matcher.ignoreCase);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['regex'], message: `is not a usable rule pattern: ${problem}` });
    }
  });
export type ClaimMatcherConfig = z.infer<typeof claimMatcherSchema>;

export const whenSchema = z.strictObject({
  /** Identity provider names (providers.<name>). */
  provider: oneOrMany(name).optional(),
  /** Jitsi target names (targets.<name>). */
  target: oneOrMany(name).optional(),
  /** Tenants; "-" is a room without a tenant. */
  tenant: oneOrMany(tenantOrRoot).optional(),
  /** Room-name globs (* and ?), matched on the normalised room name. */
  room: oneOrMany(roomPattern).optional(),
  /** Member of at least one of these groups (case-insensitive). */
  groups: oneOrMany(z.string().min(1).max(500)).optional(),
  /** Email address at one of these domains (*.example.com: any subdomain). */
  emailDomain: oneOrMany(domain).optional(),
  /** Every one of these claim conditions holds. */
  claims: z.array(claimMatcherSchema).min(1).max(50).optional(),
});
export type WhenConfig = z.infer<typeof whenSchema>;

const MODERATOR_AFFILIATIONS: ReadonlySet<string> = new Set(['owner', 'moderator', 'teacher']);

export const allowSchema = z
  .strictObject({
    role: z.enum(['moderator', 'participant']).default('participant'),
    /** context.user.affiliation (owner, moderator, teacher make a moderator in Jitsi; member does not). */
    affiliation: z.enum(AFFILIATIONS).optional(),
    /** context.features: only Jitsi's known keys. */
    features: z.partialRecord(z.enum(JITSI_FEATURES), z.boolean()).optional(),
    /** context.user.lobby_bypass. */
    lobbyBypass: z.boolean().optional(),
    /** Token lifetime for these people (still capped by the target's maxTokenTtlSeconds). */
    ttlSeconds: z.number().int().positive().max(86400).optional(),
  })
  .superRefine((allow, ctx) => {
    if (allow.affiliation === undefined) return;
    const moderatorAffiliation = MODERATOR_AFFILIATIONS.has(allow.affiliation);
    if (moderatorAffiliation && allow.role === 'participant') {
      ctx.addIssue({ code: 'custom', path: ['affiliation'], message: `"${allow.affiliation}" makes the person a moderator in Jitsi while role is participant; use role: moderator or affiliation: member` });
    }
    if (!moderatorAffiliation && allow.role === 'moderator') {
      ctx.addIssue({ code: 'custom', path: ['affiliation'], message: `"${allow.affiliation}" is not a moderator affiliation while role is moderator; use owner, moderator or teacher` });
    }
  });
export type AllowConfig = z.infer<typeof allowSchema>;

const denyMessage = z.string().trim().min(1).max(500);

export const ruleSchema = z
  .strictObject({
    /** Shown in logs and check-config; default "#<position>". */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, 'must be letters, digits, spaces, . _ - (at most 63)').optional(),
    /** Conditions; absent or empty: every request (a catch-all). */
    when: whenSchema.prefault({}),
    allow: allowSchema.optional(),
    /** Deny, with this message shown to the person. */
    deny: denyMessage.optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.allow === undefined) === (rule.deny === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one outcome: allow: {role: ...} or deny: "<message shown to the person>"' });
    }
  });
export type RuleConfig = z.infer<typeof ruleSchema>;

export const outcomeSchema = z.union([z.strictObject({ allow: allowSchema }), z.strictObject({ deny: denyMessage })]);
export type OutcomeConfig = z.infer<typeof outcomeSchema>;

/**
 * Who may HOST a room: with Prosody's mod_muc_wait_for_host, ANY token opens a room for the guests
 * waiting in its lobby, so the gateway must not hand a token to somebody who may join but should
 * not open the meeting. Set: only hosts get a token from a sign-in; the others are sent back to the
 * meeting without one (to join as a guest) or refused (docs/jitsi.md, "Guests wait for a host").
 */
export const hostsSchema = z.strictObject({
  /**
   * Besides the room's moderators (a rule or the room registry making them moderator), people
   * matching any of these conditions (same as a rule's `when`) host too.
   */
  when: z.array(whenSchema).max(50).default([]),
  /** Somebody the policy lets in who may not host: `guest` (back to the meeting, no token) or `deny`. */
  others: z.enum(['guest', 'deny']).default('guest'),
  /** What they are told when refused (others: deny, and in sign-in popups). */
  message: denyMessage.default('Only the hosts of this meeting sign in here. Join the meeting as a guest and wait for a host.'),
});
export type HostsConfig = z.infer<typeof hostsSchema>;

export const policySchema = z
  .strictObject({
    rules: z.array(ruleSchema).max(500).default([]),
    /**
     * Whose groups, e-mail addresses, claims and ids a rule or registry entry means when it names no
     * provider. Default: the only configured provider; with several, rules on people must say
     * `when.provider` (or set this) and registry entries `provider` (docs/policy.md).
     */
    defaultProviders: oneOrMany(name).optional(),
    /** When no rule matches. Default: allow as participant. */
    default: outcomeSchema.prefault({ allow: {} }),
    /** Who may host a room (wait for host); unset: everybody let in gets a token. */
    hosts: hostsSchema.optional(),
  })
  .superRefine((policy, ctx) => {
    const seen = new Map<string, number>();
    policy.rules.forEach((rule, index) => {
      if (rule.name === undefined) return;
      const earlier = seen.get(rule.name);
      if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `"${rule.name}" is also the name of rule ${earlier + 1}; names must be unique` });
      seen.set(rule.name, index);
    });
  })
  .prefault({});
export type PolicyConfig = z.infer<typeof policySchema>;
