import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hsSettings } from '../support/config.js';
import { freePort, startRedis, waitUntil, type RedisServer } from '../support/redis.js';

/**
 * Start-up loads what the configuration uses (issue 15, spawn → first ready answer): the compiled
 * CLI, started as Kubernetes starts it, is asked which CommonJS modules it has loaded once it
 * answers /readyz (test/support/loaded-modules.cjs).
 */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('../support/loaded-modules.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jsg-startup-modules-'));

let redis: RedisServer;
const started: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});
afterAll(async () => {
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  base: string;
  loaded(): Promise<string[]>;
}

async function serve(name: string, overrides: Record<string, unknown>): Promise<Started> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(hsSettings(overrides)));
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', PRELOAD, CLI, 'serve', '--config', file, '--port', String(port)], {
    env: { PATH: process.env.PATH, JSG_SERVER__HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitUntil('the gateway answers /readyz', async () => (await fetch(`${base}/readyz`)).status === 200, 20_000);
  return {
    base,
    async loaded() {
      const before = stderr.length;
      child.kill('SIGUSR2');
      let line: string | undefined;
      await waitUntil('the module list', async () => (line = /^loaded-modules (.*)$/m.exec(stderr.slice(before))?.[1]) !== undefined, 5000, 20);
      return (JSON.parse(line ?? '[]') as string[]).map((path) => path.replaceAll('\\', '/'));
    },
  };
}

const has = (modules: string[], fragment: string) => modules.some((path) => path.includes(fragment));

describe('start-up loads what the configuration uses', () => {
  it('the memory store loads no Redis client, and the Node.js metrics load at the first scrape', async () => {
    const gateway = await serve('memory', { store: { kind: 'memory' } });
    const atStart = await gateway.loaded();
    expect(has(atStart, '/node_modules/koa/'), 'the module list is read').toBe(true);
    expect(has(atStart, '/node_modules/ioredis/')).toBe(false);
    expect(has(atStart, '/node_modules/prom-client/lib/defaultMetrics')).toBe(false);

    const exposition = await (await fetch(`${gateway.base}/metrics`)).text();
    expect(exposition).toContain('process_cpu_seconds_total');
    expect(exposition).toContain('nodejs_heap_size_used_bytes');
    expect(exposition).toContain('jsg_http_requests_total');
    expect(has(await gateway.loaded(), '/node_modules/prom-client/lib/defaultMetrics')).toBe(true);
  });

  it('the Redis store loads its client', async () => {
    const gateway = await serve('redis', { store: { kind: 'redis', redis: { url: redis.url } } });
    expect(has(await gateway.loaded(), '/node_modules/ioredis/')).toBe(true);
  });
});
