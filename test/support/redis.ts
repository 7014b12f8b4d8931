/**
 * Real redis-server processes for tests: standalone, a Sentinel set (primary, replica, three
 * Sentinels) and a three-primary Cluster (optionally with replicas), each on free ports of
 * 127.0.0.1 with its own temporary directory and no persistence. Every process is started in its
 * own process group and killed when the test calls stop(), and in any case when the test process
 * exits.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Redis } from 'ioredis';

const execFileAsync = promisify(execFile);
const HOST = '127.0.0.1';

export interface RedisServer {
  port: number;
  url: string;
  /** Graceful shutdown (SIGTERM, then SIGKILL after 3 s); restart() brings it back. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after stop or kill), waits until it answers. */
  restart(): Promise<void>;
  /** Stops the process (SIGSTOP): it keeps its connections but answers nothing. */
  freeze(): void;
  /** Resumes a frozen process (SIGCONT). */
  thaw(): void;
  /** Stops the server for good and removes its directory. */
  destroy(): Promise<void>;
}

export interface SentinelSet {
  masterName: string;
  /** The Sentinels as "host:port". */
  sentinels: string[];
  /** The initial primary and replica (their roles swap on failover). */
  primary: RedisServer;
  replica: RedisServer;
  /** The port of the server the Sentinels currently report as primary. */
  currentPrimaryPort(): Promise<number>;
  /** SENTINEL FAILOVER, then waits until every Sentinel reports the new primary (its port). */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Replicas of each of the three primaries (default 0: three servers, no failover possible). */
  replicasPerPrimary?: number;
}

/** One line of CLUSTER NODES, as one node sees the cluster. */
export interface ClusterNodeView {
  id: string;
  port: number;
  /** "master" or "slave" from the flags; a failed node keeps its last role. */
  role: 'master' | 'slave';
  /** For a replica, the id of its primary. */
  primaryId: string | undefined;
  /** All flags: myself, master, slave, fail?, fail, handshake, noaddr, ... */
  flags: string[];
  /** link-state is "connected" (always true for the node's own line). */
  connected: boolean;
  /** Slot ranges served, inclusive (primaries only; importing/migrating markers are skipped). */
  slots: [number, number][];
}

/** The servers behind one slot: its primary and that primary's (not failed) replicas, as ports. */
export interface ClusterShard {
  slot: number;
  primary: number;
  replicas: number[];
}

export interface RedisCluster {
  /**
   * Every server as "host:port", the primaries first (with no replicas: the three primaries).
   * Roles are those after start-up; a failover swaps them.
   */
  nodes: string[];
  /** Every server, in the order of `nodes`. */
  servers: RedisServer[];
  /** The server listening on `port`. */
  server(port: number): RedisServer;
  /** CLUSTER NODES as the server on `port` sees it (default: the first server still running). */
  topology(port?: number): Promise<ClusterNodeView[]>;
  /** The shard that holds `key` (the full key, prefix included): CLUSTER KEYSLOT, then NODES. */
  shardOf(key: string): Promise<ClusterShard>;
  /**
   * Makes sure `primaryPort`'s replicas have everything written to it so far: WAIT only covers
   * the writes of its own connection, so a marker key of that primary's slots is written first
   * on the same connection (replication is in order, so earlier writes of other clients are
   * covered too). Resolves with the number of replicas that acknowledged; throws if fewer than
   * `replicas` did within `timeoutMs`.
   */
  waitForReplication(primaryPort: number, replicas?: number, timeoutMs?: number): Promise<number>;
  /**
   * Planned failover: CLUSTER FAILOVER on the replica `replicaPort` (its primary hands over after
   * the replica has caught up), then waitForPrimary(replicaPort).
   */
  failover(replicaPort: number, timeoutMs?: number): Promise<void>;
  /**
   * Waits until `port` is a primary serving slots in the view of every running server, every
   * running server reports cluster_state:ok, and every running replica's link is up: the state in
   * which a client that refreshes its slot map reaches every slot.
   */
  waitForPrimary(port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: whatever happens to the test, no redis-server outlives the test process.

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole process group (spawned detached)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

let binaryChecked = false;
function assertRedisInstalled(): void {
  if (binaryChecked) return;
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server not found: run apt-get install -y redis-server');
  }
  binaryChecked = true;
}

/** Ports freePort() gave out in this process: the system may offer a just-closed port again. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on a moment ago, never one this process was given before: three calls
 * in a row (a gateway and two proxied hosts) once got the same port twice, and the two hosts
 * became one.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** A port that was free a moment ago (listen on 0, read it, close). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true, or throws `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/** Sends one command on a fresh, non-retrying connection and returns the reply. */
export async function redisCommand(port: number, ...args: (string | number)[]): Promise<unknown> {
  const [reply] = await redisCommands(port, [args]);
  return reply;
}

/**
 * Sends commands one after the other on one fresh, non-retrying connection (for commands whose
 * meaning depends on the connection, such as WAIT after a write) and returns the replies.
 */
export async function redisCommands(
  port: number,
  commands: (string | number)[][],
  commandTimeoutMs = 2000,
): Promise<unknown[]> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: commandTimeoutMs,
  });
  client.on('error', () => {}); // reported through the rejected promise
  try {
    await client.connect();
    const replies: unknown[] = [];
    for (const [command, ...rest] of commands) {
      replies.push(await client.call(String(command), ...rest.map(String)));
    }
    return replies;
  } finally {
    client.disconnect();
  }
}

