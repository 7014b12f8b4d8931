import type { ConfigIssue } from '../settings/issues.js';
import type { HostsConfig } from './settings.js';
import type { Decision } from './policy.js';
import { compilePolicy, hasPersonConditions, type Subject } from './rules.js';
import { ambiguity, providerScope, type PolicySettings, type ProviderScope } from './scope.js';

/**
 * Who may host a room (policy.hosts). Prosody's mod_muc_wait_for_host lets ANY token holder open a
 * room for the guests waiting in its lobby, so "may join" is not enough to get a token: the
 * person must be a moderator of the room (a rule, or the room registry), or match one of
 * policy.hosts.when (e.g. a group of teachers). Pure: compiled once, evaluated per decision.
 */
export interface HostRule {
  /** The decision with `host` set (only for allowed people). */
  apply(decision: Decision, subject: Subject): Decision;
}

export function compileHosts(config: HostsConfig, scope: ProviderScope): HostRule {
  // The conditions are a rule's `when`: compiled by the rule engine, so they match exactly alike.
  const extra = compilePolicy(
    { rules: config.when.map((when) => ({ when, allow: { role: 'participant' as const, affiliation: undefined } })), default: { deny: 'not a host' }, defaultProviders: undefined, hosts: undefined },
    scope,
  );
  return {
    apply(decision, subject) {
      if (!decision.allow) return decision;
      const host = decision.role === 'moderator' || (config.when.length > 0 && extra.evaluate(subject).allow);
      return { ...decision, host };
    },
  };
}

/** Host conditions on people must say whose people they mean when several providers are configured (for checkConfig). */
export function hostsIssues(config: PolicySettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const scope = providerScope(config);
  if (scope.defaults === undefined && scope.configured.length > 1) {
    config.policy.hosts?.when.forEach((when, index) => {
      if (when.provider === undefined && hasPersonConditions(when)) {
        issues.push({ path: `policy.hosts.when.${index}`, problem: `matches on people without provider, and ${ambiguity(scope)}`, fix: 'add provider: <name>, or set policy.defaultProviders' });
      }
    });
  }
  return issues;
}
