/**
 * npm run bench [-- --json] [-- --only <substring>[,<substring>…]] [-- --rounds 7] [-- --round-ms 300]
 *               [-- --http-round-ms 500] [-- --connections 16] [-- --wall]
 *
 * Runs every case in bench/cases/ (file name order) and prints one table, a row per figure: the
 * gateway's, a floor's doing the same work (measured in the same run, interleaved round by round),
 * their ratio as the median over the rounds with the rounds' min–max, the control where the case
 * runs one (a second, identical gateway process measured in the same rounds: its ratio to the
 * first is the noise, two identical processes differed by 25–35% in one round on this machine),
 * the issue's target (≥ for "higher is better" rows, ≤ for CPU, latency, memory and Redis
 * commands) and PASS/MISS on the median, marked "±" when the rounds' min–max straddles the target.
 * Target rows (issue 15's table) come first, then secondary rows.
 *
 * Rates are per CPU-second of the code under test by default: of this process (minting code; the
 * HTTP server while the load generator child process drives it), or of the server's own process
 * where a case runs one (the login cases run the shipped CLI, bench/lib/server-process.ts), so
 * time slices lost to other processes on a shared machine do not count; --wall uses wall-clock
 * seconds instead. Benchmarks are reported, not asserted: the exit code is 0 whatever the ratios,
 * 1 only when a case fails to run.
 *
 * Environment:
 * - JSG_BENCH_NODE_FLAGS: node flags for every server process under test (gateway, control, floors,
 *   bare Koa; e.g. "--max-semi-space-size=16"), in the login, start-up and CAS/SAML cases;
 * - JSG_BENCH_GATEWAY_NODE_FLAGS: added for the gateway processes only (the control pair alike);
 * - JSG_BENCH_FLOOR_NODE_FLAGS: added for the floors and bare Koa only.
 *   Cases that run the gateway inside this process (mint, keys, token API, gate check) take node
 *   flags from the command line: `node --max-semi-space-size=16 dist/bench/run.js`.
 * - JSG_BENCH_WARMUP_MS: cap of the adaptive warm-up per server (it stops earlier once two
 *   consecutive slices' CPU per request or per login differ by less than 3%).
 */
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, range, type BenchCase, type BenchOptions, type BenchResult, type BenchRow } from './lib/types.js';

interface CaseResult {
  case: string;
  description: string;
  ops: number;
  baselineOps: number;
  ratio: number;
  target: number;
  status: 'PASS' | 'MISS';
  note?: string;
  samples?: BenchResult['samples'];
  rows: PrintedRow[];
}

interface PrintedRow extends BenchRow {
  case: string;
  ratio: number;
  min: number;
  max: number;
  controlRatio?: number;
  controlMin?: number;
  controlMax?: number;
  /** PASS/MISS on the median ("±": the rounds' min–max straddles the target); "—" without a target. */
  result: string;
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

/** The case's rows: its own, or one made of ops/baselineOps (the classic "ops per second, higher is better" case). */
function rowsOf(benchCase: BenchCase, result: BenchResult, clock: BenchOptions['clock']): BenchRow[] {
  if (result.rows) return result.rows;
  return [
    {
      path: benchCase.path ?? benchCase.name,
      unit: benchCase.unit ?? (clock === 'cpu' ? 'ops/CPU-s' : 'ops/s'),
      gateway: result.ops,
      floor: result.baselineOps,
      ratios: result.samples?.ratios ?? [result.ratio ?? result.ops / result.baselineOps],
      target: benchCase.target,
      better: benchCase.better ?? 'higher',
      ...(benchCase.secondary ? { secondary: true } : {}),
    },
  ];
}

function judge(caseName: string, row: BenchRow): PrintedRow {
  const ratio = median(row.ratios);
  const { min, max } = range(row.ratios);
  const printed: PrintedRow = { ...row, case: caseName, ratio, min, max, result: '—' };
  if (row.control && row.control.length > 0) {
    const spread = range(row.control);
    printed.controlRatio = median(row.control);
    printed.controlMin = spread.min;
    printed.controlMax = spread.max;
  }
  if (row.target !== undefined) {
    const lower = row.better === 'lower';
    const value = row.targetOn === 'gateway' ? row.gateway : ratio;
    const pass = lower ? value <= row.target : value >= row.target;
    const straddles = row.targetOn !== 'gateway' && row.ratios.length > 1 && min <= row.target && max >= row.target;
    printed.result = `${pass ? 'PASS' : 'MISS'}${straddles ? ' ±' : ''}`;
  }
  return printed;
}

const formatValue = (value: number) => (!Number.isFinite(value) ? '—' : Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2));
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');
const spread = (value: number, min: number, max: number, n: number) => (n > 1 ? `${times(value)} (${min.toFixed(2)}–${max.toFixed(2)})` : times(value));

function targetCell(row: PrintedRow): string {
  if (row.target === undefined) return '—';
  const sign = row.better === 'lower' ? '≤' : '≥';
  return row.targetOn === 'gateway' ? `${sign} ${row.target} ${row.unit}` : `${sign} ${row.target.toFixed(2)}×`;
}

