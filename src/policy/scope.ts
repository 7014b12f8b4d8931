import type { ConfigIssue } from '../settings/issues.js';
import type { PolicyConfig } from './settings.js';

/**
 * Whose ids, e-mail addresses, groups and claims a bare value in a rule or a registry entry means.
 * A value written without a provider belongs to the providers the rule or entry names, else to
 * `policy.defaultProviders`, else to the only configured provider. With several providers and no
 * default that is ambiguous: check-config refuses such rules, the API refuses such entries.
 */
export interface ProviderScope {
  /** Every configured provider name. */
  readonly configured: readonly string[];
  /** Providers a bare value belongs to; undefined when that is ambiguous. */
  readonly defaults: readonly string[] | undefined;
}

/** What the policy reads of the configuration: its own settings and the configured providers (by name). */
export interface PolicySettings {
  policy: PolicyConfig;
  providers: Readonly<Record<string, unknown>>;
}

export function providerScope(config: PolicySettings): ProviderScope {
  const configured = Object.keys(config.providers);
  const explicit = config.policy.defaultProviders;
  const defaults = explicit ?? (configured.length === 1 ? configured : undefined);
  return { configured, defaults };
}

/** Why bare values are ambiguous here, with the fix; one sentence for errors and check-config. */
export function ambiguity(scope: ProviderScope): string {
  if (scope.configured.length === 0) return 'no identity provider is configured, so these ids, e-mail addresses and groups would belong to nobody';
  return `several identity providers are configured (${scope.configured.join(', ')}) and policy.defaultProviders is not set, so it is not clear whose ids, e-mail addresses and groups these are`;
}

/** Configuration problems of the provider scope, for checkConfig (so check-config and start-up say them). */
export function providerScopeIssues(config: PolicySettings): ConfigIssue[] {
  const scope = providerScope(config);
  const issues: ConfigIssue[] = [];
  const configured = scope.configured;
  for (const name of config.policy.defaultProviders ?? []) {
    if (!configured.includes(name)) {
      issues.push({ path: 'policy.defaultProviders', problem: `names "${name}", which is not a configured identity provider`, fix: configured.length > 0 ? `use one of ${configured.join(', ')}` : 'configure the provider under providers:' });
    }
  }
  if (scope.defaults !== undefined || configured.length < 2) return issues;
  config.policy.rules.forEach((rule, index) => {
    const { when } = rule;
    if (when.provider !== undefined) return;
    const conditions = (['groups', 'emailDomain', 'claims'] as const).filter((condition) => when[condition] !== undefined);
    if (conditions.length === 0) return;
    issues.push({
      path: `policy.rules[${index}]${rule.name ? ` "${rule.name}"` : ''}`,
      problem: `matches on ${conditions.join(', ')} without when.provider, and ${ambiguity(scope)} (a group or address asserted by one provider would count for all)`,
      fix: `add when.provider naming whose ${conditions.join('/')} these are (e.g. provider: ${configured[0]}), or set policy.defaultProviders`,
    });
  });
  return issues;
}
