import { median, type BenchResult } from './types.js';

/** Work done in one slice of time: wall-clock time, and CPU time of this process. */
export interface Sample {
  ops: number;
  wallMs: number;
  cpuMs: number;
  /** Each request's latency, ms (HTTP slices that asked for them). */
  latencies?: number[];
  /** In a round's totals: the p99 of each slice that had latencies. */
  sliceP99s?: number[];
}

/** Which time rates are computed against. */
export type Clock = 'cpu' | 'wall';

/** User + system CPU time of this process, in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Measures for about `ms` milliseconds. */
export type Slice = (ms: number) => Sample | Promise<Sample>;

/** Keeps results alive so the JIT cannot drop the measured work. */
let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}
export function sinkValue(): unknown {
  return sink;
}

/**
 * Runs `fn` for about `ms` milliseconds. The clock is read once per batch so that reading it
 * costs the same small share for fast and slow operations.
 */
export function runFor(fn: () => unknown, ms: number, batch = 1): Sample {
  let ops = 0;
  let last: unknown;
  const cpuStart = cpuMs();
  const start = performance.now();
  const deadline = start + ms;
  let now = start;
  do {
    for (let i = 0; i < batch; i += 1) last = fn();
    ops += batch;
    now = performance.now();
  } while (now < deadline);
  const cpu = cpuMs() - cpuStart;
  consume(last);
  return { ops, wallMs: now - start, cpuMs: cpu };
}

/** A batch size that reads the clock about every 0.1 ms (after warming the function up). */
export function calibrate(fn: () => unknown, warmupMs: number): number {
  const { ops, wallMs } = runFor(fn, warmupMs, 1);
  return Math.max(1, Math.min(1024, Math.round(ops / wallMs / 10)));
}

const rate = (sample: Sample, clock: Clock) => (sample.ops * 1000) / (clock === 'cpu' ? sample.cpuMs : sample.wallMs);

function add(total: Sample, sample: Sample): void {
  total.ops += sample.ops;
  total.wallMs += sample.wallMs;
  total.cpuMs += sample.cpuMs;
  if (sample.latencies) {
    for (const latency of sample.latencies) (total.latencies ??= []).push(latency);
    (total.sliceP99s ??= []).push(p99(sample));
  }
}

/** The 99th percentile of a sample's latencies, ms (NaN without any). */
export function p99(sample: Sample): number {
  const sorted = [...(sample.latencies ?? [])].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number);
}

/**
 * A server process's CPU clock, read so that its slices tile it: the first read of each pair (a
 * slice's start) returns the end of the previous slice, so a slice is charged everything the
 * server did since its previous slice ended, including the work it deferred while the other sides
 * ran (V8's idle-time and concurrent GC, sweeping, timers). Without this, short interleaved slices
 * under-charge a process that leaves work for later. Expects reads in start/end pairs (what
 * LoadGenerator.measure and the login driver do).
 */
export function tiledCpu(read: () => Promise<number>): () => Promise<number> {
  let lastEnd: number | undefined;
  let reads = 0;
  return async () => {
    const now = await read();
    const isStart = reads % 2 === 0;
    reads += 1;
    if (isStart) return lastEnd ?? now;
    lastEnd = now;
    return now;
  };
}

/**
 * The median over a round's slices of each slice's p99: on a loaded machine one slice in which a
 * process was descheduled for 100 ms decides the pooled p99 of a round, not the typical tail.
 */
export const sliceP99 = (sample: Sample): number => median(sample.sliceP99s ?? []);

/** CPU ms per operation of a sample (the server's CPU, where the slice reports a server's). */
export const cpuPerOp = (sample: Sample): number => sample.cpuMs / sample.ops;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface InterleaveOptions {
  /** Rounds (≥ 5); the result is the median over rounds. */
  rounds: number;
  /** Time per side per round, in ms. */
  roundMs: number;
  /** A round alternates the sides in slices this long, so all see the same noise. */
  sliceMs: number;
  /**
   * 'cpu' (npm run bench's default): operations per CPU-second of this process — what the code costs, immune to
   * time slices lost to other processes on a shared machine. 'wall': operations per second.
   */
  clock: Clock;
}