/** The target rows in the order of issue 15's table (cases run in file order); others after them, as run. */
const ISSUE_ORDER = [/login start req/, /login start p99/, /CPU per login/, /Redis commands/, /Redis round trips/, /token API/, /mint HS256/, /mint RS256/, /asap/, /JWKS/, /RSS idle/, /RSS peak/, /spawn/];
function inIssueOrder(rows: PrintedRow[]): PrintedRow[] {
  const rank = (row: PrintedRow) => {
    const index = ISSUE_ORDER.findIndex((pattern) => pattern.test(row.path));
    return index < 0 ? ISSUE_ORDER.length : index;
  };
  return rows.map((row, index) => ({ row, index })).sort((a, b) => rank(a.row) - rank(b.row) || a.index - b.index).map(({ row }) => row);
}

function table(rows: PrintedRow[]): string {
  const header = ['path', 'gateway', 'floor', 'ratio (min–max)', 'control', 'target', 'result'];
  const cells = (row: PrintedRow) => [
    row.path,
    Number.isFinite(row.gateway) ? `${formatValue(row.gateway)} ${row.unit}` : '—',
    Number.isFinite(row.floor) ? `${formatValue(row.floor)} ${row.unit}` : '—',
    spread(row.ratio, row.min, row.max, row.ratios.length),
    row.controlRatio === undefined ? '—' : spread(row.controlRatio, row.controlMin ?? Number.NaN, row.controlMax ?? Number.NaN, row.control?.length ?? 0),
    targetCell(row),
    row.result,
  ];
  const primary = inIssueOrder(rows.filter((row) => !row.secondary)).map(cells);
  const secondary = rows.filter((row) => row.secondary).map(cells);
  const all = [header, ...primary, ...secondary];
  const widths = header.map((_, column) => Math.max(...all.map((line) => (line[column] ?? '').length)));
  const line = (values: string[]) => values.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  const rule = (title = '') => (title ? `── ${title} ` : '').padEnd(widths.reduce((total, width) => total + width + 2, -2), '─');
  return [line(header), rule(), ...primary.map(line), ...(secondary.length > 0 ? [rule("secondary: not in issue 15's target table"), ...secondary.map(line)] : [])].join('\n');
}

const machine = () => `node ${process.version}, ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()[0]?.toFixed(1)}`;

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
  const only = (values.only ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  const cases = (await loadCases()).filter((benchCase) => only.length === 0 || only.some((part) => benchCase.name.includes(part)));
  const flags = ['JSG_BENCH_NODE_FLAGS', 'JSG_BENCH_GATEWAY_NODE_FLAGS', 'JSG_BENCH_FLOOR_NODE_FLAGS'].filter((name) => process.env[name]).map((name) => `${name}="${process.env[name]}"`);
  const startedOn = machine();
  log(`${startedOn}; ${options.rounds} interleaved rounds per side, medians${flags.length > 0 ? `; ${flags.join(' ')}` : ''}`);
  const rows: CaseResult[] = [];
  const failures: string[] = [];
  const started = performance.now();
  for (const benchCase of cases) {
    log(`… ${benchCase.name}: ${benchCase.description}`);
    const caseStarted = performance.now();
    try {
      const result = await benchCase.run(options);
      const ratio = result.ratio ?? result.ops / result.baselineOps;
      const lower = benchCase.better === 'lower';
      rows.push({
        case: benchCase.name,
        description: benchCase.description,
        ops: result.ops,
        baselineOps: result.baselineOps,
        ratio,
        target: benchCase.target,
        status: (lower ? ratio <= benchCase.target : ratio >= benchCase.target) ? 'PASS' : 'MISS',
        ...(result.note ? { note: result.note } : {}),
        ...(result.samples ? { samples: result.samples } : {}),
        rows: rowsOf(benchCase, result, options.clock).map((row) => judge(benchCase.name, row)),
      });
      log(`  done in ${((performance.now() - caseStarted) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures.push(`${benchCase.name}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const printed = rows.flatMap((result) => result.rows);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, cpus: availableParallelism(), machine: { start: startedOn, end: machine() }, flags, options, seconds: Math.round(seconds * 10) / 10, results: rows, failures }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${table(printed)}\n\n`);
    for (const result of rows) {
      process.stdout.write(`${result.case}: ${result.description}${result.note ? `; ${result.note}` : ''}\n`);
      for (const row of result.rows) {
        const parts = [
          ...(row.floorName ? [`floor = ${row.floorName}`] : []),
          ...(row.ratios.length > 1 ? [`per-round ratios ${row.ratios.map((value) => value.toFixed(2)).join(' ')}`] : []),
          ...(row.control && row.control.length > 1 ? [`control ${row.control.map((value) => value.toFixed(2)).join(' ')}`] : []),
          ...(row.note ? [row.note] : []),
        ];
        if (parts.length > 0) process.stdout.write(`  · ${row.path}: ${parts.join('; ')}\n`);
      }
    }
    const per = options.clock === 'cpu' ? 'per CPU-second of the code under test (--wall for wall-clock)' : 'per wall-clock second';
    process.stdout.write(`\n${rows.length} case(s) in ${seconds.toFixed(1)} s (${machine()} at the end); rates ${per}; ratio = gateway ÷ floor, median of the per-round ratios (min–max); control = a second identical gateway ÷ the gateway, same rounds; ± = the rounds straddle the target; reported, not asserted.\n`);
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
