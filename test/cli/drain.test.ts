import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hsSettings } from '../support/config.js';
import { freePort, sleep, waitUntil } from '../support/redis.js';

/**
 * The compiled CLI as Kubernetes runs it (issue 17 §2): SIGTERM drains without a failed request,
 * and a fatal start-up error is one structured line and exit 1, at once.
 */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jsg-drain-'));

interface Gateway {
  child: ChildProcess;
  output: () => string;
  url: Promise<string>;
  exited: Promise<{ code: number | null; at: number }>;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function writeConfig(name: string, overrides: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(hsSettings({ log: { level: 'info' }, ...overrides })));
  return file;
}

function serve(configFile: string, env: Record<string, string> = {}): Gateway {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], {
    env: { PATH: process.env.PATH, JSG_SERVER__HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${output}`)), 20_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then(() => reject(new Error(`exited before listening: ${output}`)));
  });
  url.catch(() => undefined);
  return { child, output: () => output, url, exited };
}

function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** GET over a keep-alive agent; resolves with the status, or rejects on a connection error. */
function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM under load', () => {
  it('drains: two replicas behind a readiness-following balancer, one gets SIGTERM mid-load, no client request fails', async () => {
    const config = writeConfig('drain', { server: { shutdownDelaySeconds: 3, shutdownGraceSeconds: 10 } });
    const backends = [serve(config, { JSG_SERVER__PORT: String(await freePort()) }), serve(config, { JSG_SERVER__PORT: String(await freePort()) })];
    const urls = await Promise.all(backends.map((backend) => backend.url));
    const [victim] = backends;
    if (!victim) throw new Error('no backend');

    // The balancer: like the endpoints controller, it sends only to replicas whose /readyz
    // answered 200 at the last probe (every 100 ms); new requests pick a ready replica in turn.
    const ready = new Set(urls);
    const probeAgent = new Agent({ keepAlive: false });
    let probing = true;
    const probes = (async () => {
      while (probing) {
        await Promise.all(
          urls.map(async (url) => {
            const ok = await get(probeAgent, `${url}/readyz?exclude=store`).then((status) => status === 200, () => false);
            if (ok) ready.add(url);
            else ready.delete(url);
          }),
        );
        await sleep(100);
      }
    })();

    // The load: 100 requests a second over keep-alive connections, for 6 seconds.
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const ratePerSecond = 100;
    const seconds = 6;
    let sent = 0;
    const failures: string[] = [];
    const inFlight: Array<Promise<void>> = [];
    let next = 0;
    const begin = Date.now();
    let sigtermAt = 0;
    for (let i = 0; i < ratePerSecond * seconds; i += 1) {
      const due = begin + (i * 1000) / ratePerSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      if (sigtermAt === 0 && Date.now() - begin >= 1500) {
        sigtermAt = Date.now();
        victim.child.kill('SIGTERM');
      }
      const candidates = urls.filter((url) => ready.has(url));
      const target = candidates[next++ % Math.max(1, candidates.length)] ?? urls[0];
      const path = i % 2 === 0 ? '/.well-known/jwks.json' : '/healthz';
      sent += 1;
      inFlight.push(
        get(agent, `${target}${path}`).then(
          (status) => {
            if (status !== 200) failures.push(`${path}: HTTP ${status}`);
          },
          (error: Error) => {
            failures.push(`${path}: ${error.message}`);
          },
        ),
      );
    }
    await Promise.all(inFlight);
    const victimExit = await victim.exited;
    probing = false;
    await probes;
    agent.destroy();

    const drainMs = victimExit.at - sigtermAt;
    console.log(`drain: ${sent} requests sent at ${ratePerSecond}/s, ${failures.length} failed; the SIGTERMed replica exited ${victimExit.code} after ${drainMs} ms (delay 3 s)`);
    expect(failures).toEqual([]);
    expect(victimExit.code).toBe(0);
    expect(drainMs).toBeGreaterThanOrEqual(3000); // it kept accepting for the delay
    const messages = jsonLines(victim.output()).map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^shutting down: readiness is 503 now/), expect.stringMatching(/^shutting down: no new connections/), 'stopped']));

    const other = backends[1];
    other?.child.kill('SIGINT'); // an operator's Ctrl-C: no delay
    expect((await other?.exited)?.code).toBe(0);
  }, 60_000);
});

describe('SIGTERM with a request in flight', () => {
  it('the request gets its answer before the process exits 0', async () => {
    // An IdP whose discovery answers (503) only after 3 s: a login that arrives meanwhile waits for it.
    const idpPort = await freePort();
    const slow = createServer((socket) => {
      setTimeout(() => socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'), 3000);
    });
    await new Promise<void>((resolve) => slow.listen(idpPort, '127.0.0.1', () => resolve()));
    try {
      const gateway = serve(
        writeConfig('in-flight', {
          server: { port: await freePort(), shutdownDelaySeconds: 0 },
          providers: { slow: { kind: 'oidc', displayName: 'Slow IdP', issuer: `http://127.0.0.1:${idpPort}`, clientId: 'gw', clientSecret: 'in-flight-client-secret-0123456789abc', timeoutMs: 10_000 } },
        }),
      );
      const url = await gateway.url;
      const state = encodeURIComponent(JSON.stringify({ room: 'standup', tenant: 'acme' }));
      const login = fetch(`${url}/login?room=standup&state=${state}&provider=slow`, { redirect: 'manual' });
      await sleep(300);
      gateway.child.kill('SIGTERM');
      const answer = await login;
      expect(answer.status).toBe(502);
      expect(await answer.text()).toContain('Sign-in with Slow IdP is unavailable right now');
      expect(answer.headers.get('connection')).toBe('close');
      expect((await gateway.exited).code).toBe(0);
    } finally {
      slow.close();
    }
  }, 30_000);
});

