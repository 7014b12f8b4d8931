/**
 * The chart's `helm test` hook: a Pod (the gateway's image, its node binary) that checks readiness
 * through the Service's management port and the JWKS under publicUrl's path. The Pod is rendered
 * and validated, and its script is run here against a real gateway process (the shipped CLI) with
 * the URLs pointed at 127.0.0.1: it passes on a ready gateway and fails, saying why, otherwise.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../login/harness.js';
import { helmTemplate, type Manifest, repoRoot } from '../support/helm.js';
import { validateManifest } from './k8s-schema.js';

const cliMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function testPod(values: string, set: Record<string, string> = {}): Manifest {
  const pod = helmTemplate({ values: [values], set }).find((m) => m.kind === 'Pod');
  if (!pod) throw new Error('no helm test Pod rendered');
  return pod;
}

function podEnv(pod: Manifest): Record<string, string> {
  return Object.fromEntries((pod.spec.containers[0].env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
}

/** Runs the Pod's command with this machine's node (instead of the image's) and the given environment. */
function runCheck(pod: Manifest, env: Record<string, string>) {
  const [, ...args] = pod.spec.containers[0].command as string[];
  expect(args.slice(0, 2)).toEqual(['--input-type=module', '-e']);
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 });
}

describe('helm test hook', () => {
  it('is a locked-down test Pod that targets the Service, valid for Kubernetes', async () => {
    const pod = testPod('ha-sentinel.yaml');
    expect(pod.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod.spec.containers[0].command[0]).toBe('/nodejs/bin/node');
    expect(podEnv(pod)).toEqual({
      READYZ_URL: 'http://jsg-jitsi-sso-gateway.jitsi.svc:9090/readyz',
      JWKS_URL: 'http://jsg-jitsi-sso-gateway.jitsi.svc:8080/sso/.well-known/jwks.json',
      EXPECT_KEYS: 'true',
    });
    expect(await validateManifest(pod)).toEqual([]);
    expect(podEnv(testPod('minimal.yaml')).EXPECT_KEYS).toBe('false');
    expect(podEnv(testPod('minimal.yaml', { managementPort: 'null' })).READYZ_URL).toBe('http://jsg-jitsi-sso-gateway.jitsi.svc:8080/readyz');
    expect(helmTemplate({ values: ['minimal.yaml'], set: { 'tests.enabled': 'false' } }).some((m) => m.kind === 'Pod')).toBe(false);
  });

  describe('its script, against a running gateway', () => {
    let dir: string;
    let gateway: ChildProcess;
    let port: number;
    const pod = () => testPod('ha-sentinel.yaml');

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jsg-helm-test-'));
      port = await freePort();
      const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      writeFileSync(join(dir, 'key.pem'), key, { mode: 0o600 });
      writeFileSync(
        join(dir, 'config.yaml'),
        [
          `publicUrl: http://127.0.0.1:${port}/sso`,
          `server: { host: 127.0.0.1, port: ${port} }`,
          'log: { level: warn }',
          'targets:',
          '  meet: { url: "https://meet.example.com", xmppDomain: meet.jitsi, appId: jitsi-sso, algorithm: RS256, keys: [{ kid: "2026-11", status: active, privateKeyFile: key.pem }] }',
        ].join('\n'),
      );
      gateway = spawn(process.execPath, [cliMain, 'serve', '--config', join(dir, 'config.yaml')], { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' } });
      for (let i = 0; i < 200; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (ok) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the gateway did not start');
    });

    afterAll(() => {
      gateway?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });

    const local = (path: string) => `http://127.0.0.1:${port}${path}`;

    it('passes when the gateway is ready and publishes the key', () => {
      const result = runCheck(pod(), { READYZ_URL: local('/readyz'), JWKS_URL: local('/sso/.well-known/jwks.json'), EXPECT_KEYS: 'true' });
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain(`ok ${local('/sso/.well-known/jwks.json')} 1 key(s)`);
      expect(result.status).toBe(0);
    });

    it('fails when readiness cannot be reached, naming the URL', async () => {
      const closed = await freePort();
      const result = runCheck(pod(), { READYZ_URL: `http://127.0.0.1:${closed}/readyz`, JWKS_URL: local('/sso/.well-known/jwks.json'), EXPECT_KEYS: 'true' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`FAIL http://127.0.0.1:${closed}/readyz: ECONNREFUSED`);
    });

    it('fails when the JWKS is missing or not a key set', () => {
      const missing = runCheck(pod(), { READYZ_URL: local('/readyz'), JWKS_URL: local('/.well-known/jwks.json'), EXPECT_KEYS: 'true' });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain(`FAIL ${local('/.well-known/jwks.json')} answered 404`);
      const notKeys = runCheck(pod(), { READYZ_URL: local('/readyz'), JWKS_URL: local('/healthz'), EXPECT_KEYS: 'true' });
      expect(notKeys.status).toBe(1);
      expect(notKeys.stderr).toMatch(/FAIL .*\/healthz (has no "keys" list|is not JSON)/);
    });
  });
});
