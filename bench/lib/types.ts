/**
 * The benchmark case contract. Every file in bench/cases/ default-exports one BenchCase (or an
 * array of them); bench/run.ts discovers them by file name order, so a new case is a new file.
 * Figures are always a ratio to a baseline measured in the same run, interleaved round by round,
 * because absolute numbers on shared machines mean little.
 */
export interface BenchOptions {
  /** Measured rounds per side (median taken); at least 5. */
  rounds: number;
  /** Length of one CPU-bound round, in ms. */
  roundMs: number;
  /** Length of one HTTP round, in ms. */
  httpRoundMs: number;
  /** Concurrent keep-alive connections of the HTTP load generator. */
  connections: number;
  /**
   * 'cpu': rates per CPU-second of the code under test (this process: minting, or the HTTP
   * server while the load generator child drives it; or a server's own process, see
   * bench/lib/server-process.ts); 'wall': per second of wall-clock time.
   */
  clock: 'cpu' | 'wall';
}

export interface BenchResult {
  /** Median operations per second of the thing under test. */
  ops: number;
  /** Median operations per second of the baseline, measured in the same rounds. */
  baselineOps: number;
  /**
   * Median of the per-round ratios (each round measures both sides within the same few hundred
   * ms); more robust on a noisy machine than ops / baselineOps. Defaults to ops / baselineOps.
   */
  ratio?: number;
  /** Per-round samples, for --json and for judging the noise. */
  samples?: { ops: number[]; baselineOps: number[]; ratios?: number[] };
  /** Anything worth printing under the table (e.g. bytes per op). */
  note?: string;
  /**
   * The table rows of this case, when it has more than one figure to compare or one that is not
   * "ops per second, higher is better" (CPU per login, p99, Redis commands, RSS). When given, these
   * are the case's rows and ops/baselineOps/ratio above are kept for --json only.
   */
  rows?: BenchRow[];
}

/**
 * One line of the table: a figure of the gateway against the same figure of a floor doing the
 * same work, both measured in the same rounds, and (where the case runs one) the control: a
 * second, identical gateway process measured in the same rounds, so the noise is in view.
 */
export interface BenchRow {
  /** What is measured, as the table names it. */
  path: string;
  /** Unit of the gateway and floor columns (e.g. "req/CPU-s", "ms", "MB", "commands"). */
  unit: string;
  /** The gateway's figure (median over the rounds). */
  gateway: number;
  /** The floor's figure (median over the rounds). */
  floor: number;
  /** What the floor is, a few words (e.g. "node:http floor"). */
  floorName?: string;
  /** Per-round ratios gateway ÷ floor; the table prints their median (min–max). */
  ratios: number[];
  /** Per-round ratios of the control: a second identical gateway ÷ the gateway. */
  control?: number[];
  /** The target; absent: reported only. */
  target?: number;
  /** 'higher' (default): the ratio must reach the target (≥); 'lower': stay at or under it (≤). */
  better?: 'higher' | 'lower';
  /** 'ratio' (default): the target is on the ratio; 'gateway': on the gateway's own figure (Redis commands per login ≤ 4). */
  targetOn?: 'ratio' | 'gateway';
  /** Not one of the targets: printed below the target rows. */
  secondary?: boolean;
  /** Printed under the table. */
  note?: string;
}

export interface BenchCase {
  name: string;
  /** What is measured against what, one line. */
  description: string;
  /** Expected ratio ops / baselineOps (a minimum, or a maximum when `better` is 'lower'). */
  target: number;
  /** 'higher' (default) or 'lower' is better; for cases without `rows`. */
  better?: 'higher' | 'lower';
  /** Row label in the table (default: the name). */
  path?: string;
  /** Unit of the ops columns for cases without `rows` (default "ops/CPU-s", or "ops/s" with --wall). */
  unit?: string;
  /** Not one of the targets: printed below the target rows. */
  secondary?: boolean;
  run(options: BenchOptions): Promise<BenchResult>;
}

/** Smallest and largest value (NaN for none). */
export function range(values: readonly number[]): { min: number; max: number } {
  return values.length === 0 ? { min: Number.NaN, max: Number.NaN } : { min: Math.min(...values), max: Math.max(...values) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
