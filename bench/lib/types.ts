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
}

export interface BenchCase {
  name: string;
  /** What is measured against what, one line. */
  description: string;
  /** Minimum expected ratio ops / baselineOps. */
  target: number;
  run(options: BenchOptions): Promise<BenchResult>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
