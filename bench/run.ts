/**
 * npm run bench [-- --json] [-- --only <substring>] [-- --rounds 7] [-- --round-ms 300]
 *               [-- --http-round-ms 500] [-- --connections 16] [-- --wall]
 *
 * Runs every case in bench/cases/ (file name order) and prints each as a ratio to its baseline
 * measured in the same run: each round alternates subject and baseline in short slices, the ratio
 * column is the median of the per-round ratios (≥ 5 rounds), the ops columns the median rates.
 * Rates are per CPU-second of the code under test by default: of this process (minting code; the
 * HTTP server while the load generator child process drives it), or of the server's own process
 * where a case runs one (the login cases run the shipped CLI, bench/lib/server-process.ts), so
 * time slices lost to other processes on a shared machine do not count; --wall uses wall-clock
 * seconds instead. JSG_BENCH_NODE_FLAGS passes node flags to those server processes (to try V8
 * settings such as --max-semi-space-size); JSG_BENCH_WARMUP_MS sets the login cases' warm-up.
 * Benchmarks are reported, not asserted: the exit code is 0 whatever the ratios, 1 only when a
 * case fails to run.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchCase, BenchOptions, BenchResult } from './lib/types.js';

interface Row {
  case: string;
  description: string;
  ops: number;
  baselineOps: number;
  ratio: number;
  target: number;
  status: 'PASS' | 'BELOW';
  note?: string;
  samples?: BenchResult['samples'];
}

async function loadCases(): Promise<BenchCase[]> {
  const folder = fileURLToPath(new URL('./cases/', import.meta.url));
  const files = readdirSync(folder).filter((file) => file.endsWith('.js')).sort();
  const cases: BenchCase[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(`${folder}${file}`).href)) as { default?: BenchCase | BenchCase[] };
    const exported = module.default;
    if (!exported) throw new Error(`bench/cases/${file} has no default export (a BenchCase)`);
    cases.push(...(Array.isArray(exported) ? exported : [exported]));
  }
  return cases;
}

const formatOps = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1));

function table(rows: Row[], clock: BenchOptions['clock']): string {
  const unit = clock === 'cpu' ? 'ops/CPU-s' : 'ops/s';
  const header = ['case', unit, `baseline ${unit}`, 'ratio', 'target', 'result'];
  const body = rows.map((row) => [row.case, formatOps(row.ops), formatOps(row.baselineOps), `${row.ratio.toFixed(2)}×`, `≥ ${row.target.toFixed(2)}×`, row.status]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string', default: '7' },
      'round-ms': { type: 'string', default: '300' },
      'http-round-ms': { type: 'string', default: '500' },
      connections: { type: 'string', default: '16' },
      wall: { type: 'boolean', default: false },
    },
  });
  const options: BenchOptions = {
    rounds: Math.max(5, Number(values.rounds)),
    roundMs: Math.max(50, Number(values['round-ms'])),
    httpRoundMs: Math.max(100, Number(values['http-round-ms'])),
    connections: Math.max(1, Number(values.connections)),
    clock: values.wall ? 'wall' : 'cpu',
  };
  const log = (text: string) => {
    if (!values.json) process.stderr.write(`${text}\n`);
  };
  const cases = (await loadCases()).filter((benchCase) => !values.only || benchCase.name.includes(values.only));
  log(`node ${process.version}, ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()[0]?.toFixed(1)}; ${options.rounds} interleaved rounds per side, medians`);
  const rows: Row[] = [];
  const failures: string[] = [];
  const started = performance.now();
  for (const benchCase of cases) {
    log(`… ${benchCase.name}: ${benchCase.description}`);
    try {
      const result = await benchCase.run(options);
      const ratio = result.ratio ?? result.ops / result.baselineOps;
      rows.push({
        case: benchCase.name,
        description: benchCase.description,
        ops: result.ops,
        baselineOps: result.baselineOps,
        ratio,
        target: benchCase.target,
        status: ratio >= benchCase.target ? 'PASS' : 'BELOW',
        ...(result.note ? { note: result.note } : {}),
        ...(result.samples ? { samples: result.samples } : {}),
      });
    } catch (error) {
      failures.push(`${benchCase.name}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, cpus: availableParallelism(), options, seconds: Math.round(seconds * 10) / 10, results: rows, failures }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${table(rows, options.clock)}\n\n`);
    for (const row of rows) {
      const spread = row.samples?.ratios ? ` (per-round ratios: ${row.samples.ratios.map((value) => value.toFixed(2)).join(' ')})` : '';
      process.stdout.write(`${row.case}: ${row.description}${row.note ? `; ${row.note}` : ''}${spread}\n`);
    }
    const per = options.clock === 'cpu' ? 'per CPU-second of the code under test (--wall for wall-clock)' : 'per wall-clock second';
    process.stdout.write(`\n${rows.length} case(s) in ${seconds.toFixed(1)} s; rates ${per}; ratio = median of per-round ratios; reported, not asserted.\n`);
    for (const failure of failures) process.stderr.write(`\nERROR ${failure}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
