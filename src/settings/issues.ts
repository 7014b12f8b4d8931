/** One problem in the configuration: where, what is wrong, how to fix it. */
export interface ConfigIssue {
  path: string;
  problem: string;
  fix?: string;
}