/**
 * The one interleaving loop of the bench: each round runs every side in short slices, the order
 * rotated from slice to slice (A B C, B C A, C A B, then backwards A C B, B A C, C B A, …; for two
 * sides A B, B A, …) until each has
 * run `roundMs`, so that load from neighbours, thermal drift and GC debt hit all sides alike.
 * Returns each side's totals per round: `[side][round]`.
 */
export async function interleaveSides(
  sides: readonly Slice[],
  options: Omit<InterleaveOptions, 'clock'> & { afterRound?: (round: number) => Promise<void> },
): Promise<Sample[][]> {
  const perSide: Sample[][] = sides.map(() => []);
  const slices = Math.max(1, Math.round(options.roundMs / options.sliceMs));
  for (let round = 0; round < options.rounds; round += 1) {
    const totals: Sample[] = sides.map(() => ({ ops: 0, wallMs: 0, cpuMs: 0 }));
    for (let slice = 0; slice < slices; slice += 1) {
      // The cycle is rotated from slice to slice and, every n slices, run backwards, so that no
      // side always follows the same one (with a fixed cycle A F B K, A always ran right after K
      // and B after F, and the p99 of two identical gateways differed by 4×: the previous side's
      // deferred GC runs while the next one is measured). For two sides: A B, B A, A B, …
      const k = round + slice;
      const offset = k % sides.length;
      const backwards = Math.floor(k / sides.length) % 2 === 1;
      for (let step = 0; step < sides.length; step += 1) {
        const index = backwards ? (offset - step + sides.length) % sides.length : (offset + step) % sides.length;
        add(totals[index] as Sample, await (sides[index] as Slice)(options.sliceMs));
        await yieldToLoop();
      }
    }
    totals.forEach((total, index) => perSide[index]?.push(total));
    await options.afterRound?.(round);
  }
  return perSide;
}

/** Per-round figures of two sides and their per-round ratios a ÷ b. */
export function perRound(a: readonly Sample[], b: readonly Sample[], figure: (sample: Sample) => number): { a: number[]; b: number[]; ratios: number[] } {
  const av = a.map(figure);
  const bv = b.map(figure);
  return { a: av, b: bv, ratios: av.map((value, round) => value / (bv[round] as number)) };
}

/** Operations per second of `clock` in a sample. */
export const rateOf = (clock: Clock) => (sample: Sample): number => rate(sample, clock);

/**
 * Interleaved measurement of a subject against its baseline (interleaveSides with two sides).
 * Reports the median rates and the median of the per-round ratios.
 */
export async function interleave(subject: Slice, baseline: Slice, options: InterleaveOptions): Promise<BenchResult> {
  const [a = [], b = []] = await interleaveSides([subject, baseline], options);
  const { a: ops, b: baselineOps, ratios } = perRound(a, b, rateOf(options.clock));
  return { ops: median(ops), baselineOps: median(baselineOps), ratio: median(ratios), samples: { ops, baselineOps, ratios } };
}

export interface WarmUpOptions {
  /** Length of one warm-up slice, ms. */
  sliceMs: number;
  /** Settled when two consecutive slices' figures differ by less than this share (0.03). */
  tolerance?: number;
  /** At least this many slices per side (the first ones after start are the JIT's). */
  minSlices?: number;
  /** At most this many slices per side, settled or not. */
  maxSlices: number;
}

export interface WarmedUp {
  /** Per side: the figure of each warm-up slice, in order. */
  trace: number[][];
  /** Per side: whether it settled before the cap. */
  settled: boolean[];
}

/**
 * Warm-up until the figure has stopped falling: slices of every side (interleaved, a side leaving
 * once settled) until two consecutive slices of a side differ by less than `tolerance` and that
 * pair is no new low (more than `tolerance` under every earlier slice: on a noisy machine two
 * slices can agree by chance while the JIT is still at work), at least `minSlices` and at most
 * `maxSlices` per side. The figure is what the rounds will compare, e.g. server CPU per request or
 * per login: it falls while the JIT compiles and the heap grows.
 */