describe('fatal start-up errors', () => {
  it('a port in use: one structured line naming it, exit 1 at once', async () => {
    const port = await freePort();
    const config = writeConfig('busy', {});
    const first = serve(config, { JSG_SERVER__PORT: String(port) });
    await first.url;
    const begin = Date.now();
    const second = serve(config, { JSG_SERVER__PORT: String(port) });
    const { code, at } = await Promise.race([second.exited, sleep(15_000).then(() => ({ code: -1, at: Date.now() }))]);
    console.log(`busy port: the second process exited ${code} after ${at - begin} ms`);
    expect(code).toBe(1);
    const lines = jsonLines(second.output());
    const fatal = lines.filter((line) => line.level === 'fatal');
    expect(fatal).toEqual([expect.objectContaining({ cause: 'port_in_use', code: 'EADDRINUSE', port, msg: `cannot start: 127.0.0.1:${port} is already in use (server.port)` })]);
    expect(second.output()).not.toMatch(/listening|metadata loaded|EADDRINUSE: address already in use/);
    expect(lines).toHaveLength(second.output().trim().split('\n').length); // nothing but JSON lines
    first.child.kill('SIGINT');
    expect((await first.exited).code).toBe(0);
  }, 30_000);

  it('a management port in use: the same, naming server.management.port', async () => {
    const taken = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', () => resolve()));
    try {
      const gateway = serve(writeConfig('busy-management', { server: { port: await freePort(), management: { port: taken, host: '127.0.0.1' } } }));
      const { code } = await Promise.race([gateway.exited, sleep(15_000).then(() => ({ code: -1 }))]);
      expect(code).toBe(1);
      expect(jsonLines(gateway.output()).filter((line) => line.level === 'fatal')).toEqual([expect.objectContaining({ cause: 'port_in_use', msg: `cannot start: 127.0.0.1:${taken} is already in use (server.management.port)` })]);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('a SIGTERM while an IdP discovery request hangs does not wait for its time-out', async () => {
    // An IdP that accepts the connection and never answers (its discovery time-out: 30 s).
    const sockets: Socket[] = [];
    const blackhole = createServer((socket) => sockets.push(socket));
    const idpPort = await freePort();
    await new Promise<void>((resolve) => blackhole.listen(idpPort, '127.0.0.1', () => resolve()));
    try {
      const gateway = serve(
        writeConfig('hanging-idp', {
          server: { port: await freePort(), shutdownDelaySeconds: 0 },
          providers: { slow: { kind: 'oidc', issuer: `http://127.0.0.1:${idpPort}`, clientId: 'gw', clientSecret: 'hanging-idp-client-secret-0123456789', timeoutMs: 30_000 } },
        }),
      );
      await gateway.url;
      await waitUntil('discovery request pending', async () => sockets.length > 0, 10_000, 50);
      const begin = Date.now();
      gateway.child.kill('SIGTERM');
      const { code, at } = await Promise.race([gateway.exited, sleep(20_000).then(() => ({ code: -1, at: Date.now() }))]);
      console.log(`SIGTERM with a pending discovery: exit ${code} after ${at - begin} ms`);
      expect(code).toBe(0);
      expect(at - begin).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackhole.close();
    }
  }, 40_000);
});