/** INFO <section> parsed into a record. */
async function info(port: number, section: string): Promise<Record<string, string>> {
  const text = String(await redisCommand(port, 'INFO', section));
  const result: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) result[line.slice(0, at)] = line.slice(at + 1);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// One redis-server process.

/**
 * sh -c script: starts redis-server "$@", kills it and removes its directory when our stdin
 * reaches EOF (the test process is gone), and otherwise exits with redis-server's status. The
 * shell ignores SIGTERM/SIGINT, so a graceful stop of the group waits for redis-server itself to
 * finish shutting down.
 */
const WATCHDOG = [
  'exec 3<&0',
  'redis-server "$@" </dev/null &',
  'server=$!',
  "trap '' TERM INT",
  '( read _ignored <&3; kill -KILL $server 2>/dev/null; rm -rf "$JSG_REDIS_DIR" ) &',
  'watcher=$!',
  'wait $server',
  'status=$?',
  'kill -KILL $watcher 2>/dev/null',
  'exit $status',
].join('\n');

interface ServerSpec {
  /** Extra configuration lines written to the config file. */
  config?: string[];
  sentinel?: boolean;
  port?: number;
}

class Server implements RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  private readonly configFile: string;
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(port: number, private readonly spec: ServerSpec) {
    this.port = port;
    this.url = `redis://${HOST}:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), `jsg-redis-${port}-`));
    dirs.add(this.dir);
    this.configFile = join(this.dir, spec.sentinel ? 'sentinel.conf' : 'redis.conf');
    const lines = [
      `port ${port}`,
      `bind ${HOST}`,
      `dir ${this.dir}`,
      'protected-mode no',
      ...(spec.sentinel ? [] : ['save ""', 'appendonly no']),
      ...(spec.config ?? []),
    ];
    // Sentinels rewrite their configuration file, so it must be a real, writable file.
    writeFileSync(this.configFile, lines.join('\n') + '\n');
  }

  static async start(spec: ServerSpec = {}): Promise<Server> {
    assertRedisInstalled();
    installExitHook();
    const server = new Server(spec.port ?? (await freePort()), spec);
    try {
      await server.launch();
    } catch (error) {
      await server.destroy();
      throw error;
    }
    return server;
  }

  private async launch(): Promise<void> {
    const args = [this.configFile];
    if (this.spec.sentinel) args.push('--sentinel');
    else args.push('--save', '', '--appendonly', 'no');
    args.push('--port', String(this.port), '--bind', HOST, '--dir', this.dir);
    this.output = '';
    // redis-server runs under a small shell watchdog in its own process group (killed as a
    // whole by stop/kill). The watchdog holds a pipe from this process: when the test process
    // dies in any way, even by SIGKILL, the pipe closes and the watchdog kills redis-server.
    const child = spawn('sh', ['-c', WATCHDOG, 'redis-watchdog', ...args], {
      cwd: this.dir,
      env: { ...process.env, JSG_REDIS_DIR: this.dir },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    // A server someone forgot to stop must not keep the test process alive (the watchdog then
    // takes it down with the process).
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    live.add(child);
    child.once('exit', () => live.delete(child));
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT'
            ? new Error('redis-server not found: run apt-get install -y redis-server')
            : error,
        );
      });
    });
    spawnError.catch(() => {});
    const ready = waitUntil(
      `redis-server on port ${this.port} to answer PING`,
      async () => {
        if (child.exitCode === 127) {
          throw new Error('redis-server not found: run apt-get install -y redis-server');
        }
        if (child.exitCode !== null) {
          throw new Error(`redis-server exited with ${child.exitCode}: ${this.output.trim()}`);
        }
        return (await redisCommand(this.port, 'PING')) === 'PONG';
      },
      10_000,
      30,
    );
    await Promise.race([ready, spawnError]);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    killGroup(child, 'SIGCONT');
    killGroup(child, 'SIGTERM');
    if (!(await waitForExit(child, 3000))) {
      killGroup(child, 'SIGKILL');
      await waitForExit(child, 3000);
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    killGroup(child, 'SIGKILL');
    await waitForExit(child, 3000);
  }

  async restart(): Promise<void> {
    await this.stop();
    // The port may linger for a moment after the previous process went away.
    await waitUntil(`port ${this.port} to be free`, () => portIsFree(this.port), 5000);
    await this.launch();
  }

  /** Whether the process was started and not stopped or killed since. */
  get running(): boolean {
    return this.child !== undefined;
  }

  freeze(): void {
    if (this.child) killGroup(this.child, 'SIGSTOP');
  }

  thaw(): void {
    if (this.child) killGroup(this.child, 'SIGCONT');
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------------------
// Public helpers.

/** One standalone redis-server. */
export async function startRedis(): Promise<RedisServer> {
  return Server.start();
}

/**
 * One primary, one replica and three Sentinels (quorum 2, down-after 1 s). Resolves once the
 * replica is in sync and every Sentinel knows the replica and the two other Sentinels, so a
 * failover can start right away.
 */
export async function startSentinelSet(masterName = 'jsgmaster'): Promise<SentinelSet> {
  const started: Server[] = [];
  try {
    // No 5-second wait before the full sync (Redis 7 default): the replica is in sync at once.
    const replication = ['repl-diskless-sync-delay 0'];
    const primary = await Server.start({ config: replication });
    started.push(primary);
    const replica = await Server.start({
      config: [...replication, `replicaof ${HOST} ${primary.port}`],
    });
    started.push(replica);
    await waitUntil(
      'the replica to sync with the primary',
      async () => (await info(replica.port, 'replication'))['master_link_status'] === 'up',
      10_000,
    );

    const sentinelConfig = [
      `sentinel monitor ${masterName} ${HOST} ${primary.port} 2`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
    ];
    const sentinels = await Promise.all(
      [0, 1, 2].map(() => Server.start({ sentinel: true, config: sentinelConfig })),
    );
    started.push(...sentinels);

    await waitUntil(
      'the Sentinels to discover the replica and each other',
      async () => {
        for (const sentinel of sentinels) {
          const ask = (what: string) => redisCommand(sentinel.port, 'SENTINEL', what, masterName);
          const replicas = (await ask('REPLICAS')) as string[][];
          const peers = (await ask('SENTINELS')) as unknown[];
          const healthyReplica = replicas.some((fields) => {
            const flags = fields[fields.indexOf('flags') + 1] ?? '';
            return flags === 'slave';
          });
          if (!healthyReplica || peers.length < 2) return false;
        }
        return true;
      },
      20_000,
      200,
    );

    const currentPrimaryPort = async (sentinelPort = sentinels[0]!.port): Promise<number> => {
      const address = (await redisCommand(
        sentinelPort,
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        masterName,
      )) as string[] | null;
      if (!address) throw new Error(`Sentinel ${sentinelPort} does not know ${masterName}`);
      return Number(address[1]);
    };

    return {
      masterName,
      sentinels: sentinels.map((sentinel) => `${HOST}:${sentinel.port}`),
      primary,
      replica,
      currentPrimaryPort: () => currentPrimaryPort(),
      async failover() {
        const before = await currentPrimaryPort();
        await waitUntil(
          'SENTINEL FAILOVER to be accepted',
          async () => {
            await redisCommand(sentinels[0]!.port, 'SENTINEL', 'FAILOVER', masterName);
            return true;
          },
          10_000,
          250,
        );
        let after = before;
        await waitUntil(
          'every Sentinel to report the new primary, and it to accept writes',
          async () => {
            const reported = await Promise.all(sentinels.map((s) => currentPrimaryPort(s.port)));
            after = reported[0]!;
            if (after === before || reported.some((port) => port !== after)) return false;
            return (await info(after, 'replication'))['role'] === 'master';
          },
          20_000,
          100,
        );
        return after;
      },
      async stop() {
        await Promise.all(started.map((server) => server.destroy()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.destroy()));
    throw error;
  }
}

/**
 * Three primaries forming one Cluster, all slots assigned and cluster_state:ok; with
 * `replicasPerPrimary`, that many replicas of each primary too, resolving only once every node
 * knows every other, each replica's link to its primary is up and all nodes agree on the roles.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  const replicasPerPrimary = options.replicasPerPrimary ?? 0;
  if (!Number.isInteger(replicasPerPrimary) || replicasPerPrimary < 0) {
    throw new RangeError(`replicasPerPrimary must be a whole number >= 0: ${replicasPerPrimary}`);
  }
  const total = 3 * (1 + replicasPerPrimary);
  const started: Server[] = [];
  try {
    for (let i = 0; i < total; i++) {
      // cluster-port (Redis >= 7) instead of the default port + 10000, which may be taken.
      const busPort = await freePort();
      started.push(
        await Server.start({
          config: [
            'cluster-enabled yes',
            'cluster-config-file nodes.conf',
            'cluster-node-timeout 2000',
            `cluster-port ${busPort}`,
            // No 5-second wait before the replicas' full sync (Redis 7 default).
            ...(replicasPerPrimary > 0 ? ['repl-diskless-sync-delay 0'] : []),
          ],
        }),
      );
    }
    const addresses = started.map((server) => `${HOST}:${server.port}`);
    try {
      // All on one host, so redis-cli warns that replicas share their primary's host; harmless.
      await execFileAsync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...addresses,
          '--cluster-replicas',
          String(replicasPerPrimary),
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
    } catch (error) {
      const detail = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `redis-cli --cluster create failed: ${detail.message}\n` +
          `${detail.stdout ?? ''}${detail.stderr ?? ''}`,
      );
    }
    await waitUntil(
      replicasPerPrimary > 0
        ? 'cluster_state:ok, every node known to all and every replica linked'
        : 'cluster_state:ok on every node',
      async () => {
        for (const server of started) {
          const state = await clusterInfo(server.port);
          if (
            state['cluster_state'] !== 'ok' ||
            state['cluster_slots_ok'] !== '16384' ||
            state['cluster_known_nodes'] !== String(total)
          ) {
            return false;
          }
          if (replicasPerPrimary === 0) continue;
          const view = await clusterTopology(server.port);
          const healthy = view.filter((node) => node.connected && !isFailing(node));
          const primaries = healthy.filter((node) => node.role === 'master' && node.slots.length);
          const replicas = healthy.filter((node) => node.role === 'slave');
          if (healthy.length !== total || primaries.length !== 3) return false;
          const primaryIds = new Set(primaries.map((node) => node.id));
          if (replicas.some((node) => !primaryIds.has(node.primaryId ?? ''))) return false;
          for (const primary of primaries) {
            const own = replicas.filter((node) => node.primaryId === primary.id);
            if (own.length !== replicasPerPrimary) return false;
          }
          const replication = await info(server.port, 'replication');
          if (replication['role'] === 'slave' && replication['master_link_status'] !== 'up') {
            return false;
          }
        }
        return true;
      },
      30_000,
      100,
    );

    // Primaries first, as the seed list and the documentation of `nodes` promise.
    const roles = new Map(
      (await clusterTopology(started[0]!.port)).map((node) => [node.port, node.role]),
    );
    const servers = [
      ...started.filter((server) => roles.get(server.port) === 'master'),
      ...started.filter((server) => roles.get(server.port) !== 'master'),
    ];
    const byPort = new Map(servers.map((server) => [server.port, server]));
    const running = (): Server[] => servers.filter((server) => server.running);
    const anyRunning = (): number => {
      const server = running()[0];
      if (!server) throw new Error('no cluster node is running');
      return server.port;
    };

    const shardOf = async (key: string): Promise<ClusterShard> => {
      const port = anyRunning();
      const slot = Number(await redisCommand(port, 'CLUSTER', 'KEYSLOT', key));
      const view = await clusterTopology(port);
      const primary = view.find(
        (node) =>
          node.role === 'master' &&
          !isFailing(node) &&
          node.slots.some(([from, to]) => slot >= from && slot <= to),
      );
      if (!primary) throw new Error(`no healthy primary serves slot ${slot} (key ${key})`);
      const replicas = view
        .filter((node) => node.primaryId === primary.id && !isFailing(node))
        .map((node) => node.port);
      return { slot, primary: primary.port, replicas };
    };

    const waitForPrimary = async (port: number, timeoutMs = 20_000): Promise<void> => {
      await waitUntil(
        `node ${port} to be a primary in every running node's view, with cluster_state:ok`,
        async () => {
          if ((await info(port, 'replication'))['role'] !== 'master') return false;
          for (const server of running()) {
            if ((await clusterInfo(server.port))['cluster_state'] !== 'ok') return false;
            const view = await clusterTopology(server.port);
            const node = view.find((candidate) => candidate.port === port);
            if (!node || node.role !== 'master' || isFailing(node) || !node.slots.length) {
              return false;
            }
            const replication = await info(server.port, 'replication');
            if (replication['role'] === 'slave' && replication['master_link_status'] !== 'up') {
              return false;
            }
          }
          return true;
        },
        timeoutMs,
        100,
      );
    };

    return {
      nodes: servers.map((server) => `${HOST}:${server.port}`),
      servers,
      server(port) {
        const server = byPort.get(port);
        if (!server) throw new Error(`no cluster node on port ${port}`);
        return server;
      },
      topology: (port) => clusterTopology(port ?? anyRunning()),
      shardOf,
      async waitForReplication(primaryPort, replicas = 1, timeoutMs = 5000) {
        const view = await clusterTopology(primaryPort);
        const own = view.find((node) => node.flags.includes('myself'));
        if (!own || own.role !== 'master' || !own.slots.length) {
          throw new Error(`node ${primaryPort} is not a primary serving slots`);
        }
        // A marker key in one of this primary's slots (about one try in three hits).
        let marker: string | undefined;
        for (let i = 0; i < 500 && marker === undefined; i++) {
          const candidate = `jsgtest:replication-marker:${i}`;
          const slot = Number(await redisCommand(primaryPort, 'CLUSTER', 'KEYSLOT', candidate));
          if (own.slots.some(([from, to]) => slot >= from && slot <= to)) marker = candidate;
        }
        if (marker === undefined) throw new Error(`no marker key found for node ${primaryPort}`);
        const [, acknowledged] = await redisCommands(
          primaryPort,
          [
            ['SET', marker, String(Date.now()), 'EX', 60],
            ['WAIT', replicas, timeoutMs],
          ],
          timeoutMs + 2000,
        );
        if (Number(acknowledged) < replicas) {
          throw new Error(
            `only ${String(acknowledged)} of ${replicas} replicas of node ${primaryPort} ` +
              `acknowledged within ${timeoutMs} ms`,
          );
        }
        return Number(acknowledged);
      },
      async failover(replicaPort, timeoutMs = 20_000) {
        // Refused while the replica is still syncing; retried until accepted.
        await waitUntil(
          `CLUSTER FAILOVER on ${replicaPort} to be accepted`,
          async () => (await redisCommand(replicaPort, 'CLUSTER', 'FAILOVER')) === 'OK',
          10_000,
          250,
        );
        await waitForPrimary(replicaPort, timeoutMs);
      },
      waitForPrimary,
      async stop() {
        await Promise.all(servers.map((server) => server.destroy()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.destroy()));
    throw error;
  }
}

