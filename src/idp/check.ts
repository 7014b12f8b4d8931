/**
 * `providers check`: what an operator learns about an identity provider before sending people to
 * it. Each kind runs its own checks (src/idp/oidc/check.ts, src/idp/cas/check.ts) and reports
 * them in this one shape; the CLI prints them.
 */
export interface CheckResult {
  /** What was checked, e.g. "discovery", "client authentication". */
  check: string;
  status: 'ok' | 'warn' | 'fail';
  /** What was found. */
  detail: string;
  /** What to change when it is not ok. */
  fix?: string;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
export const warn = (check: string, detail: string, fix?: string): CheckResult => (fix ? { check, status: 'warn', detail, fix } : { check, status: 'warn', detail });
export const fail = (check: string, detail: string, fix?: string): CheckResult => (fix ? { check, status: 'fail', detail, fix } : { check, status: 'fail', detail });

/** The gateway's URLs an IdP must know for provider `name` (also printed by check-config). */
export function providerUrls(publicUrl: string, name: string) {
  return {
    callback: `${publicUrl}/auth/${name}/callback`,
    postLogout: `${publicUrl}/logout/done`,
    backchannelLogout: `${publicUrl}/auth/${name}/backchannel-logout`,
  };
}

/** An error as one line: the message and, for network failures, the cause (ECONNREFUSED, …). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code ? `${error.message} (${code})` : error.message;
}
