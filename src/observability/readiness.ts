/**
 * Readiness: whether this replica can serve its core traffic (tokens, logins, published keys).
 * Only three things decide it:
 * - `store`: the state store answers (logins, sessions, the API need it; the published keys do not);
 * - `keys`: every target can sign;
 * - `shutdown`: the process is not draining after SIGTERM.
 * Identity providers are NOT readiness checks: one unreachable IdP makes its own sign-in answer
 * "unavailable", it does not take the replica (or, in sidecar mode, the Jitsi pod) out of service.
 * `?exclude=<name>` drops a check (repeatable, as in the Kubernetes API server): the sidecar probes
 * `/readyz?exclude=store`, so a Redis blip never takes the Jitsi web pod out of its Service.
 */
export const READINESS_CHECKS = ['store', 'keys', 'shutdown'] as const;

/** A named readiness check for /readyz. Resolves with ok=false (or rejects) when not ready. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

export interface CheckResult {
  name: string;
  /** Absent for an excluded check: it is not run. */
  ok?: boolean;
  detail?: string;
  /** Left out (?exclude=): not run, not part of the verdict. */
  excluded?: true;
}

export interface ReadinessReport {
  ready: boolean;
  checks: CheckResult[];
}

/** Thrown for an ?exclude= naming no check: a typo in a probe must not pass silently. */
export class UnknownCheckError extends Error {
  override readonly name = 'UnknownCheckError';
  constructor(readonly unknown: string[], readonly known: string[]) {
    super(`unknown readiness check ${unknown.map((name) => JSON.stringify(name)).join(', ')}; the checks are ${known.join(', ')}`);
  }
}

/** The ?exclude= values (repeatable; a comma-separated list is accepted too). */
export function excludedChecks(query: Record<string, string | string[] | undefined>): string[] {
  const raw = query.exclude;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

/** Runs every check (each bounded by `timeoutMs`) and decides, leaving out the excluded ones. */
export async function evaluateReadiness(checks: readonly ReadinessCheck[], exclude: readonly string[], timeoutMs = 2000): Promise<ReadinessReport> {
  const known = checks.map((check) => check.name);
  const unknown = exclude.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new UnknownCheckError(unknown, known);
  const results = await Promise.all(
    checks.map(async ({ name, check }): Promise<CheckResult> => {
      if (exclude.includes(name)) return { name, excluded: true };
      try {
        const result = await withTimeout(check(), timeoutMs);
        return { name, ok: result.ok, ...(result.detail ? { detail: result.detail } : {}) };
      } catch (error) {
        return { name, ok: false, detail: error instanceof Error ? error.message : 'failed' };
      }
    }),
  );
  return { ready: results.every((result) => result.ok === true || result.excluded === true), checks: results };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