/** Failing or not (yet) a full member: such a node's role and slots are stale or unusable. */
function isFailing(node: ClusterNodeView): boolean {
  return node.flags.some((flag) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(flag));
}

async function clusterInfo(port: number): Promise<Record<string, string>> {
  const text = String(await redisCommand(port, 'CLUSTER', 'INFO'));
  const result: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0) result[line.slice(0, at)] = line.slice(at + 1);
  }
  return result;
}

/**
 * CLUSTER NODES parsed: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv>
 * <config-epoch> <link-state> <slot> ...`, a slot being `n`, `from-to` or a `[...]` migration
 * marker (skipped).
 */
async function clusterTopology(port: number): Promise<ClusterNodeView[]> {
  const text = String(await redisCommand(port, 'CLUSTER', 'NODES'));
  const nodes: ClusterNodeView[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, address, flagList, master, , , , linkState, ...slotFields] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      ...string[],
    ];
    const hostPort = address.split('@')[0] ?? '';
    const flags = flagList.split(',');
    const slots: [number, number][] = [];
    for (const field of slotFields) {
      if (field.startsWith('[')) continue;
      const [from, to] = field.split('-');
      slots.push([Number(from), Number(to ?? from)]);
    }
    nodes.push({
      id,
      port: Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
      role: flags.includes('slave') ? 'slave' : 'master',
      primaryId: master === '-' ? undefined : master,
      flags,
      connected: linkState === 'connected',
      slots,
    });
  }
  return nodes;
}