export async function warmUpSides(sides: readonly Slice[], figure: (sample: Sample) => number, options: WarmUpOptions): Promise<WarmedUp> {
  const tolerance = options.tolerance ?? 0.03;
  const minSlices = Math.max(2, options.minSlices ?? 3);
  const trace: number[][] = sides.map(() => []);
  const settled = sides.map(() => false);
  for (let slice = 0; slice < Math.max(minSlices, options.maxSlices) && settled.includes(false); slice += 1) {
    for (let index = 0; index < sides.length; index += 1) {
      if (settled[index]) continue;
      const values = trace[index] as number[];
      values.push(figure(await (sides[index] as Slice)(options.sliceMs)));
      await yieldToLoop();
      const [previous, last] = values.slice(-2) as [number, number];
      const earlierLow = Math.min(...values.slice(0, -2));
      const agree = Math.abs(last - previous) < tolerance * previous;
      const noNewLow = Math.min(previous, last) >= (1 - tolerance) * earlierLow;
      if (values.length >= minSlices && agree && noNewLow) settled[index] = true;
    }
  }
  return { trace, settled };
}

/** One line about a warm-up, for notes: slices per side and the last figures. */
export function warmUpNote(names: readonly string[], warmed: WarmedUp, format: (value: number) => string): string {
  return names
    .map((name, index) => {
      const values = warmed.trace[index] ?? [];
      const shown = values.length > 4 ? `${format(values[0] as number)} … ${values.slice(-3).map(format).join('→')}` : values.map(format).join('→');
      return `${name} ${values.length} slice(s)${warmed.settled[index] ? '' : ' (cap, not settled)'} ${shown}`;
    })
    .join('; ');
}

/** Two synchronous operations compared: warm-up and calibration, then interleaved rounds. */
export async function compareSync(
  subject: () => unknown,
  baseline: () => unknown,
  { rounds, roundMs, clock }: { rounds: number; roundMs: number; clock: Clock },
): Promise<BenchResult> {
  const subjectBatch = calibrate(subject, 200);
  const baselineBatch = calibrate(baseline, 200);
  return interleave(
    (ms) => runFor(subject, ms, subjectBatch),
    (ms) => runFor(baseline, ms, baselineBatch),
    { rounds, roundMs, sliceMs: 25, clock },
  );
}

/** One slice of scripted logins: through the gateway ('gateway') or the IdP's part alone ('direct'). */
export type RoundTripJob = (mode: 'gateway' | 'direct', ms: number) => Promise<{ ok: number; elapsedMs: number; cpuMs: number }>;

/**
 * Login round trips through the gateway against the IdP's part alone, after a warm-up (the JIT
 * must have settled before CPU per login means anything: warmUpSides on the gateway's CPU per
 * login, 2 s slices, at most `maxWarmUpMs`), interleaved by wall clock. Also returns the gateway's
 * CPU per login over the measured slices (the job's cpuMs is the gateway process's).
 */
export async function interleaveLogins(job: RoundTripJob, maxWarmUpMs: number, roundMs: number, rounds: number): Promise<{ result: BenchResult; cpuMsPerLogin: number; warmUp: string }> {
  const slice =
    (mode: 'gateway' | 'direct') =>
    async (ms: number): Promise<Sample> => {
      const result = await job(mode, ms);
      return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: result.cpuMs };
    };
  await slice('direct')(1000);
  const warmed = await warmUpSides([slice('gateway')], cpuPerOp, { sliceMs: 2000, maxSlices: Math.max(2, Math.round(maxWarmUpMs / 2000)) });
  const [gateway = [], direct = []] = await interleaveSides([slice('gateway'), slice('direct')], { rounds, roundMs: Math.max(roundMs, 1000), sliceMs: 500 });
  const { a: ops, b: baselineOps, ratios } = perRound(gateway, direct, rateOf('wall'));
  const cpu = gateway.reduce((total, sample) => total + sample.cpuMs, 0);
  const logins = gateway.reduce((total, sample) => total + sample.ops, 0);
  return {
    result: { ops: median(ops), baselineOps: median(baselineOps), ratio: median(ratios), samples: { ops, baselineOps, ratios } },
    cpuMsPerLogin: cpu / logins,
    warmUp: warmUpNote(['gateway'], warmed, (value) => `${value.toFixed(3)} ms`),
  };
}
