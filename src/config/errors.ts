import type { ConfigIssue } from '../settings/issues.js';

/** Every problem found at once, so an operator fixes the config in one round. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: ConfigIssue[],
    readonly source: string,
  ) {
    super(formatIssues(issues, source));
  }
}

export function formatIssues(issues: ConfigIssue[], source: string): string {
  const lines = issues.map((issue) => {
    const fix = issue.fix ? `\n      fix: ${issue.fix}` : '';
    return `  - ${issue.path || '(top level)'}: ${issue.problem}${fix}`;
  });
  return `invalid configuration (${source}), ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}
