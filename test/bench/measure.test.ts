import { describe, expect, it } from 'vitest';
import { interleaveSides, tiledCpu, warmUpSides, type Sample, type Slice } from '../../bench/lib/measure.js';

/**
 * The bench's measuring loop (bench/lib/measure.ts), with scripted sides instead of servers: what
 * it runs in which order, when the warm-up stops, and how a server's CPU clock is charged.
 */

const sample = (cpuMs: number): Sample => ({ ops: 1, wallMs: 1, cpuMs });

describe('interleaveSides', () => {
  it('keeps the two-side order A B, B A and gives no side of three or more a fixed predecessor', async () => {
    const order = async (n: number) => {
      const log: number[] = [];
      const sides: Slice[] = Array.from({ length: n }, (_, index) => async () => {
        log.push(index);
        return sample(1);
      });
      const perSide = await interleaveSides(sides, { rounds: 4, roundMs: 4, sliceMs: 1 });
      expect(perSide.map((rounds) => rounds.length)).toEqual(Array(n).fill(4));
      return log;
    };
    expect((await order(2)).slice(0, 8)).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
    const log = await order(4);
    const predecessors = new Map<number, Set<number>>();
    // Within each slice (n consecutive runs): which side ran just before each side.
    for (let at = 1; at < log.length; at += 1) {
      if (at % 4 === 0) continue;
      const side = log[at] as number;
      if (!predecessors.has(side)) predecessors.set(side, new Set());
      predecessors.get(side)?.add(log[at - 1] as number);
    }
    for (const side of [0, 1, 2, 3]) expect(predecessors.get(side)?.size ?? 0).toBeGreaterThan(1);
  });
});

describe('warmUpSides', () => {
  const scripted = (values: number[]): Slice => {
    let at = 0;
    return async () => sample(values[Math.min(at++, values.length - 1)] as number);
  };

  it('stops once two slices agree within 3% and are no new low, not when two agree while still falling', async () => {
    const warmed = await warmUpSides([scripted([5.27, 3.48, 3.51, 3.0, 2.95, 2.0, 1.6, 1.58, 1.59, 1.6])], (s) => s.cpuMs, { sliceMs: 1, maxSlices: 20 });
    expect(warmed.settled).toEqual([true]);
    // 3.48 → 3.51 agree, but under the first slice's 5.27: still falling.
    expect(warmed.trace[0]).toEqual([5.27, 3.48, 3.51, 3.0, 2.95, 2.0, 1.6, 1.58, 1.59]);
  });

  it('gives up at the cap and says so', async () => {
    const warmed = await warmUpSides([scripted([4, 3, 2, 1, 0.5, 0.25])], (s) => s.cpuMs, { sliceMs: 1, maxSlices: 4 });
    expect(warmed).toEqual({ trace: [[4, 3, 2, 1]], settled: [false] });
  });
});

describe('tiledCpu', () => {
  it('charges a slice from the end of the previous one, so CPU used between slices is not lost', async () => {
    const readings = [10, 12, 15, 16];
    let at = 0;
    const clock = tiledCpu(async () => readings[at++] as number);
    const first = (await clock()) - 0;
    const firstEnd = await clock();
    const secondStart = await clock();
    const secondEnd = await clock();
    expect([first, firstEnd]).toEqual([10, 12]);
    // The second slice starts at the first one's end (12), not at the reading 15 taken at its start.
    expect(secondEnd - secondStart).toBe(4);
  });
});
