import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

/**
 * Operators' regular expressions (`policy.rules[].when.claims[].regex`) run against claims that the
 * person controls. JavaScript's RegExp backtracks: `^(a+)+$` against 28 `a` and a `!` blocks the
 * event loop for seconds. Rule patterns therefore run on RE2JS, the pure-JavaScript port of RE2,
 * whose matching time is linear in the input (no backtracking, nothing native). RE2 syntax is
 * Perl's without what needs backtracking: backreferences (`\1`) and lookaround (`(?=`, `(?!`,
 * `(?<=`, `(?<!`) are refused when the configuration is loaded, with a message that says so.
 */

/**
 * RE2JS loads with the first rule pattern: most configurations have none, and importing it costs
 * start-up time (about 10 ms of CPU) whatever the configuration.
 */
let re2js: typeof RE2JSClass | undefined;
function engine(): typeof RE2JSClass {
  re2js ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
  return re2js;
}

export interface RulePattern {
  /** True when the pattern matches somewhere in `text` (RegExp.test semantics). */
  test(text: string): boolean;
}

/** Compiles a rule pattern, or throws an Error whose message explains what RE2 refuses. */
export function compileRulePattern(source: string, ignoreCase: boolean): RulePattern {
  const RE2JS = engine();
  let compiled: RE2JSClass;
  try {
    compiled = RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
    throw new Error(
      `${reason}; rule patterns use RE2 syntax (linear time, safe against hostile claims): no backreferences, no lookahead or lookbehind`,
    );
  }
  return { test: (text) => compiled.test(text) };
}

/** The reason a pattern is refused, or undefined when it compiles (for configuration checks). */
export function rulePatternProblem(source: string, ignoreCase: boolean): string | undefined {
  try {
    compileRulePattern(source, ignoreCase);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
