import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloorSettings } from './floor-server.js';

/**
 * A server under test in a process of its own, so that its CPU time and its peak resident memory
 * are its own (not the bench harness's, not the baseline's):
 *
 * - `gateway`: the shipped entry point, `dist/src/cli/main.js serve --config <file>`, exactly as
 *   the container runs it (its logs go to /dev/null instead of a pipe).
 * - `bare-koa`: a Koa app answering "hello", the baseline of the HTTP cases.
 * - `floor`: the login benchmarks' floors (bench/lib/floor-server.ts), settings as JSON.
 *
 * This file is forked with `--server-process <kind> <arg>`; the child answers `usage` requests
 * over IPC with its CPU time (process.cpuUsage, µs precision) and its peak RSS (getrusage), so a
 * bench slice can charge exactly the server's work.
 */

export interface Usage {
  /** User + system CPU of the server process so far, ms. */
  cpuMs: number;
  /** Peak resident set size of the server process so far, MB (getrusage ru_maxrss). */
  maxRssMb: number;
  /** Resident set size now, MB. */
  rssMb: number;
  /** V8 heap reserved now (heapTotal), MB. */
  heapTotalMb: number;
}

type Request = { usage: number };
type Reply = { usage: number } & Usage;

function usageNow(): Usage {
  const { user, system } = process.cpuUsage();
  const memory = process.memoryUsage();
  return { cpuMs: (user + system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, rssMb: memory.rss / 2 ** 20, heapTotalMb: memory.heapTotal / 2 ** 20 };
}

async function runChild(kind: string, arg: string): Promise<void> {
  process.on('message', (message: Request) => process.send?.({ usage: message.usage, ...usageNow() } satisfies Reply));
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  if (kind === 'gateway') {
    // As `node dist/src/cli/main.js serve --config <file>`: main.js reads process.argv.
    process.argv = [process.argv[0] ?? 'node', fileURLToPath(new URL('../../src/cli/main.js', import.meta.url)), 'serve', '--config', arg];
    await import('../../src/cli/main.js');
    return;
  }
  if (kind === 'bare-koa') {
    const { startBareKoa } = await import('./bare-koa.js');
    await startBareKoa(Number(arg));
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  if (kind === 'floor') {
    const { startFloor } = await import('./floor-server.js');
    await startFloor(JSON.parse(arg) as FloorSettings);
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  throw new Error(`unknown server process kind ${kind}`);
}

if (process.argv.includes('--server-process')) {
  const at = process.argv.indexOf('--server-process');
  void runChild(process.argv[at + 1] ?? '', process.argv[at + 2] ?? '');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Node flags of a server process under test (to try V8 settings such as --max-semi-space-size):
 * JSG_BENCH_NODE_FLAGS for every server process, then JSG_BENCH_GATEWAY_NODE_FLAGS for the
 * gateway's (both of a control pair alike) or JSG_BENCH_FLOOR_NODE_FLAGS for the floors' and bare
 * Koa's, so a flag can be measured on one side or on both.
 */
export function nodeFlags(role: 'gateway' | 'floor'): string[] {
  const own = role === 'gateway' ? process.env.JSG_BENCH_GATEWAY_NODE_FLAGS : process.env.JSG_BENCH_FLOOR_NODE_FLAGS;
  return `${process.env.JSG_BENCH_NODE_FLAGS ?? ''} ${own ?? ''}`.split(/\s+/).filter(Boolean);
}

/** Writes a gateway configuration to a private temporary file; returns it and its removal. */
export function writeConfig(config: Record<string, unknown>): { file: string; remove(): void } {
  const folder = mkdtempSync(join(tmpdir(), 'jsg-bench-'));
  const file = join(folder, 'config.json'); // JSON is YAML
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return { file, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export class ServerProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (usage: Usage) => void>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly cleanup: () => void,
  ) {
    child.on('message', (message: Reply) => {
      this.waiting.get(message.usage)?.({ cpuMs: message.cpuMs, maxRssMb: message.maxRssMb, rssMb: message.rssMb, heapTotalMb: message.heapTotalMb });
      this.waiting.delete(message.usage);
    });
    child.once('exit', () => {
      this.exited = true;
    });
  }

  /** The gateway as shipped, with this configuration (written to a temporary file). */
  static async gateway(config: Record<string, unknown>, port: number): Promise<ServerProcess> {
    const { file, remove } = writeConfig(config);
    return ServerProcess.start('gateway', file, `http://127.0.0.1:${port}`, '/readyz', remove);
  }

  /** A floor of the login benchmarks (bench/lib/floor-server.ts). */
  static async floor(settings: FloorSettings): Promise<ServerProcess> {
    return ServerProcess.start('floor', JSON.stringify(settings), `http://127.0.0.1:${settings.port}`, '/readyz', () => {});
  }

  /** A bare Koa "hello" server. */
  static async bareKoa(): Promise<ServerProcess> {
    const port = await freePort();
    return ServerProcess.start('bare-koa', String(port), `http://127.0.0.1:${port}`, '/', () => {});
  }

  private static async start(kind: string, arg: string, url: string, readyPath: string, cleanup: () => void): Promise<ServerProcess> {
    const execArgv = nodeFlags(kind === 'gateway' ? 'gateway' : 'floor');
    const child = fork(fileURLToPath(import.meta.url), ['--server-process', kind, arg], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
    const server = new ServerProcess(child, url, cleanup);
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (server.exited) break;
      const ready = await fetch(`${url}${readyPath}`).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status === 200;
        },
        () => false,
      );
      if (ready) return server;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await server.close();
    throw new Error(`${kind} server process did not become ready at ${url}${readyPath}`);
  }

  /** CPU time and memory of the server process, read in the process itself. */
  usage(): Promise<Usage> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error('server process exited'));
        return;
      }
      this.waiting.set(id, resolve);
      this.child.send({ usage: id } satisfies Request);
    });
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    this.cleanup();
  }
}
