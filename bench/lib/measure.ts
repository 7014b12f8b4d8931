import { median, type BenchResult } from './types.js';

/** Work done in one slice of time: wall-clock time, and CPU time of this process. */
export interface Sample {
  ops: number;
  wallMs: number;
  cpuMs: number;
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
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface InterleaveOptions {
  /** Rounds (≥ 5); the result is the median over rounds. */
  rounds: number;
  /** Time per side per round, in ms. */
  roundMs: number;
  /** A round alternates subject and baseline in slices this long, so both see the same noise. */
  sliceMs: number;
  /**
   * 'cpu' (npm run bench's default): operations per CPU-second of this process — what the code costs, immune to
   * time slices lost to other processes on a shared machine. 'wall': operations per second.
   */
  clock: Clock;
}

/**
 * Interleaved measurement of a subject against its baseline. Each round alternates the two in
 * short slices (A B, B A, A B, …) until each has run `roundMs`; the round's ratio compares rates
 * measured within the same few hundred milliseconds, so load from neighbours, thermal drift and
 * GC debt hit both sides alike. Reports the median rates and the median of the per-round ratios.
 */
export async function interleave(subject: Slice, baseline: Slice, options: InterleaveOptions): Promise<BenchResult> {
  const ops: number[] = [];
  const baselineOps: number[] = [];
  const ratios: number[] = [];
  const slices = Math.max(1, Math.round(options.roundMs / options.sliceMs));
  for (let round = 0; round < options.rounds; round += 1) {
    const a: Sample = { ops: 0, wallMs: 0, cpuMs: 0 };
    const b: Sample = { ops: 0, wallMs: 0, cpuMs: 0 };
    for (let slice = 0; slice < slices; slice += 1) {
      const order = (round + slice) % 2 === 0 ? ([subject, a, baseline, b] as const) : ([baseline, b, subject, a] as const);
      const first = await order[0](options.sliceMs);
      add(order[1], first);
      await yieldToLoop();
      const second = await order[2](options.sliceMs);
      add(order[3], second);
      await yieldToLoop();
    }
    ops.push(rate(a, options.clock));
    baselineOps.push(rate(b, options.clock));
    ratios.push(rate(a, options.clock) / rate(b, options.clock));
  }
  return { ops: median(ops), baselineOps: median(baselineOps), ratio: median(ratios), samples: { ops, baselineOps, ratios } };
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
 * Login round trips through the gateway against the IdP's part alone, after a warm-up of both
 * (the JIT must have settled before CPU per login means anything), interleaved by wall clock.
 * Also returns the gateway's CPU per login over the measured slices (the job's cpuMs is the
 * gateway process's).
 */
export async function interleaveLogins(job: RoundTripJob, warmUpMs: number, roundMs: number, rounds: number): Promise<{ result: BenchResult; cpuMsPerLogin: number }> {
  let cpu = 0;
  let logins = 0;
  const slice = async (mode: 'gateway' | 'direct', ms: number): Promise<Sample> => {
    const result = await job(mode, ms);
    if (mode === 'gateway') {
      cpu += result.cpuMs;
      logins += result.ok;
    }
    return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: result.cpuMs };
  };
  await slice('direct', warmUpMs / 2);
  await slice('gateway', warmUpMs);
  cpu = 0;
  logins = 0;
  const result = await interleave((ms) => slice('gateway', ms), (ms) => slice('direct', ms), { rounds, roundMs: Math.max(roundMs, 1000), sliceMs: 500, clock: 'wall' });
  return { result, cpuMsPerLogin: cpu / logins };
}
